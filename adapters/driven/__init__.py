"""The driven side: what the application calls — the event store and its mapper, the view
stores, the auth store, the leader locks, the notifiers and their outbox, the clock.

Each port with SQLite and PostgreSQL implementations is laid out the same way: the port
(``port.py``, or the projections' ``ViewStore`` for the views), then one module per
backend (``sqlite.py``, ``postgres.py``)."""
