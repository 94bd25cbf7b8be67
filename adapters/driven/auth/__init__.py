"""Users, bearer tokens, and the access log of personal-data reads, behind one port."""
