"""The published JSON Schema: generated from the models, committed, and in agreement
with mailctl's own validation wherever JSON Schema can express a rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from reconciler.desired.discovery import discover
from reconciler.desired.loader import load
from reconciler.desired.schemas import SCHEMAS, render
from reconciler.errors import InputError
from tests.conftest import EXAMPLES, FIXTURES, ROOT, Run

BAD = FIXTURES / "bad"

# Rules mailctl enforces that a JSON Schema of one file cannot express. For these
# fixtures jsonschema accepts what mailctl rejects; every other fixture must get the
# same verdict from both.
SCHEMA_CANNOT_EXPRESS = {
    "cidr_host_bits.yaml": "host bits: whether an address is the network address of its prefix",
    "domain_twice_case_and_dot.yaml": "the same domain after normalisation (case, trailing dot)",
    "domain_twice_idna.yaml": "the same domain after IDNA encoding",
    "domain_twice_across_files": "a rule across files",
    "defaults_in_two_files": "a rule across files",
    "host_bad_a_label.yaml": "whether an xn-- label decodes to valid IDNA",
    "static_ip_without_ranges.yaml": "a rule between a domain and the top-level ranges",
    "pin_without_tls.yaml": "a rule between a pin and the resolved security of both endpoints",
    "cidr_everything.yaml": "a prefix length of 0",
    "feed_path_outside.yaml": "where a relative path leads",
    "feed_url_with_password.yaml": "the parts of a URL",
    "feed_url_without_pin.yaml": "a key required only when another key is set",
    "feed_path_and_url.yaml": "exactly one of two keys",
    "feed_filter_of_other_format.yaml": "which keys a feed takes depends on its format",
    "feed_github_without_keys.yaml": "a key required for one value of another key",
    "alias_bomb.yaml": "alias expansion (it is not even validated: expanding it is the attack)",
}


def _schema() -> dict[str, Any]:
    return json.loads(render("domains"))


def _schema_verdict(path: Path) -> bool:
    """True when every YAML file at ``path`` loads and validates against the schema."""
    validator = jsonschema.Draft202012Validator(_schema())
    for file in discover(path):
        try:
            data = YAML(typ="safe", pure=True).load(file.read_text(encoding="utf-8"))
        except Exception:
            return False  # a file no YAML loader accepts is invalid for both
        if not validator.is_valid(data):
            return False
    return True


def _mailctl_verdict(path: Path) -> bool:
    try:
        load(path)
    except InputError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_the_generated_one(name: str) -> None:
    committed = (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == render(name), (
        f"schemas/{name}.schema.json is out of date: run "
        f"'mailctl schema {name} > schemas/{name}.schema.json'"
    )


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())


def test_schema_command_prints_the_committed_file(run_mailctl: Run) -> None:
    result = run_mailctl("schema")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schemas" / "domains.schema.json").read_text()


def test_example_is_valid_for_both() -> None:
    assert _schema_verdict(EXAMPLES / "domains.yaml")
    assert _mailctl_verdict(EXAMPLES / "domains.yaml")


@pytest.mark.parametrize(
    "name", sorted(p.name for p in BAD.iterdir() if p.name not in SCHEMA_CANNOT_EXPRESS)
)
def test_schema_and_mailctl_agree_on_bad_input(name: str) -> None:
    assert _mailctl_verdict(BAD / name) is False
    assert _schema_verdict(BAD / name) is False


@pytest.mark.parametrize("name", sorted(n for n in SCHEMA_CANNOT_EXPRESS if n != "alias_bomb.yaml"))
def test_listed_exceptions_really_are_beyond_the_schema(name: str) -> None:
    # If the schema learns to catch one of these, it must leave the list.
    assert _mailctl_verdict(BAD / name) is False
    assert _schema_verdict(BAD / name) is True


def test_every_exception_names_an_existing_fixture() -> None:
    assert set(SCHEMA_CANNOT_EXPRESS) <= {p.name for p in BAD.iterdir()}


def test_modeline_in_example_points_at_the_schema() -> None:
    first = (EXAMPLES / "domains.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/domains.schema.json"
