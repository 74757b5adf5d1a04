"""Tests of the plan renderers: golden files, colour, size limit, escaping."""
