"""mailctl: email-domain IMAP/SMTP connection settings as code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mailctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
