"""The event store: eventsourcing's recorders configured from the settings, the mapper,
the SQLite connection pool, PostgreSQL's LISTEN, and copying a store."""
