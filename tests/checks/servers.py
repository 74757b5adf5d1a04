"""Real servers on loopback for the check tests: Dovecot, aiosmtpd, a silent listener.

Everything listens on 127.0.0.x only, on ports picked here, and is stopped by PID (or
in-process) at the end of the session.
"""

from __future__ import annotations

import getpass
import os
import pwd
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.checks.pki import Pair

# name -> password, for Dovecot's passwd-file and the SMTP authenticator.
USERS = {
    "alice": "wonderland",
    "bob": 'pä"ss\\word',  # must travel as an IMAP literal
    "canary": "canary-7f3a9c51-e2d4-4b0f-9a1e-5d6c7b8a9f00",  # see test_secrets.py
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    give_up = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.02)


@dataclass
class Dovecot:
    """A private Dovecot instance; ``plain_port`` offers STARTTLS unless ``ssl`` is no."""

    directory: Path
    plain_port: int
    tls_port: int

    @property
    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pid(self) -> int:
        return int((self.directory / "run" / "master.pid").read_text().strip())


def _dovecot_conf(directory: Path, pair: Pair | None, plain: int, tls: int, users: Path) -> str:
    root = os.geteuid() == 0
    owner = "dovecot" if root else getpass.getuser()
    ssl_lines = (
        f"ssl = required\nssl_cert = <{pair.cert}\nssl_key = <{pair.key}\n"
        "ssl_dh = </usr/share/dovecot/dh.pem\n"
        if pair is not None
        else "ssl = no\n"
    )
    tls_listener = (
        f"  inet_listener imaps {{\n    port = {tls}\n    ssl = yes\n  }}\n" if pair else ""
    )
    return (
        f"base_dir = {directory}/run\nstate_dir = {directory}/state\n"
        f"log_path = {directory}/dovecot.log\n"
        "protocols = imap\nlisten = 127.0.0.1, 127.0.0.2\n"
        f"{ssl_lines}"
        "auth_mechanisms = plain login\nauth_failure_delay = 0\n"
        f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {users}\n}}\n"
        f"userdb {{\n  driver = static\n  args = uid={owner} gid={owner} "
        f"home={directory}/home/%u\n}}\n"
        "mail_location = maildir:~/Maildir\n"
        f"first_valid_uid = {pwd.getpwnam(owner).pw_uid}\n"
        f"default_internal_user = {'dovecot' if root else owner}\n"
        f"default_login_user = {'dovenull' if root else owner}\n"
        "service imap-login {\n  chroot =\n"
        f"  inet_listener imap {{\n    port = {plain}\n  }}\n{tls_listener}}}\n"
        # Without this, one failed login slows every later login from 127.0.0.1 by seconds.
        "service anvil {\n  chroot =\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
    )


def start_dovecot(directory: Path, pair: Pair | None, extra_conf: str = "") -> Dovecot:
    """Start ``dovecot -c DIR/dovecot.conf``; with ``pair`` None the instance has no TLS.
    ``extra_conf`` is appended to the generated configuration."""
    directory.mkdir(parents=True)
    directory.chmod(0o755)
    home = directory / "home"
    home.mkdir()
    if os.geteuid() == 0:
        # Mail processes run as the dovecot user, which must own the homes.
        subprocess.run(["chown", "dovecot:dovecot", str(home)], check=True)
    users = directory / "passwd"
    users.write_text("".join(f"{name}:{{PLAIN}}{pw}\n" for name, pw in USERS.items()))
    plain, tls = free_port(), free_port()
    conf = directory / "dovecot.conf"
    conf.write_text(_dovecot_conf(directory, pair, plain, tls, users) + extra_conf)
    # The daemon keeps inherited pipes open: give it files, not pipes, or run() waits forever.
    with (directory / "start.err").open("wb") as errors:
        subprocess.run(
            ["dovecot", "-c", str(conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            timeout=30,
        )
    instance = Dovecot(directory, plain, tls)
    wait_for_port("127.0.0.1", plain)
    return instance


def stop_dovecots(instances: list[Dovecot]) -> None:
    """TERM every master, then wait for all of them (they stop in parallel)."""
    pids = []
    for instance in instances:
        try:
            pid = instance.pid()
            os.kill(pid, signal.SIGTERM)
            pids.append(pid)
        except (OSError, ValueError):
            continue
    give_up = time.monotonic() + 15
    for pid in pids:
        while time.monotonic() < give_up:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)


@contextmanager
def silent_listener(host: str = "127.0.0.1") -> Iterator[int]:
    """A port where the kernel completes TCP handshakes and nobody ever speaks."""
    with socket.socket() as listener:
        listener.bind((host, 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound once to learn a free number, then closed)."""
    return free_port(host)


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user = auth_data.login.decode()
    ok = USERS.get(user) == auth_data.password.decode()
    # handled=False makes aiosmtpd answer 535 itself (handled=True would send nothing).
    return AuthResult(success=ok, handled=ok)


def server_context(pair: Pair) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pair.cert, pair.key)
    return context


@contextmanager
def smtp_server(
    *,
    starttls: Pair | None = None,
    implicit: Pair | None = None,
    host: str = "127.0.0.1",
) -> Iterator[int]:
    """aiosmtpd in its own thread: STARTTLS (required before anything else), implicit
    TLS, or neither; AUTH PLAIN/LOGIN against ``USERS`` once the session is secure."""
    port = free_port(host)
    options: dict[str, Any] = {"authenticator": _authenticator}
    if starttls is not None:
        options.update(tls_context=server_context(starttls), require_starttls=True)
    if implicit is not None:
        # AUTH is advertised only on a TLS connection aiosmtpd started itself, unless
        # told that this one is secure from the start.
        options.update(ssl_context=server_context(implicit), auth_require_tls=False)
    controller = Controller(_Sink(), hostname=host, port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
