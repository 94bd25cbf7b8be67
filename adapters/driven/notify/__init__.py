"""Telling people: the notifier port, the log and webhook notifiers, their message
formats, and the outbox that delivers with retries."""
