"""One router per resource; each route declares its permission with ``deps.allow``."""
