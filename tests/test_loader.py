"""The loader: merging files, defaults, normalisation, warnings and hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.desired.canonical import canonical
from reconciler.desired.loader import load
from reconciler.desired.model import Domain, Endpoint
from reconciler.desired.yaml_text import MAX_FILE_BYTES
from reconciler.errors import InputError, Location
from tests.conftest import EXAMPLES


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


DOMAIN = "    imap: {host: imap.example.com}\n    smtp: {host: smtp.example.com}\n"


def test_example_loads_with_every_feature_it_promises() -> None:
    loaded = load(EXAMPLES / "domains.yaml")
    desired = loaded.desired
    assert len(desired.domains) >= 5
    securities = {d.imap.security for d in desired.domains.values()} | {
        d.smtp.security for d in desired.domains.values()
    }
    assert {"ssl", "starttls"} <= securities
    pinned = [d for d in desired.domains.values() if d.certificate_sha256]
    assert pinned and all(d.allow_non_secure_certificate for d in pinned)
    statics = {d.use_static_ip_addresses for d in desired.domains.values()}
    assert statics == {True, False}
    assert any(":" in r for r in desired.connection_ranges)
    assert any("." in r for r in desired.connection_ranges)
    assert loaded.warnings == ()


def test_defaults_merge_field_by_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.yaml",
        "version: 1\n"
        "defaults:\n  imap: {port: 1993}\n  smtp: {security: starttls}\n"
        "domains:\n"
        "  a.example.com:\n    imap: {host: i.example.com}\n    smtp: {host: s.example.com}\n"
        "  b.example.com:\n    imap: {host: i.example.com, port: 143, security: starttls}\n"
        "    smtp: {host: s.example.com, port: 2525}\n",
    )
    domains = load(path).desired.domains
    # port from defaults, security built in (ssl); security from defaults, port built in.
    assert domains["a.example.com"].imap == Endpoint(
        host="i.example.com", port=1993, security="ssl"
    )
    assert domains["a.example.com"].smtp == Endpoint(
        host="s.example.com", port=587, security="starttls"
    )
    assert domains["b.example.com"].imap.port == 143
    assert domains["b.example.com"].smtp == Endpoint(
        host="s.example.com", port=2525, security="starttls"
    )


def test_builtin_defaults_are_implicit_tls(tmp_path: Path) -> None:
    path = write(tmp_path / "d.yaml", "version: 1\ndomains:\n  a.example.com:\n" + DOMAIN)
    domain = load(path).desired.domains["a.example.com"]
    assert domain == Domain(
        name="a.example.com",
        imap=Endpoint(host="imap.example.com", port=993, security="ssl"),
        smtp=Endpoint(host="smtp.example.com", port=465, security="ssl"),
    )


def test_folder_is_merged_recursively_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    write(tmp_path / "base.yaml", "version: 1\nconnection_ips:\n  ranges: [192.0.2.0/28]\n")
    write(tmp_path / "eu" / "shop.yml", "version: 1\ndomains:\n  shop.example.eu:\n" + DOMAIN)
    write(tmp_path / "us.yaml", "version: 1\ndomains:\n  Shop.Example.US.:\n" + DOMAIN)
    write(tmp_path / ".hidden" / "x.yaml", "not: [valid")
    write(tmp_path / ".draft.yaml", "not: [valid")
    write(tmp_path / "README.md", "# notes")
    loaded = load(tmp_path)
    assert list(loaded.desired.domains) == ["shop.example.eu", "shop.example.us"]
    assert loaded.files == (
        str(tmp_path / "base.yaml"),
        str(tmp_path / "eu" / "shop.yml"),
        str(tmp_path / "us.yaml"),
    )
    assert loaded.places["shop.example.us"] == Location(str(tmp_path / "us.yaml"), 3, 3)
    assert loaded.desired.connection_ranges == ("192.0.2.0/28",)


def test_a_file_linked_from_outside_the_folder_is_never_read(tmp_path: Path) -> None:
    folder = tmp_path / "domains"
    write(folder / "base.yaml", "version: 1\ndomains:\n  a.example:\n" + DOMAIN)
    secret = write(tmp_path / "runner-key.yaml", "not: [yaml, secret-token-1234")
    (folder / "evil.yaml").symlink_to(secret)
    kept = write(folder / ".kept" / "b.yaml", "version: 1\ndomains:\n  b.example:\n" + DOMAIN)
    (folder / "b.yaml").symlink_to(kept)  # a link that stays inside is read
    with pytest.raises(InputError) as caught:
        load(folder)
    (only,) = caught.value.diagnostics
    assert only.location == Location(str(folder / "evil.yaml"))
    assert only.message == "is a link to a file outside the folder being read; it was not read"
    assert "secret-token" not in str(caught.value)
    (folder / "evil.yaml").unlink()
    assert list(load(folder).desired.domains) == ["a.example", "b.example"]


def test_domains_are_sorted_by_normalised_name(tmp_path: Path) -> None:
    body = "".join(f"  {n}:\n{DOMAIN}" for n in ["c.example", "A.example", "b.example"])
    loaded = load(write(tmp_path / "d.yaml", "version: 1\ndomains:\n" + body))
    assert list(loaded.desired.domains) == ["a.example", "b.example", "c.example"]


def test_empty_folder_and_missing_path_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path)
    assert caught.value.diagnostics[0].message == "folder holds no *.yaml or *.yml files"
    with pytest.raises(InputError) as caught:
        load(tmp_path / "nope.yaml")
    assert caught.value.diagnostics[0].message == "no such file or folder"


def test_ipv6_ranges_in_flow_brackets_are_accepted(tmp_path: Path) -> None:
    # ruamel's C scanner refuses 2001:db8:10::/48 inside [ ]; YAML 1.2 allows it.
    path = write(
        tmp_path / "d.yaml",
        "version: 1\nconnection_ips:\n  ranges: [192.0.2.0/28, 2001:db8:10::/48, 2001:DB8::]\n",
    )
    assert load(path).desired.connection_ranges == (
        "192.0.2.0/28",
        "2001:db8:10::/48",
        "2001:db8::/128",
    )


def test_single_addresses_become_host_ranges_and_duplicates_collapse(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.yaml",
        "version: 1\nconnection_ips:\n  ranges: [192.0.2.7, 192.0.2.7/32, 10.0.0.0/8]\n",
    )
    assert load(path).desired.connection_ranges == ("192.0.2.7/32", "10.0.0.0/8")


def test_fingerprint_is_normalised_to_colon_pairs(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.yaml",
        "version: 1\ndomains:\n  a.example.com:\n"
        + DOMAIN
        + "    allow_non_secure_certificate: true\n"
        + "    certificate_sha256: "
        + "ab" * 32
        + "\n",
    )
    pin = load(path).desired.domains["a.example.com"].certificate_sha256
    assert pin == ":".join(["AB"] * 32)


def test_anchors_and_merge_keys_for_shared_blocks_are_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.yaml",
        "version: 1\n"
        "domains:\n"
        "  a.example.com:\n"
        "    imap: &provider {host: imap.provider.example, port: 143, security: starttls}\n"
        "    smtp: {host: smtp.provider.example}\n"
        "  b.example.com:\n"
        "    imap: *provider\n"
        "    smtp:\n"
        "      <<: {host: smtp.provider.example, port: 25}\n"
        "      port: 587\n"
        "      security: starttls\n",
    )
    domains = load(path).desired.domains
    assert domains["b.example.com"].imap == domains["a.example.com"].imap
    assert domains["b.example.com"].smtp.port == 587


def test_an_anchor_defined_again_names_its_latest_block_without_a_python_warning(
    tmp_path: Path,
) -> None:
    """YAML allows it; ruamel.yaml warns through Python's warnings (an error under the
    suite's ``-W error``, a stray report on stderr otherwise). Formatting reads it too."""
    text = (
        "version: 1\n"
        "domains:\n"
        "  a.example.com:\n"
        "    imap: &p {host: imap.one.example, port: 993}\n"
        "    smtp: {host: smtp.one.example}\n"
        "  b.example.com:\n"
        "    imap: &p {host: imap.two.example, port: 993}\n"
        "    smtp: {host: smtp.two.example}\n"
        "  c.example.com:\n"
        "    imap: *p\n"
        "    smtp: {host: smtp.two.example}\n"
    )
    path = write(tmp_path / "d.yaml", text)
    loaded = load(path).desired
    assert loaded.domains["c.example.com"].imap.host == "imap.two.example"
    assert load(write(tmp_path / "f.yaml", canonical(text))).desired == loaded


