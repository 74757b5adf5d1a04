"""The autoconfig export and import use cases called directly: values out, nothing
printed; bad input writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.app import autoconfig
from reconciler.errors import InputError, MailctlError
from tests.app_support import seeded
from tests.autoconfig.xml_support import provider_xml
from tests.store.requests import domain


def test_export_from_the_store_counts_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "public"
    empty = autoconfig.ExportOptions(out, state_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(MailctlError, match="nothing has been applied there yet"):
        autoconfig.export(empty)
    assert not out.exists()
    url = seeded(tmp_path, [domain("a.example"), domain("b.example")])
    first = autoconfig.export(autoconfig.ExportOptions(out, state_url=url))
    assert (first.domains, len(first.written), first.unchanged, first.removed) == (2, 7, 0, ())
    again = autoconfig.export(autoconfig.ExportOptions(out, state_url=url))
    assert (again.written, again.unchanged) == ((), 7)


def test_import_prints_or_merges(tmp_path: Path) -> None:
    xml = tmp_path / "p.xml"
    xml.write_text(provider_xml(domains=("example.net", "example.org")))
    printed = autoconfig.import_autoconfig(autoconfig.ImportOptions((xml,)))
    assert (printed.domains, printed.files, printed.skipped, printed.out) == (2, 1, (), None)
    assert "  example.net:" in printed.text
    out = tmp_path / "domains.yaml"
    out.write_text(
        "version: 1\ndomains:\n  example.org:  # mine\n"
        "    imap: {host: imap.mine}\n    smtp: {host: smtp.mine}\n"
    )
    merged = autoconfig.import_autoconfig(autoconfig.ImportOptions((xml,), out))
    assert (merged.added, merged.replaced, merged.kept) == (("example.net",), (), ("example.org",))
    assert out.read_text() == merged.text
    assert "example.org:  # mine" in merged.text


def test_bad_xml_is_an_input_error_and_nothing_is_written(tmp_path: Path) -> None:
    xml = tmp_path / "bad.xml"
    xml.write_text(provider_xml(imap_port="99999"))
    out = tmp_path / "domains.yaml"
    with pytest.raises(InputError):
        autoconfig.import_autoconfig(autoconfig.ImportOptions((xml,), out))
    assert not out.exists()
