"""The view stores: the port is ``projections.store.ViewStore`` (the projections write
through it); one module per backend."""
