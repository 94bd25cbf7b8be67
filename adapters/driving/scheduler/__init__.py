"""The scheduler: escalation sweeps, daily digests and notification delivery, behind a
leader lock (built by ``adapters.bootstrap.build_scheduler``)."""
