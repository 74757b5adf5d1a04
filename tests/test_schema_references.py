"""Every ``$schema`` reference mailctl writes into a file leads somewhere that exists.

Domains files (``export``, ``import autoconfig``, ``init``) name the schema by a path
relative to the file, ``domains.schema.json``, and say in a comment how to write it
there; with that file beside them, an editor finds a schema that accepts them. JSON
files (allowlists) carry the schema's ``$id``: an identifier, not an address, equal to
the ``$id`` of the committed schema file that ``mailctl schema NAME`` prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from reconciler.allowlist.formats.json_format import SCHEMA_ID
from reconciler.autoconfig.ispdb import Entry
from reconciler.autoconfig.merge import render_new
from reconciler.desired.model import Domain, Endpoint
from reconciler.desired.schemas import SCHEMAS
from reconciler.desired.schemas import render as render_schema
from reconciler.desired.starter import STARTER
from reconciler.desired.state import StoredState
from reconciler.desired.to_yaml import to_yaml
from reconciler.errors import Location
from tests.conftest import ROOT

IMAP = Endpoint(host="imap.example.com", port=993, security="ssl")
SMTP = Endpoint(host="smtp.example.com", port=587, security="starttls")
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def _written() -> dict[str, str]:
    state = StoredState(
        lineage="0123456789abcdef0123456789abcdef",
        serial=3,
        domains={"example.com": Domain(name="example.com", imap=IMAP, smtp=SMTP)},
    )
    entry = Entry("example.org", IMAP, SMTP, "Example", Location("config.xml", 1, 1))
    return {"export": to_yaml(state), "import": render_new([entry]), "init": STARTER}


def test_domains_files_point_at_a_schema_file_beside_them_and_say_how_to_write_it(
    tmp_path: Path,
) -> None:
    for command, text in _written().items():
        modeline = MODELINE.match(text)
        assert modeline is not None, command
        reference = modeline.group(1)
        assert "://" not in reference, command  # no address that no server serves
        assert f"mailctl schema domains > {reference}" in text, command
        # Do what the comment says; the reference then leads to a schema that fits.
        folder = tmp_path / command
        folder.mkdir()
        (folder / reference).write_text(render_schema("domains"))
        schema = json.loads((folder / reference).read_text())
        jsonschema.validate(yaml.safe_load(text), schema)


def test_an_export_is_still_recognised_as_mailctl_s_own() -> None:
    from reconciler.app.overwrite import exported_by_mailctl

    assert exported_by_mailctl(_written()["export"].encode())


def test_json_files_carry_the_id_of_the_committed_schema_file() -> None:
    for name in SCHEMAS:
        committed = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
        assert committed["$id"] == f"https://mailctl.dev/schemas/{name}.schema.json"
        assert json.loads(render_schema(name))["$id"] == committed["$id"]
    allowlist = json.loads((ROOT / "schemas" / "allowlist.schema.json").read_text())
    assert allowlist["$id"] == SCHEMA_ID
