"""Renderers: pure functions from results to text. They never do I/O themselves."""
