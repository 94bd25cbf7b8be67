"""The scheduler's leader lock: the port, then one module per backend."""
