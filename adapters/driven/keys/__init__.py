"""The key store: each case's data key, wrapped by the master key, apart from the events."""
