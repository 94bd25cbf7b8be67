"""Workflow definitions (versioned TOML data), the engine that reads them, and the use cases."""
