"""The TLS step of a check and its certificate: the handshake (after STARTTLS where
the endpoint upgrades), the facts of the certificate the server presents, and the
judgement of them (trust, host name, dates, pin). A certificate that fails verification
is read over a second, unverified connection: to continue on it when the domain allows a
non-secure certificate, else only to name its fingerprint; nothing is sent on it.
Bytes a server sends before TLS are never used (a STARTTLS injection)."""

from __future__ import annotations

import datetime as dt
import ssl

from reconciler.checks import certificate as certs
from reconciler.checks.dialogue import Dialogue
from reconciler.checks.imap import ImapDialogue
from reconciler.checks.reach import Reach
from reconciler.checks.session import CheckFailure, Connection
from reconciler.checks.smtp import SmtpDialogue
from reconciler.checks.wire import DataBeforeTls, Overrun
from reconciler.net.tls import handshake_facts, reading_context
from reconciler.plan.evidence import CheckTarget

INJECTION = "data before TLS: possible STARTTLS injection"


def dialogue_for(target: CheckTarget) -> Dialogue:
    """A fresh protocol dialogue for ``target``: a new connection starts one anew."""
    return ImapDialogue() if target.protocol == "imap" else SmtpDialogue()


_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"})


def tls_failure(error: ssl.SSLError, target: CheckTarget) -> str:
    """The message for a failed handshake, naming a port that does not speak TLS."""
    reason = error.reason or error.strerror or str(error)
    hint = ""
    if reason in _NOT_TLS:
        hint = (
            "; the port does not speak TLS: is it a plaintext or STARTTLS port?"
            if target.security == "ssl"
            # Plaintext that arrives once the handshake has begun reaches the TLS layer.
            else f"; the server sent something other than TLS after its go-ahead ({INJECTION})"
        )
    return f"TLS handshake failed ({reason}){hint}"


def _early_data(target: CheckTarget, count: int) -> str:
    if target.security == "ssl":
        return (
            f"the server sent {count} bytes before the TLS handshake: the port does not "
            "speak implicit TLS: is it a plaintext or STARTTLS port?"
        )
    return (
        f"{INJECTION}: the server sent {count} bytes in plaintext after its STARTTLS "
        "go-ahead; nothing from them was used and no credentials were sent"
    )


class Secure(Reach):
    """A check that can bring its connection under TLS and judge the certificate."""

    verifying: ssl.SSLContext
    dialogue: Dialogue

    async def _step_greeting_and_capabilities(self, conn: Connection) -> None:
        async with self.trace.step("greeting"):
            await self.dialogue.greeting(conn, self.trace)
        async with self.trace.step("capability"):
            await self.dialogue.capabilities(conn, self.trace)

    async def _handshake(self, conn: Connection, context: ssl.SSLContext) -> None:
        if self.target.security == "starttls":
            await self._step_greeting_and_capabilities(conn)
            async with self.trace.step("starttls"):
                await self.dialogue.starttls(conn, self.trace)
        async with self.trace.step("tls"):
            try:
                await conn.start_tls(context, self.target.host)
            except DataBeforeTls as early:
                raise CheckFailure("tls", _early_data(self.target, early.count)) from None

    async def _secure(self, conn: Connection) -> Connection:
        """TLS on ``conn``; on a verification failure, read the certificate over a
        second, unverified connection: to continue on it when the domain allows a
        non-secure certificate, else only to name the fingerprint (nothing is sent)."""
        try:
            await self._handshake(conn, self.verifying)
            trusted = True
        except ssl.SSLCertVerificationError as error:
            await conn.close()
            self.conn = None
            await self.slots.aclose()  # one slot per check: release before reconnecting
            conn = await self._reopen_unverified(error)
            trusted = False
        facts = handshake_facts(conn.ssl_object)
        self.trace.tls_version, self.trace.cipher = facts.version, facts.cipher
        if facts.der is None:
            raise CheckFailure("certificate", "server sent no certificate")
        try:
            self.trace.certificate = certs.facts(facts.der, trusted=trusted)
        except ValueError as error:
            raise CheckFailure(
                "certificate", f"the server's certificate cannot be read ({type(error).__name__})"
            ) from None
        self._judge(trusted)
        return conn

    async def _reopen_unverified(self, error: ssl.SSLCertVerificationError) -> Connection:
        address = self.trace.connected_address
        assert address is not None
        self.dialogue = dialogue_for(self.target)
        if self.target.allow_non_secure_certificate:
            conn = self.conn = await self._connect(address)
            await self._handshake(conn, reading_context())
            return conn
        found = None
        probe: Connection | None = None
        try:
            probe = await self._connect(address)
            await self._handshake(probe, reading_context())
            der = handshake_facts(probe.ssl_object).der
            found = certs.facts(der, trusted=False) if der else None
        except (CheckFailure, OSError, Overrun, ValueError):
            pass  # the verification failure is the finding; the fingerprint is a bonus
        finally:
            if probe is not None:
                await probe.close()
        self.trace.certificate = found
        raise CheckFailure(
            "certificate",
            certs.verification_message(
                error.verify_code, error.verify_message, self.target.host, found
            ),
        )

    def _judge(self, trusted: bool) -> None:
        assert self.trace.certificate is not None
        self.trace.current = "certificate"
        problem, warnings = certs.judge(
            self.trace.certificate,
            trusted=trusted,
            host=self.target.host,
            allow_non_secure=self.target.allow_non_secure_certificate,
            pin=self.target.certificate_sha256,
            now=dt.datetime.now(dt.UTC),
        )
        for warning in warnings:
            self.trace.warn(warning)
        if problem is not None:
            raise CheckFailure("certificate", problem)