def test_warnings_do_not_fail_but_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.yaml",
        "version: 1\ndomains:\n  a.example.com:\n"
        "    imap: {host: imap.example.com, port: 993, security: starttls}\n"
        "    smtp: {host: smtp.example.com, port: 25, security: none}\n",
    )
    warnings = load(path).warnings
    assert [(w.location.line, w.message) for w in warnings] == [
        (
            4,
            "imap of a.example.com uses security starttls on port 993, where IMAP uses ssl",
        ),
        (
            5,
            "smtp of a.example.com uses security: none: passwords and mail cross the network "
            "unencrypted",
        ),
    ]
    assert all(w.severity == "warning" for w in warnings)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no 32 MiB written to disk
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load(path)
    assert time.monotonic() - started < 1
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.message == "file is 32.0 MiB; mailctl reads files of at most 32 MiB"
    assert diagnostic.hint == "split the domains over several files in one folder"


def test_all_errors_of_all_files_come_at_once_sorted(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", "version: 1\ndomains:\n  x.example:\n    imap: {}\n")
    write(tmp_path / "a.yaml", "version: 3\n")
    with pytest.raises(InputError) as caught:
        load(tmp_path)
    places = [(Path(d.location.file).name, d.location.line) for d in caught.value.diagnostics]
    assert places == [("a.yaml", 1), ("b.yaml", 3), ("b.yaml", 4)]


def test_secret_hint_and_no_secret_in_any_message(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.yaml",
        "version: 1\ndomains:\n  a.example.com:\n" + DOMAIN + "    token: s3cr3t-canary\n",
    )
    with pytest.raises(InputError) as caught:
        load(path)
    (diagnostic,) = caught.value.diagnostics
    assert "s3cr3t-canary" not in str(diagnostic)
    assert "credentials.password_env" in diagnostic.hint


def test_desired_state_is_frozen(tmp_path: Path) -> None:
    domain = load(EXAMPLES / "domains.yaml").desired.domains["example.com"]
    with pytest.raises(ValueError, match="frozen"):
        domain.imap.port = 1  # type: ignore[misc]
