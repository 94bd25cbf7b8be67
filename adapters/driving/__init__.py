"""The driving side: what calls the application — the HTTP API, the CLI, the scheduler's
jobs, the demo generator and the parallel rebuild."""
