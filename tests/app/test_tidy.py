"""``init`` and ``fmt`` through their use cases: files in, files out, nothing printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.app import tidy
from reconciler.desired.canonical import canonical
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.loader import Loaded, load
from reconciler.errors import InputError, MailctlError
from reconciler.plan.status import EXIT_CHANGES, EXIT_OK

ROOT = Path(__file__).resolve().parent.parent.parent

MESSY = """\
# top comment
domains:
    example.com:   # the main one
        smtp: {security: starttls, host: smtp.example.com, port: 587}
        imap:
            port: 993
            host: imap.example.com
        use_static_ip_addresses: true
connection_ips:
    ranges:
    - 192.0.2.0/28
version: 1
"""

CANONICAL = """\
# top comment
version: 1
connection_ips:
  ranges:
    - 192.0.2.0/28
domains:
  example.com:     # the main one
    imap:
      host: imap.example.com
      port: 993
    smtp: {host: smtp.example.com, port: 587, security: starttls}
    use_static_ip_addresses: true
"""


def test_init_writes_a_starter_that_validates(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    done = tidy.init(tidy.InitOptions(path))
    assert done.path == path and done.status == EXIT_OK
    text = path.read_text()
    loaded = load(path)
    assert list(loaded.desired.domains) == ["example.com"]
    # Validates under the strictest policy too: no credential is live in the starter.
    load(path, CredentialPolicy.from_env({"MAILCTL_CREDENTIAL_ENV": ""}))
    # Credentials it shows use the names the default policy allows.
    assert "username_env: MAIL_LOGIN_EXAMPLE_USER" in text
    # The schema it points editors at is the one `mailctl schema` prints, documented
    # in the file itself.
    assert text.startswith("# yaml-language-server: $schema=domains.schema.json\n")
    assert "mailctl schema domains > domains.schema.json" in text
    assert canonical(text) == text  # fmt leaves the starter alone


def test_init_never_replaces_a_file(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text("mine\n")
    with pytest.raises(MailctlError, match="exists; mailctl init never replaces"):
        tidy.init(tidy.InitOptions(path))
    assert path.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["domains.yaml"]  # no temp left


def test_init_into_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MailctlError, match="cannot write"):
        tidy.init(tidy.InitOptions(tmp_path / "nope" / "domains.yaml"))


def test_fmt_rewrites_in_canonical_form_keeping_comments(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(MESSY)
    done = tidy.fmt(tidy.FmtOptions(path))
    assert done.changed == (path,) and done.status == EXIT_OK
    assert path.read_text() == CANONICAL
    after, before = load(path).desired, load_text(tmp_path, MESSY).desired
    assert (after.domains, after.connection_ranges) == (before.domains, before.connection_ranges)
    again = tidy.fmt(tidy.FmtOptions(path))
    assert again.changed == () and path.read_text() == CANONICAL


def load_text(tmp_path: Path, text: str) -> Loaded:
    other = tmp_path / "other" / "domains.yaml"
    other.parent.mkdir()
    other.write_text(text)
    return load(other)


def test_fmt_check_writes_nothing_and_says_changes(tmp_path: Path) -> None:
    folder = tmp_path / "domains"
    folder.mkdir()
    (folder / "a.yaml").write_text(CANONICAL)
    messy = folder / "b.yaml"
    messy.write_text(
        MESSY.replace("example.com", "b.example").replace(
            "connection_ips:\n    ranges:\n    - 192.0.2.0/28\n", ""
        )
    )
    before = messy.read_bytes()
    done = tidy.fmt(tidy.FmtOptions(folder, check=True))
    assert (done.changed, done.status) == ((messy,), EXIT_CHANGES)
    assert messy.read_bytes() == before
    assert tidy.fmt(tidy.FmtOptions(folder / "a.yaml", check=True)).status == EXIT_OK


def test_fmt_refuses_a_file_that_does_not_validate(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    bad = MESSY.replace("port: 993", "port: 99999")
    path.write_text(bad)
    with pytest.raises(InputError) as caught:
        tidy.fmt(tidy.FmtOptions(path))
    located = [(d.location.line, d.location.column) for d in caught.value.diagnostics]
    assert (6, 19) in located, caught.value.diagnostics
    assert path.read_text() == bad


def test_fmt_keeps_a_link_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(MESSY)
    link = tmp_path / "domains.yaml"
    link.symlink_to(real)
    tidy.fmt(tidy.FmtOptions(link))
    assert link.is_symlink() and real.read_text() == CANONICAL


def test_the_example_is_canonical() -> None:
    text = (ROOT / "examples" / "domains.yaml").read_text()
    assert canonical(text) == text
