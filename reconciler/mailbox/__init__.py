"""Mailbox-level verification of one inbox over IMAP: log in, list folders, EXAMINE
INBOX, read IDLE and QUOTA support. The socket is opened here, through the SSRF guard
and the TLS policy of the live checks; imapclient then speaks IMAP on it, in a thread
under a deadline. :mod:`reasons` (pure) turns every way it can end into one line and a
hint; :mod:`client` bounds what is read; :mod:`session` holds the steps; :mod:`run`
resolves, judges and runs them.
"""
