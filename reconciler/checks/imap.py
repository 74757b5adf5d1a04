"""IMAP4rev1/rev2 client steps: greeting, CAPABILITY, STARTTLS, LOGIN, LOGOUT.

A small asyncio line client rather than ``imaplib``/``imapclient``: those resolve the
host name themselves (a second lookup the guard never judged), block the event loop,
and cannot bound each step with its own timeout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reconciler.checks.dialogue import Credentials
from reconciler.checks.session import MAX_RESPONSE_LINES, CheckFailure, Connection, Trace
from reconciler.checks.wire import Overrun

MAX_LITERAL = 64 * 1024  # a literal in a greeting, capability or login answer
STATUSES = frozenset({"OK", "NO", "BAD"})

_LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\r?\n$")
_SAFE_QUOTED = re.compile(r"[\x20-\x7e]*")


def imap_string(value: str) -> bytes | tuple[bytes]:
    """``value`` as an IMAP string: quoted bytes when plain printable ASCII without
    quote or backslash, else a 1-tuple holding the bytes to send as a literal ``{n}``.

    Raises ``ValueError`` for NUL, CR or LF, which no IMAP string may carry safely.
    """
    if any(c in value for c in "\0\r\n"):
        raise ValueError("contains NUL, CR or LF")
    if _SAFE_QUOTED.fullmatch(value) and '"' not in value and "\\" not in value:
        return b'"' + value.encode("ascii") + b'"'
    return (value.encode("utf-8"),)


@dataclass(frozen=True)
class Reply:
    """A tagged completion with the untagged lines before it. ``status`` is OK, NO or
    BAD, or ``?`` when the server put something else there (then ``text`` is all of
    the line after the tag: the word is the server's, not a status)."""

    status: str
    text: bytes
    untagged: tuple[bytes, ...]

    def said(self, conn: Connection) -> str:
        """``NO "Authentication failed."`` for a person, the server's words quoted."""
        if self.status == "?":
            return f"an answer that is not OK, NO or BAD: {conn.quote(self.text)}"
        return f"{self.status} {conn.quote(self.text)}"


def parse_capabilities(untagged: tuple[bytes, ...]) -> tuple[str, ...]:
    """Capability atoms from ``* CAPABILITY`` lines, in the server's order."""
    found: list[str] = []
    for line in untagged:
        words = line.decode("ascii", "replace").split()
        if len(words) >= 2 and words[0] == "*" and words[1].upper() == "CAPABILITY":
            found.extend(words[2:])
    return tuple(found)


@dataclass
class ImapDialogue:
    """One IMAP conversation (tags are counted per connection)."""

    _counter: int = 0
    _capabilities: frozenset[str] = field(default_factory=frozenset)
    _preauth: bool = False

    async def _read(self, conn: Connection) -> bytes:
        # A line may end with a literal announcement {n}: the literal and the rest of
        # the line belong to the same response.
        # Only the segment just read is searched, and a response carries at most as
        # many literals as it may have lines: a server sending endless empty literals
        # must not cost quadratic time between two awaits.
        segment = await conn.line()
        parts = [segment]
        literals = 0
        while (match := _LITERAL_AT_END.search(segment)) is not None:
            size = int(match.group(1))
            if size > MAX_LITERAL:
                raise Overrun(
                    f"the server announced a literal of {size:,} bytes "
                    f"(at most {MAX_LITERAL:,} are read)"
                )
            literals += 1
            if literals > MAX_RESPONSE_LINES:
                raise Overrun(
                    f"the server sent more than {MAX_RESPONSE_LINES} literals in one response"
                )
            parts.append(await conn.exactly(size))
            segment = await conn.line()
            parts.append(segment)
        return b"".join(parts)

    def _tag(self) -> bytes:
        self._counter += 1
        return b"m%d" % self._counter

    async def _command(self, conn: Connection, *parts: bytes | tuple[bytes]) -> Reply:
        tag = self._tag()
        pending = tag
        for part in parts:
            if isinstance(part, tuple):
                pending += b" {%d}\r\n" % len(part[0])
                await conn.send(pending)
                await self._continuation(conn)
                pending = part[0]
            else:
                pending += b" " + part
        await conn.send(pending + b"\r\n")
        return await self._complete(conn, tag)

    async def _continuation(self, conn: Connection) -> None:
        for _ in range(MAX_RESPONSE_LINES):
            line = await self._read(conn)
            if line.startswith(b"+"):
                return
            if not line.startswith(b"* "):
                raise CheckFailure(
                    "login", f"server refused a literal: {conn.quote(line.split(b' ', 1)[-1])}"
                )
        raise _too_many()

    async def _complete(self, conn: Connection, tag: bytes) -> Reply:
        untagged: list[bytes] = []
        while len(untagged) < MAX_RESPONSE_LINES:
            line = await self._read(conn)
            if line.startswith(tag + b" "):
                rest = line[len(tag) + 1 :]
                status, _, text = rest.partition(b" ")
                word = status.decode("ascii", "replace").upper()
                if word not in STATUSES:
                    return Reply("?", rest, tuple(untagged))
                return Reply(word, text, tuple(untagged))
            untagged.append(line)
        raise _too_many()

    async def greeting(self, conn: Connection, trace: Trace) -> None:
        line = await self._read(conn)
        head = line[:10].upper()
        if head.startswith(b"* OK"):
            return
        if head.startswith(b"* PREAUTH"):
            self._preauth = True
            return
        if head.startswith(b"* BYE"):
            raise CheckFailure("greeting", f"server refused the session: {conn.quote(line[6:])}")
        raise CheckFailure(
            "greeting", f"not an IMAP greeting (expected '* OK'): {conn.quote(line, 80)}"
        )

    async def capabilities(self, conn: Connection, trace: Trace) -> None:
        reply = await self._command(conn, b"CAPABILITY")
        if reply.status != "OK":
            raise CheckFailure("capability", f"CAPABILITY failed: {reply.said(conn)}")
        found = parse_capabilities(reply.untagged)
        self._capabilities = frozenset(c.upper() for c in found)
        trace.capabilities = tuple(conn.token(c) for c in found)
        trace.auth_mechanisms = tuple(
            conn.token(c[5:]) for c in found if c.upper().startswith("AUTH=")
        )
        trace.login_disabled = "LOGINDISABLED" in self._capabilities
        if not self._capabilities & {"IMAP4REV1", "IMAP4REV2"}:
            offered = conn.quote(" ".join(found)) if found else "none"
            raise CheckFailure(
                "capability",
                f"server does not speak IMAP4rev1 or IMAP4rev2 (capabilities: {offered})",
            )

    async def starttls(self, conn: Connection, trace: Trace) -> None:
        if self._preauth:
            raise CheckFailure(
                "starttls",
                "server greeted with PREAUTH, so STARTTLS is impossible; "
                "refusing to continue in plaintext",
            )
        if "STARTTLS" not in self._capabilities:
            raise CheckFailure(
                "starttls",
                "server does not advertise STARTTLS; refusing to continue in plaintext "
                "(use security: ssl if the server has an implicit TLS port)",
            )
        reply = await self._command(conn, b"STARTTLS")
        if reply.status != "OK":
            raise CheckFailure("starttls", f"STARTTLS refused: {reply.said(conn)}")

    def plaintext_login_refused(self) -> bool:
        return "LOGINDISABLED" in self._capabilities

    async def login(self, conn: Connection, trace: Trace, credentials: Credentials) -> None:
        if self._preauth:
            trace.warn("server pre-authenticated the session (PREAUTH); login not checked")
            return
        if "LOGINDISABLED" in self._capabilities:
            raise CheckFailure("login", "server advertises LOGINDISABLED; no login was attempted")
        try:
            user = imap_string(credentials.username)
            password = imap_string(credentials.password)
        except ValueError:
            raise CheckFailure(
                "login",
                "the user name or password contains a line break or NUL character, "
                "which IMAP LOGIN cannot carry; no login was attempted",
            ) from None
        trace.logged_in = False
        reply = await self._command(conn, b"LOGIN", user, password)
        if reply.status != "OK":
            raise CheckFailure(
                "login",
                f"login as the user in {credentials.source} failed: {reply.said(conn)}",
            )
        trace.logged_in = True

    async def logout(self, conn: Connection, trace: Trace) -> None:
        reply = await self._command(conn, b"LOGOUT")
        if reply.status != "OK":
            trace.warn(f"LOGOUT answered {reply.said(conn)}")


def _too_many() -> Overrun:
    return Overrun(f"the server sent more than {MAX_RESPONSE_LINES} lines in one response")
