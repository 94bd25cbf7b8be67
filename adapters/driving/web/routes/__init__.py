"""The page handlers: logging in, my tasks, the case page and its steps."""
