"""The installed ``mailctl autoconfig export`` and ``mailctl import autoconfig`` as
subprocesses: exit codes, and what goes to standard output and what to standard error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.autoconfig.xml_support import provider_xml
from tests.conftest import Run

pytestmark = pytest.mark.smoke


def test_import_then_export(tmp_path: Path, run_mailctl: Run) -> None:
    xml = tmp_path / "example.net.xml"
    xml.write_text(provider_xml())
    printed = run_mailctl("import", "autoconfig", str(xml))
    assert printed.returncode == 0, printed.stderr
    assert "  example.net:" in printed.stdout
    assert printed.stderr == "Imported 1 domain from 1 file; skipped 0.\n"
    domains = tmp_path / "domains.yaml"
    domains.write_text("version: 1\ndomains:\n" + printed.stdout.split("domains:\n", 1)[1])

    out = tmp_path / "public"
    exported = run_mailctl(
        "autoconfig", "export", str(domains), "--from", "desired", "--out", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == ""
    assert exported.stderr.startswith(f"{out}: 1 domain: wrote ")
    assert (out / "www" / "example.net" / "mail" / "config-v1.1.xml").is_file()

    broken = tmp_path / "broken.xml"
    broken.write_text("<clientConfig>")
    failed = run_mailctl("import", "autoconfig", str(broken))
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert f"{broken}:" in failed.stderr
