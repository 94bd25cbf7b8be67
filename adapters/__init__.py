"""Everything that touches the outside world: storage, HTTP, CLI, scheduler, logging."""
