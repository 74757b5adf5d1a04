"""What every format promises beyond its golden file: the registry, byte stability, the
header, JSON that is its own canonical form and valid for the published schema, CSV
and text that read back, and refusal of names that would corrupt a firewall file."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import jsonschema
import pytest

from reconciler.allowlist.feeds import read_feed
from reconciler.allowlist.formats import COMBINED, FORMATS
from reconciler.allowlist.formats.csv_format import COLUMNS
from reconciler.allowlist.formats.json_format import AllowlistDocument, allowlist_schema
from reconciler.allowlist.rules import Allowlist, DomainRule, Origin
from tests.allowlist.formats_support import (
    ORIGIN,
    RANGES,
    RULES,
    render_all,
    rows_csv,
    sample,
)
from tests.conftest import ROOT, Run


def test_formats_in_the_documented_order() -> None:
    assert list(FORMATS) == ["nftables", "iptables", "ipset", "txt", "json", "csv"]
    assert all(f.name == key and f.description for key, f in FORMATS.items())


def test_rendering_twice_gives_the_same_bytes() -> None:
    assert render_all(sample()) == render_all(sample())


def test_rules_do_not_depend_on_the_order_of_the_ranges() -> None:
    forward = sample()
    backward = sample(ranges=reversed(RANGES))
    assert render_all(forward) == render_all(backward)


def test_every_text_file_carries_the_checksum_and_origin() -> None:
    whole = sample()
    for name, data in render_all(whole).items():
        if name.endswith((".json", ".csv")):
            continue  # no comments: the same facts are fields (JSON) or in the manifest
        stem = name.split(".rules.")[0] if ".rules." in name else name.rsplit(".", 1)[0]
        expected = whole if stem == COMBINED else _one(whole, stem)
        head = data.decode().split("\n")[:4]
        assert head[1] == f"# lineage {ORIGIN.lineage} serial 12 (stored state)", name
        assert head[2] == f"# checksum {expected.checksum} (of the rules; the same in every format)"
        assert head[3] == "# written by mailctl: edits are overwritten"


def test_a_later_serial_changes_the_header_but_not_the_checksum() -> None:
    before = sample()
    after = sample(origin=dataclasses.replace(ORIGIN, serial=13))
    assert before.checksum == after.checksum
    old, new = render_all(before), render_all(after)
    assert sorted(old) == sorted(new)
    # CSV has no header comments, so nothing in it names the serial.
    assert [name for name in old if old[name] == new[name]] == [
        name for name in old if name.endswith(".csv")
    ]


@pytest.mark.parametrize(
    ("origin", "line"),
    [
        (Origin("stored", None, 0), "# lineage none (no store yet) serial 0 (stored state)"),
        (
            Origin("desired", "abc", 4),
            "# desired state, not applied; planned against lineage abc serial 4",
        ),
    ],
)
def test_header_names_the_origin(origin: Origin, line: str) -> None:
    (_, data), *_ = FORMATS["txt"].render(sample(origin=origin), COMBINED)
    assert data.decode().split("\n")[1] == line


def test_a_per_domain_file_needs_that_domain_alone() -> None:
    whole = sample()
    for fmt in FORMATS.values():
        with pytest.raises(ValueError, match="per-domain"):
            fmt.render(whole, "example.com")
        with pytest.raises(ValueError, match="per-domain"):
            fmt.render(whole.for_domain(whole.domains[0]), "example.org")


@pytest.mark.parametrize(
    "rule",
    [
        DomainRule('evil".example', "imap.example.com", 993, "smtp.example.com", 587),
        DomainRule("line\nbreak.example", "imap.example.com", 993, "smtp.example.com", 587),
        DomainRule("Upper.Example", "imap.example.com", 993, "smtp.example.com", 587),
        DomainRule("example.com", "imap example.com", 993, "smtp.example.com", 587),
        DomainRule("example.com", "imap.example.com", 993, "smtp.example.com\n-A", 587),
    ],
    ids=["quote", "newline", "upper-case", "space-in-host", "newline-in-host"],
)
def test_names_that_are_not_normalised_are_refused(rule: DomainRule) -> None:
    allowlist = Allowlist(sources=sample().sources, domains=(rule,), origin=ORIGIN)
    for fmt in FORMATS.values():
        with pytest.raises(ValueError, match="not a normalised"):
            fmt.render(allowlist, COMBINED)


def test_ipset_usage_hint_stays_within_what_multiport_takes() -> None:
    rules = [
        DomainRule(f"d{i:02}.example", "imap.example.com", 1000 + i, "smtp.example.com", 25)
        for i in range(15)
    ]
    ((_, many),) = FORMATS["ipset"].render(sample(rules=rules), COMBINED)
    ((_, few),) = FORMATS["ipset"].render(sample(rules=rules[:13]), COMBINED)
    assert b"--dports PORTS -m set" in many
    assert b"--dports 25,1000,1001," in few


# -- JSON ------------------------------------------------------------------------------


def _json_files() -> dict[str, bytes]:
    return {n: d for n, d in render_all(sample()).items() if n.endswith(".json")}


def test_schema_command_prints_the_committed_allowlist_schema(run_mailctl: Run) -> None:
    result = run_mailctl("schema", "allowlist")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "schemas" / "allowlist.schema.json").read_text()


def test_json_is_exactly_the_standard_indented_dump() -> None:
    for name, data in _json_files().items():
        text = data.decode()
        assert text == json.dumps(json.loads(text), indent=2) + "\n", name


def test_json_is_valid_for_the_published_schema() -> None:
    validator = jsonschema.Draft202012Validator(allowlist_schema())
    for name, data in _json_files().items():
        document = json.loads(data)
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], name
        AllowlistDocument.model_validate(document)


def test_json_carries_what_the_other_formats_say_in_comments() -> None:
    whole = sample()
    document = json.loads(dict(FORMATS["json"].render(whole, COMBINED))["all.json"])
    assert document["origin"] == {"kind": "stored", "lineage": ORIGIN.lineage, "serial": 12}
    assert document["checksum"] == whole.checksum
    assert document["sources"] == {
        "ipv4": list(whole.sources.ipv4),
        "ipv6": list(whole.sources.ipv6),
    }
    assert [d["domain"] for d in document["domains"]] == [r.domain for r in whole.domains]
    assert [d["ports"] for d in document["domains"]] == [list(r.ports) for r in whole.domains]


def test_the_schema_refuses_what_mailctl_never_writes() -> None:
    validator = jsonschema.Draft202012Validator(allowlist_schema())
    good = json.loads(dict(FORMATS["json"].render(sample(), COMBINED))["all.json"])
    for path, value in [
        (("checksum",), "md5:00"),
        (("sources", "ipv4"), ["192.0.2.0"]),
        (("origin", "kind"), "planned"),
        (("extra",), 1),
    ]:
        document = json.loads(json.dumps(good))
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not validator.is_valid(document), path


# -- CSV and text ----------------------------------------------------------------------


def test_csv_starts_with_its_header_row_and_holds_no_comment_lines() -> None:
    whole = sample()
    for name, data in render_all(whole).items():
        if not name.endswith(".csv"):
            continue
        text = data.decode()
        assert text.split("\n", 1)[0] == ",".join(COLUMNS), name
        assert not [line for line in text.splitlines() if line.startswith("#")], name
        # Read as a spreadsheet or a plain csv reader would: nothing skipped first.
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {row["domain"] for row in rows} <= {rule.domain for rule in whole.domains}
        assert rows == rows_csv(text)


def test_csv_has_one_row_per_domain_and_cidr() -> None:
    whole = sample()
    rows = rows_csv(dict(FORMATS["csv"].render(whole, COMBINED))["all.csv"].decode())
    expected = [
        (rule.domain, family, cidr, " ".join(map(str, rule.ports)), str(rule.smtp_port))
        for rule in whole.domains
        for family, cidrs in (("ipv4", whole.sources.ipv4), ("ipv6", whole.sources.ipv6))
        for cidr in cidrs
    ]
    got = [(r["domain"], r["family"], r["cidr"], r["ports"], r["smtp_port"]) for r in rows]
    assert got == expected


def test_csv_of_a_domain_with_ipv6_hosts_reads_back_field_by_field() -> None:
    rule = next(r for r in RULES if r.domain.startswith("xn--"))
    whole = sample()
    rows = rows_csv(
        dict(FORMATS["csv"].render(whole.for_domain(rule), rule.domain))[
            f"{rule.domain}.csv"
        ].decode()
    )
    assert {(r["imap_host"], r["smtp_host"], r["imap_port"]) for r in rows} == {
        ("192.0.2.10", "2001:db8::25", "993")
    }


def test_text_reads_back_as_a_plain_text_feed() -> None:
    whole = sample()
    data = dict(FORMATS["txt"].render(whole, COMBINED))["all.txt"]
    assert read_feed("text", data, {}) == whole.sources.ipv4 + whole.sources.ipv6
    assert data.endswith(b"\n")


def _one(whole: Allowlist, domain: str) -> Allowlist:
    return whole.for_domain(next(r for r in whole.domains if r.domain == domain))


def test_every_file_name_written_is_one_the_format_declares() -> None:
    """The writer removes a file only when its format declares the name for that stem:
    a name rendered but not declared would never be cleaned up."""
    long = ".".join(["a" * 60] * 4) + ".example"  # 251 characters: shortened in file names
    rule = DomainRule(long, f"imap.{long[:200]}", 993, f"smtp.{long[:200]}", 465)
    whole = sample(rules=[*RULES, rule])
    for fmt in FORMATS.values():
        parts = [(COMBINED, whole), *((r.domain, _one(whole, r.domain)) for r in whole.domains)]
        for stem, part in parts:
            rendered = {name for name, _ in fmt.render(part, stem)}
            assert rendered and rendered <= fmt.file_names(stem), (fmt.name, stem)
    assert FORMATS["txt"].file_names("../etc") == frozenset()
    assert FORMATS["txt"].file_names("README") == frozenset()
