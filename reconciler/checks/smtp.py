"""SMTP client steps: 220 banner, EHLO, STARTTLS, AUTH (PLAIN or LOGIN), QUIT.

Same small asyncio line client approach as IMAP (``smtplib`` resolves the name itself
and blocks); the ``Dialogue`` steps keep the engine protocol-neutral.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass, field

from reconciler.checks.dialogue import Credentials
from reconciler.checks.session import MAX_RESPONSE_LINES, CheckFailure, Connection, Trace
from reconciler.checks.wire import Overrun


@dataclass(frozen=True)
class Reply:
    code: int
    lines: tuple[bytes, ...]

    @property
    def text(self) -> bytes:
        return b" ".join(self.lines)


def parse_ehlo(reply: Reply) -> tuple[str, ...]:
    """Extension lines of a 250 EHLO reply (the first line is the server's name)."""
    return tuple(line.decode("ascii", "replace").strip() for line in reply.lines[1:])


def auth_mechanisms(extensions: tuple[str, ...]) -> tuple[str, ...]:
    """Mechanisms from ``AUTH ...`` (and the old ``AUTH=...``) extension lines."""
    found: list[str] = []
    for extension in extensions:
        keyword, _, rest = extension.replace("=", " ", 1).partition(" ")
        if keyword.upper() == "AUTH":
            found.extend(m.upper() for m in rest.split() if m.upper() not in found)
    return tuple(found)


def ehlo_name(sockname: object) -> bytes:
    """Our own address as an EHLO address literal (RFC 5321 4.1.3): no name to leak."""
    host = sockname[0] if isinstance(sockname, tuple) and sockname else "127.0.0.1"
    try:
        address = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return b"[127.0.0.1]"
    if isinstance(address, ipaddress.IPv6Address):
        return f"[IPv6:{address}]".encode()
    return f"[{address}]".encode()


@dataclass
class SmtpDialogue:
    _extensions: tuple[str, ...] = field(default_factory=tuple)

    async def _reply(self, conn: Connection) -> Reply:
        lines: list[bytes] = []
        while len(lines) < MAX_RESPONSE_LINES:
            line = await conn.line()
            code = line[:3]
            if not code.isdigit() or line[3:4] not in (b"-", b" ", b"\r", b"\n"):
                raise ConnectionError(f"not an SMTP reply: {conn.quote(line, 80)}")
            lines.append(line[4:].rstrip(b"\r\n"))
            if line[3:4] != b"-":
                return Reply(int(code), tuple(lines))
        raise Overrun(f"the server sent more than {MAX_RESPONSE_LINES} lines in one response")

    async def _command(self, conn: Connection, command: bytes) -> Reply:
        await conn.send(command + b"\r\n")
        return await self._reply(conn)

    async def greeting(self, conn: Connection, trace: Trace) -> None:
        try:
            reply = await self._reply(conn)
        except ConnectionError as error:
            raise CheckFailure("greeting", f"expected a 220 SMTP banner: {error}") from None
        if reply.code != 220:
            raise CheckFailure(
                "greeting", f"server refused the session: {reply.code} {conn.quote(reply.text)}"
            )

    async def capabilities(self, conn: Connection, trace: Trace) -> None:
        name = ehlo_name(conn.sockname)
        reply = await self._command(conn, b"EHLO " + name)
        if reply.code != 250:
            raise CheckFailure("capability", f"EHLO refused: {reply.code} {conn.quote(reply.text)}")
        self._extensions = parse_ehlo(reply)
        trace.capabilities = tuple(conn.token(e) for e in self._extensions)
        trace.auth_mechanisms = tuple(conn.token(m) for m in auth_mechanisms(self._extensions))

    def _has(self, keyword: str) -> bool:
        return any(e.split(" ", 1)[0].upper() == keyword for e in self._extensions)

    async def starttls(self, conn: Connection, trace: Trace) -> None:
        if not self._has("STARTTLS"):
            raise CheckFailure(
                "starttls",
                "server does not advertise STARTTLS; refusing to continue in plaintext "
                "(use security: ssl if the server has an implicit TLS port)",
            )
        reply = await self._command(conn, b"STARTTLS")
        if reply.code != 220:
            raise CheckFailure(
                "starttls", f"STARTTLS refused: {reply.code} {conn.quote(reply.text)}"
            )

    def plaintext_login_refused(self) -> bool:
        return not auth_mechanisms(self._extensions)

    async def login(self, conn: Connection, trace: Trace, credentials: Credentials) -> None:
        mechanisms = auth_mechanisms(self._extensions)
        user = credentials.username.encode()
        password = credentials.password.encode()
        trace.logged_in = False
        if "PLAIN" in mechanisms:
            token = base64.b64encode(b"\0" + user + b"\0" + password)
            reply = await self._command(conn, b"AUTH PLAIN " + token)
        elif "LOGIN" in mechanisms:
            reply = await self._command(conn, b"AUTH LOGIN")
            for value in (user, password):
                if reply.code != 334:
                    break
                reply = await self._command(conn, base64.b64encode(value))
        else:
            trace.logged_in = None
            raise CheckFailure(
                "login",
                "server offers neither AUTH PLAIN nor AUTH LOGIN "
                f"(AUTH: {conn.quote(' '.join(mechanisms)) if mechanisms else 'none'}); "
                "no login was attempted",
            )
        if reply.code == 235:
            trace.logged_in = True
            return
        raise CheckFailure(
            "login",
            f"login as the user in {credentials.source} failed: "
            f"{reply.code} {conn.quote(reply.text)}",
        )

    async def logout(self, conn: Connection, trace: Trace) -> None:
        reply = await self._command(conn, b"QUIT")
        if reply.code != 221:
            trace.warn(f"QUIT answered {reply.code} {conn.quote(reply.text)}")
