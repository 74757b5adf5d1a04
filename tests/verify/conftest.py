"""Real Dovecot instances with real mailboxes for the inbox verification tests.

Each instance's passwd-file has the users of ``tests.checks.servers`` plus
``carol@test.example`` (who logs in with her address). Before the first login the
fixture writes messages into alice's ``Maildir/new`` and creates a ``Projects`` folder
(Maildir++ ``.Projects``), owned by the user Dovecot runs the mail processes as.
The CA-signed instance also offers QUOTA (imap_quota, 10 MiB).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checks import servers
from tests.checks.pki import Pki, make_pki
from tests.verify.verify_support import CAROL, DELIVERED

QUOTA_CONF = (
    "mail_plugins = $mail_plugins quota\n"
    "protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n"
    "plugin {\n  quota = maildir:User quota\n  quota_rule = *:storage=10M\n}\n"
)


@dataclass(frozen=True)
class Mailservers:
    good: servers.Dovecot  # CA-signed, QUOTA; STARTTLS on plain_port, TLS on tls_port
    self_signed: servers.Dovecot
    no_tls: servers.Dovecot  # never advertises STARTTLS


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "dovecot:dovecot", str(path)], check=True)


def deliver(home: Path, count: int) -> None:
    """``count`` RFC 5322 messages in ``home``'s INBOX and an empty Projects folder."""
    maildir = home / "Maildir"
    for folder in (maildir, maildir / ".Projects"):
        for part in ("new", "cur", "tmp"):
            (folder / part).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (maildir / "new" / f"1700000000.M{n}P1.test").write_bytes(
            f"From: bob@test.example\r\nTo: alice@test.example\r\nSubject: message {n}\r\n"
            f"Message-ID: <{n}@test.example>\r\n\r\nBody {n}.\r\n".encode()
        )
    _chown(home)


def _with_mailboxes(instance: servers.Dovecot) -> servers.Dovecot:
    with (instance.directory / "passwd").open("a") as users:
        users.write(f"{CAROL[0]}:{{PLAIN}}{CAROL[1]}\n")
    deliver(instance.directory / "home" / "alice", DELIVERED)
    return instance


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def mailservers(pki: Pki) -> Iterator[Mailservers]:
    # Not under pytest's private temporary directory: Dovecot's processes read it.
    root = Path(tempfile.mkdtemp(prefix="mailctl-verify-"))
    root.chmod(0o755)
    started: list[servers.Dovecot] = []
    try:
        for name, pair, extra in (
            ("good", pki.good, QUOTA_CONF),
            ("self-signed", pki.self_signed, ""),
            ("no-tls", None, ""),
        ):
            started.append(_with_mailboxes(servers.start_dovecot(root / name, pair, extra)))
        yield Mailservers(*started)
    finally:
        servers.stop_dovecots(started)
        shutil.rmtree(root, ignore_errors=True)
