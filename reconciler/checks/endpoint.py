"""Check one endpoint: resolve -> guard -> TCP -> TLS -> certificate -> protocol -> login.

``check_endpoint`` never raises for a network problem: every outcome is a
``CheckResult`` whose message starts with ``host:port:``. Each step has a timeout and
the whole check a deadline. Credentials are read from ``env`` and never leave the
connection they are sent on (see ``Connection.quote``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import ssl
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path

from reconciler.checks import certificate as certs
from reconciler.checks.dialogue import Credentials, Dialogue, credentials_for
from reconciler.checks.imap import ImapDialogue
from reconciler.checks.limits import ServerSlots
from reconciler.checks.session import (
    CheckFailure,
    Connection,
    Connector,
    Trace,
    open_tcp,
    waiting_for,
)
from reconciler.checks.smtp import SmtpDialogue
from reconciler.checks.wire import DataBeforeTls, Overrun
from reconciler.net.guard import IPAddress, judged
from reconciler.net.resolver import NameNotResolved, Resolver, resolve, system_resolver
from reconciler.net.tls import handshake_facts, reading_context, verifying_context
from reconciler.plan.evidence import CheckResult, CheckTarget
from reconciler.plan.servertext import ServerText

INJECTION = "data before TLS: possible STARTTLS injection"
PLAINTEXT_WARNING = (
    "PLAINTEXT: security is none, so mail and passwords would cross the network "
    "unencrypted; this check sent no credentials"
)


async def check_endpoint(
    target: CheckTarget,
    *,
    allow_private: bool = False,
    ca_file: Path | str | None = None,
    deadline: float = 30.0,
    step_timeout: float = 10.0,
    env: Mapping[str, str] = os.environ,
    resolver: Resolver = system_resolver,
    connector: Connector = open_tcp,
    address_slots: ServerSlots | None = None,
) -> CheckResult:
    """Check ``target`` and return the evidence. Never raises for network problems.

    ``resolver`` and ``connector`` are the seams to the network (tests inject a name
    table and a recording connector). ``address_slots`` caps connections per resolved
    address across concurrent checks; time spent waiting for a slot does not count
    against the deadline.

    A server that sends more than a bound allows (see ``wire``, ``session``) fails the
    check at its step; an unexpected error fails only this check, so that the results of
    other endpoints checked alongside survive.
    """
    trace = Trace(target, step_timeout)
    credentials = credentials_for(target, env)
    if isinstance(credentials, str):
        trace.warn(credentials)
        credentials = None
    if credentials is not None:
        trace.text = ServerText(credentials.secret_forms())
    check = _Check(
        target,
        trace,
        credentials,
        allow_private,
        verifying_context(ca_file),
        resolver,
        connector,
        address_slots,
    )
    try:
        async with asyncio.timeout(deadline) as overall:
            check.overall = overall
            await check.run()
    except CheckFailure as failure:
        trace.failure = failure
    except TimeoutError:
        trace.failure = CheckFailure(
            "deadline",
            f"no result within the {deadline:g} s deadline (stopped {waiting_for(trace.current)})",
        )
    except ssl.SSLError as error:
        trace.failure = CheckFailure("tls", _tls_failure(error, target))
    except OSError as error:
        trace.failure = CheckFailure(
            trace.current, f"connection failed {waiting_for(trace.current)}: {_describe(error)}"
        )
    except Overrun as error:
        trace.failure = CheckFailure(
            trace.current, f"{error} {waiting_for(trace.current)}; the check stopped reading"
        )
    except Exception as error:  # one endpoint's surprise must not lose every other result
        trace.failure = CheckFailure(
            trace.current,
            f"internal error {waiting_for(trace.current)} ({type(error).__name__}); "
            "please report this as a mailctl bug",
        )
    finally:
        await check.close()
    return trace.result()


def _dialogue(target: CheckTarget) -> Dialogue:
    return ImapDialogue() if target.protocol == "imap" else SmtpDialogue()


def _describe(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset by the server"
    return error.strerror or str(error) or type(error).__name__


_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"})


def _tls_failure(error: ssl.SSLError, target: CheckTarget) -> str:
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


class _Check:
    """The state of one running check: its current connection and protocol."""

    def __init__(
        self,
        target: CheckTarget,
        trace: Trace,
        credentials: Credentials | None,
        allow_private: bool,
        verifying: ssl.SSLContext,
        resolver: Resolver,
        connector: Connector,
        address_slots: ServerSlots | None,
    ) -> None:
        self.target = target
        self.trace = trace
        self.credentials = credentials
        self.allow_private = allow_private
        self.verifying = verifying
        self.resolver = resolver
        self.connector = connector
        self.address_slots = address_slots
        self.overall: asyncio.Timeout | None = None
        self.conn: Connection | None = None
        self.dialogue = _dialogue(target)
        self.slots = AsyncExitStack()

    async def run(self) -> None:
        allowed = self._guard(await self._resolve())
        self.conn = await self._connect_any(allowed)
        if self.target.security == "none":
            self.trace.warn(PLAINTEXT_WARNING)
            await self._step_greeting_and_capabilities(self.conn)
        else:
            self.conn = await self._secure(self.conn)
            if self.target.security == "ssl":
                async with self.trace.step("greeting"):
                    await self.dialogue.greeting(self.conn, self.trace)
            async with self.trace.step("capability"):
                await self.dialogue.capabilities(self.conn, self.trace)
        await self._login_and_logout(self.conn)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
        await self.slots.aclose()

    async def _resolve(self) -> list[IPAddress]:
        async with self.trace.step("resolve"):
            try:
                found = await resolve(
                    self.target.host, self.target.port, self.resolver, self.trace.step_timeout
                )
            except NameNotResolved as error:
                raise CheckFailure("resolve", str(error)) from None
        self.trace.addresses = [str(a) for a in found]
        return found

    def _guard(self, addresses: list[IPAddress]) -> list[IPAddress]:
        if self.allow_private:
            return addresses
        self.trace.current = "guard"
        allowed, listed = judged(addresses)
        if not allowed:
            raise CheckFailure(
                "guard",
                f"refused to connect: every address is non-public: {listed}; "
                "allow private targets (--allow-private-targets) to check it anyway",
                verdict="refused",
            )
        if listed:
            self.trace.warn(f"skipped non-public addresses: {listed}")
        return allowed

    async def _hold_address(self, address: str) -> None:
        if self.address_slots is None:
            return
        waited = await self.slots.enter_async_context(self.address_slots.hold(address))
        if self.overall is not None and (when := self.overall.when()) is not None:
            self.overall.reschedule(when + waited)

    async def _connect_any(self, addresses: list[IPAddress]) -> Connection:
        problems: list[str] = []
        for address in addresses:
            try:
                return await self._connect(str(address))
            except CheckFailure as failure:
                problems.append(f"{address} ({failure.message})")
            except OSError as error:
                problems.append(f"{address} ({_describe(error)})")
            await self.slots.aclose()
        if len(problems) == 1:
            raise CheckFailure("connect", f"could not connect to {problems[0]}")
        raise CheckFailure(
            "connect",
            f"could not connect to any of {len(problems)} addresses: " + "; ".join(problems),
        )

    async def _connect(self, address: str) -> Connection:
        """Open TCP to exactly ``address`` (checked by the guard), holding its slot."""
        await self._hold_address(address)
        if address not in self.trace.tried:
            self.trace.tried.append(address)
        async with self.trace.step("connect"):
            wire = await self.connector(address, self.target.port)
        self.trace.connected_address = address
        return Connection(wire, self.trace.budget, self.trace.text)

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
        self.dialogue = _dialogue(self.target)
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

    async def _login_and_logout(self, conn: Connection) -> None:
        if not conn.encrypted and self.dialogue.plaintext_login_refused():
            raise CheckFailure(
                "login",
                "server refuses login without TLS (LOGINDISABLED or no AUTH offered), so "
                "inboxes cannot log in with security: none; no login was attempted; "
                "use security: starttls or ssl",
            )
        if self.credentials is None:
            await self._logout(conn)
            return
        if not conn.encrypted:
            self.trace.warn("login not checked: credentials are never sent without TLS")
            await self._logout(conn)
            return
        async with self.trace.step("login"):
            await self.dialogue.login(conn, self.trace, self.credentials)
        await self._logout(conn)

    async def _logout(self, conn: Connection) -> None:
        # The settings are proven by now; a clumsy goodbye is worth a warning only.
        try:
            async with self.trace.step("logout"):
                await self.dialogue.logout(conn, self.trace)
        except (CheckFailure, OSError, Overrun) as problem:
            self.trace.warn(f"logout: {problem}")
