"""Connections shared by the stores of one backend: SQLite files, PostgreSQL cursors."""
