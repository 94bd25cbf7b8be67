"""The ``caretrail`` command line (typer)."""
