"""imapclient on a socket mailctl opened itself, with bounds on what it reads.

``IMAPClient`` opens its own connection (``_create_IMAP4``): it would resolve the host
name again, an answer the guard never judged. :class:`AdoptedClient` hands it an
``imaplib.IMAP4`` that adopts the socket already connected to a judged address (and,
for implicit TLS, already under the verified TLS session) instead.

imaplib reads line by line, up to a module-wide ``_MAXLINE`` of 1,000,000 bytes, and a
literal of whatever size the server announces. :class:`BoundedIMAP4` bounds both per
instance and counts every byte against one budget for the whole session, so a hostile
or broken server cannot make a verification read without end.
"""

from __future__ import annotations

import imaplib
import socket
from typing import Final

from imapclient import IMAPClient

from reconciler.mailbox.reasons import Overrun

MAX_LINE: Final = 64 * 1024  # one response line
MAX_LITERAL: Final = 256 * 1024  # one literal {n}
SESSION_BYTES: Final = 8 * 1024 * 1024  # everything read in one verification


class BoundedIMAP4(imaplib.IMAP4):
    """``imaplib.IMAP4`` on an adopted, connected socket; reading past a bound raises
    :class:`Overrun`. Its constructor reads the greeting and the capabilities."""

    def __init__(self, adopted: socket.socket, host: str, port: int) -> None:
        self._adopted: socket.socket | None = adopted
        self._left = SESSION_BYTES
        super().__init__(host, port)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        # Called once, by open(): the connection was made (and judged) before.
        adopted, self._adopted = self._adopted, None
        if adopted is None:
            raise OSError("the adopted socket was used already")
        return adopted

    def _spend(self, count: int) -> None:
        self._left -= count
        if self._left < 0:
            raise Overrun(f"the server sent more than {SESSION_BYTES:,} bytes in one session")

    def readline(self) -> bytes:
        line = self.file.readline(MAX_LINE + 1)
        assert isinstance(line, bytes)  # the file is opened "rb"
        if not line:
            raise self.abort("socket error: EOF")
        if len(line) > MAX_LINE:
            raise Overrun(f"the server sent a line longer than {MAX_LINE:,} bytes")
        self._spend(len(line))
        return line

    def read(self, size: int) -> bytes:
        if size > MAX_LITERAL:
            raise Overrun(
                f"the server announced a literal of {size:,} bytes (at most {MAX_LITERAL:,})"
            )
        data = self.file.read(size)
        assert isinstance(data, bytes)
        self._spend(len(data))
        return data


class AdoptedClient(IMAPClient):  # type: ignore[misc]  # imapclient is untyped
    """``IMAPClient`` speaking on ``adopted``; ``host`` is the name TLS verifies (for
    STARTTLS) and ``tls`` tells whether the socket is under TLS already. imaplib's own
    protocol log (every line sent, the LOGIN among them) is switched off."""

    def __init__(
        self, adopted: socket.socket, host: str, port: int, *, tls: bool, timeout: float
    ) -> None:
        self._adopted = adopted
        super().__init__(host, port, ssl=tls, timeout=timeout)
        self._imap.debug = 0

    def _create_IMAP4(self) -> imaplib.IMAP4:  # imapclient names it so
        return BoundedIMAP4(self._adopted, self.host, self.port)
