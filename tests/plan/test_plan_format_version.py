"""A saved plan names its format; plans record their ``decisions`` since format 2.

A plan of format 1 (made before plans recorded decisions) is refused with the way
forward, plan again, rather than read as having no decisions: its reviewer saw gates
lifted that this mailctl would refuse to honour, and its checksum and signature seal
what the older mailctl wrote. A plan of a newer format is refused as before. The
schema published for plans says the same. Through ``planfile.read``, which ``apply
PLAN`` and ``show PLAN`` both use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.app import planfile
from reconciler.app.plan import PlanRequest, plan
from reconciler.errors import InputError
from reconciler.plan.document import PLAN_FORMAT_VERSION
from tests.cli_support import OFFLINE, mailctl
from tests.conftest import ROOT

DOMAINS = "version: 1\ndomains:\n  a.example:\n    imap: {host: imap.a.example}\n"


def made(tmp_path: Path) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(DOMAINS + "    smtp: {host: smtp.a.example}\n")
    out = tmp_path / "plan.json"
    url = f"sqlite:///{tmp_path / 'state.db'}"
    plan(PlanRequest(path, state_url=url, lifted=frozenset({"checks"}), out=out))
    return out


def as_format(path: Path, version: int, *, decisions: bool) -> None:
    data = json.loads(path.read_text())
    data["format_version"] = version
    if not decisions:
        del data["decisions"]
    path.write_text(json.dumps(data, indent=2))


def test_a_plan_with_decisions_is_of_format_2(tmp_path: Path) -> None:
    data = json.loads(made(tmp_path).read_text())
    assert PLAN_FORMAT_VERSION == 2
    assert data["format_version"] == 2 and "decisions" in data
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    assert schema["properties"]["format_version"]["const"] == 2


def test_a_plan_made_by_an_older_mailctl_is_refused_with_the_way_forward(tmp_path: Path) -> None:
    out = made(tmp_path)
    as_format(out, 1, decisions=False)
    with pytest.raises(InputError) as refused:
        planfile.read(out)
    (diagnostic,) = refused.value.diagnostics
    assert diagnostic.location.file == str(out)
    assert "plan format 1 was made by an older mailctl" in diagnostic.message
    assert "Extra inputs" not in diagnostic.message
    assert diagnostic.hint.startswith("plan again with this mailctl")


def test_a_plan_of_a_newer_format_is_refused_as_newer(tmp_path: Path) -> None:
    out = made(tmp_path)
    as_format(out, 3, decisions=True)
    with pytest.raises(InputError, match="plan format 3 is newer than this mailctl"):
        planfile.read(out)


def test_apply_of_an_older_plan_exits_1_naming_the_file(tmp_path: Path) -> None:
    out = made(tmp_path)
    as_format(out, 1, decisions=False)
    ran = mailctl("apply", str(out), *OFFLINE["apply"], cwd=tmp_path)
    assert ran.returncode == 1
    assert f"{out}: error: plan format 1 was made by an older mailctl" in ran.stderr
    assert not (tmp_path / ".mailctl").exists()
