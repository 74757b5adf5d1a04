"""Tests of the firewall allowlists."""
