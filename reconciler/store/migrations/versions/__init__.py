"""Revisions of the store schema, oldest first (``vNNNN_*.py``)."""
