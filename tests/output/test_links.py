"""No write, replacement, removal or lock of an output folder leaves it: links in the
folder (a pull request can commit them) are refused, never followed, and nothing is
written; the files they point at keep their bytes, and nothing appears beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.allowlist import writer as allowlist_writer
from reconciler.allowlist.formats import FORMATS
from reconciler.allowlist.rules import Allowlist, Origin, build
from reconciler.autoconfig import writer as autoconfig_writer
from reconciler.errors import InputError
from tests.output.support import domain, tree

ALL = tuple(FORMATS.values())
CONFIG = "www/example.com/mail/config-v1.1.xml"


def allowlist(*names: str) -> Allowlist:
    return build(
        ("192.0.2.0/28", "2001:db8:10::/48"),
        [domain(n) for n in names],
        Origin("stored", "L1", 1),
    )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder outside the output folder, holding a file that is not mailctl's."""
    folder = tmp_path / "elsewhere"
    (folder / "mail").mkdir(parents=True)
    (folder / "mail" / "config-v1.1.xml").write_bytes(b"precious\n")
    return folder


# --- autoconfig export ----------------------------------------------------------------


def test_export_refuses_a_linked_domain_folder_listed_in_the_manifest(
    tmp_path: Path, elsewhere: Path
) -> None:
    out = tmp_path / "public"
    (out / "www").mkdir(parents=True)
    (out / "www" / "example.com").symlink_to(elsewhere)
    (out / autoconfig_writer.MANIFEST).write_text(f"{CONFIG}\n")
    outside, inside = tree(elsewhere), tree(out)
    with pytest.raises(InputError) as caught:
        autoconfig_writer.export_domains(out, {"example.com": domain("example.com")})
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location.file == str(out / "www" / "example.com")
    assert diagnostic.message.startswith("is a symbolic link: ")
    assert tree(elsewhere) == outside  # the foreign file keeps its bytes
    # nothing written, not even the manifest (the lock file is beside the folder)
    assert tree(out) == inside


def test_export_writes_nothing_through_a_linked_folder_it_would_create_files_in(
    tmp_path: Path,
) -> None:
    out, elsewhere = tmp_path / "public", tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "www").symlink_to(elsewhere)  # higher up, and the folder is empty
    with pytest.raises(InputError, match="is a symbolic link"):
        autoconfig_writer.export_domains(out, {"example.com": domain("example.com")})
    assert list(elsewhere.iterdir()) == []
    assert tree(out) == {"www": ("link", str(elsewhere))}


def test_export_refuses_a_listed_file_that_is_a_link(tmp_path: Path, elsewhere: Path) -> None:
    out = tmp_path / "public"
    autoconfig_writer.export_domains(out, {"example.com": domain("example.com")})
    target = out / CONFIG
    target.unlink()
    target.symlink_to(elsewhere / "mail" / "config-v1.1.xml")
    before = tree(out)
    with pytest.raises(InputError) as caught:
        autoconfig_writer.export_domains(out, {"example.com": domain("example.com")})
    assert caught.value.diagnostics[0].location.file == str(target)
    assert tree(out) == before
    assert (elsewhere / "mail" / "config-v1.1.xml").read_bytes() == b"precious\n"


def test_export_removes_nothing_through_a_linked_folder(tmp_path: Path, elsewhere: Path) -> None:
    out = tmp_path / "public"
    autoconfig_writer.export_domains(out, {"example.com": domain("example.com")})
    (out / "www" / "example.org").symlink_to(elsewhere)
    manifest = out / autoconfig_writer.MANIFEST
    manifest.write_text(manifest.read_text() + "www/example.org/mail/config-v1.1.xml\n")
    report = autoconfig_writer.export_domains(out, {"example.com": domain("example.com")})
    assert report.removed == ()
    assert (elsewhere / "mail" / "config-v1.1.xml").read_bytes() == b"precious\n"
    assert (out / "www" / "example.org").is_symlink()


# --- allowlists -----------------------------------------------------------------------


def test_allowlist_refuses_a_listed_file_that_is_a_link(tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    allowlist_writer.write(out, allowlist("a.example"), ALL)
    (out / "a.example.txt").unlink()
    (out / "a.example.txt").symlink_to(victim)
    before = tree(out)
    with pytest.raises(InputError) as caught:
        allowlist_writer.write(out, allowlist("a.example", "b.example"), ALL)
    assert caught.value.diagnostics[0].location.file == str(out / "a.example.txt")
    assert tree(out) == before
    assert victim.read_bytes() == b"precious\n"


def test_allowlist_refuses_a_manifest_that_is_a_link(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere.json"
    elsewhere.write_bytes(b"{}")
    out.mkdir()
    (out / allowlist_writer.MANIFEST).symlink_to(elsewhere)
    with pytest.raises(InputError, match="is a symbolic link"):
        allowlist_writer.write(out, allowlist("a.example"), ALL)
    assert elsewhere.read_bytes() == b"{}"
    assert sorted(p.name for p in out.iterdir()) == [allowlist_writer.MANIFEST]
