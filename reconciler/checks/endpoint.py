"""Check one endpoint: resolve -> guard -> TCP -> TLS -> certificate -> protocol -> login.

The way to the server (resolve, guard, TCP) is :mod:`~reconciler.checks.reach`, the TLS
step and its certificate :mod:`~reconciler.checks.tls_step`; here are the protocol steps
(greeting, capabilities, login, logout) in their order, and the mapping of every way a
check can end to its result.

``check_endpoint`` never raises for a network problem: every outcome is a
``CheckResult`` whose message starts with ``host:port:``. Each step has a timeout and
the whole check a deadline. Credentials are read from ``env`` and never leave the
connection they are sent on (see ``Connection.quote``).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Mapping
from pathlib import Path

from reconciler.checks.dialogue import Credentials, credentials_for
from reconciler.checks.limits import ServerSlots
from reconciler.checks.reach import describe
from reconciler.checks.session import (
    CheckFailure,
    Connection,
    Connector,
    Trace,
    open_tcp,
    waiting_for,
)
from reconciler.checks.tls_step import Secure, dialogue_for, tls_failure
from reconciler.checks.wire import Overrun
from reconciler.net.resolver import Resolver, system_resolver
from reconciler.net.tls import verifying_context
from reconciler.plan.evidence import CheckResult, CheckTarget
from reconciler.plan.servertext import ServerText

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
        trace.failure = CheckFailure("tls", tls_failure(error, target))
    except OSError as error:
        trace.failure = CheckFailure(
            trace.current, f"connection failed {waiting_for(trace.current)}: {describe(error)}"
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


class _Check(Secure):
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
        super().__init__(target, trace, allow_private, resolver, connector, address_slots)
        self.credentials = credentials
        self.verifying = verifying
        self.dialogue = dialogue_for(target)

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
