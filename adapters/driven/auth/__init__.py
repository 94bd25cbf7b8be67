"""Users, bearer tokens, people's passwords and sessions, the access log: behind one port."""
