"""Firewall allowlists: the connection ranges (inline and from published feeds), the
rules they make for each static-IP domain, and the files that express those rules."""
