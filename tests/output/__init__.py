"""Tests of the managed output folder."""
