"""The HTTP API (FastAPI) under ``/api/v1``: thin routes over the use cases and read models."""
