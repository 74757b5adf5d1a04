"""The defaults of ``mailctl serve`` that its command line shows: plain values, so that
reading them (``mailctl --help``) loads none of the HTTP stack."""

from __future__ import annotations

DEFAULT_BIND = "127.0.0.1:8080"
DEFAULT_INTERVAL = 2.0  # seconds between two polls of the store's serial
