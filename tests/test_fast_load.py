"""The fast load path agrees with the located path on every value it accepts, and
refuses (leaving the located path to decide) everything else, guards included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.autoconfig.ispdb import read_sources
from reconciler.autoconfig.merge import render_new
from reconciler.desired import fast_load, fast_warnings, fast_yaml
from reconciler.desired.credential_env import DEFAULT
from reconciler.desired.fast_yaml import Unsupported, entries, split
from reconciler.desired.loader import load, load_located
from reconciler.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad"


def _agree(path: Path) -> bool:
    """Whether the fast path accepted ``path``; when it did, it must give exactly what
    the located path gives (values, files, warnings, places)."""
    fast = fast_load.load_fast(path, DEFAULT)
    try:
        located = load_located(path)
    except InputError:
        assert fast is None, f"fast path accepted a file the located path refuses: {path}"
        return False
    if fast is None:
        return False
    assert fast.desired == located.desired
    fields_set = {n: d.model_fields_set for n, d in fast.desired.domains.items()}
    assert fields_set == {n: d.model_fields_set for n, d in located.desired.domains.items()}
    assert fast.files == located.files
    assert fast.warnings == located.warnings
    assert dict(fast.places) == dict(located.places)
    return True


def test_the_example_and_an_ispdb_import_agree(tmp_path: Path) -> None:
    _agree(ROOT / "examples" / "domains.yaml")
    imported = read_sources([ROOT / "tests" / "data" / "corpus" / "ispdb"]).entries
    assert len(imported) > 30
    everything = tmp_path / "all.yaml"
    everything.write_text(render_new(imported), encoding="utf-8")
    assert _agree(everything), "its plain-text endpoints warn, located by the fast path"
    quiet = [e for e in imported if "none" not in (e.imap.security, e.smtp.security)]
    path = tmp_path / "tls.yaml"
    path.write_text(render_new(quiet), encoding="utf-8")
    assert _agree(path), "a file written by autoconfig import takes the fast path"


WARNED = """\
version: 1
connection_ips:
  ranges: [192.0.2.0/28]
defaults:
  imap: {port: 993, security: ssl}
  smtp: {security: none}
domains:
  a.example: {imap: {host: imap.a.example}, smtp: {host: smtp.a.example, security: ssl}}
  b.example:
    imap: {host: imap.b.example, security: none, port: 143}
    smtp:
      host: smtp.b.example
      port: 465
      security: starttls
  # a comment
  c.example: {imap: {host: imap.c.example, port: 587}, smtp: {host: smtp.c.example}}

  d.example:
    smtp: {host: smtp.d.example, security: ssl}
    imap: {host: imap.d.example, security: starttls}
    use_static_ip_addresses: true
  e.example:
    imap: {host: imap.e.example}
    smtp: {host: smtp.e.example, security: ssl}
"""


def test_warnings_are_located_by_the_fast_path_as_the_located_path_does(
    tmp_path: Path,
) -> None:
    """security: none (written, or from the defaults), a port of another protocol or
    another mode, in flow and block style, first and last in the block."""
    path = tmp_path / "warned.yaml"
    path.write_text(WARNED, encoding="utf-8")
    assert _agree(path)
    warnings = fast_load.load_fast(path, DEFAULT).warnings  # type: ignore[union-attr]
    assert len(warnings) == 5 and {w.location.line for w in warnings} == {10, 11, 16, 20}
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.yaml").write_text(WARNED, encoding="utf-8")
    (folder / "b.yaml").write_text(
        "version: 1\ndomains:\n  f.example:\n    imap: {host: i.f.example, security: none}\n"
        "    smtp: {host: s.f.example, security: ssl}\n",
        encoding="utf-8",
    )
    assert _agree(folder)


def test_past_a_thousand_warned_domains_the_located_path_reads_the_file(
    tmp_path: Path,
) -> None:
    entry = "{imap: {host: i.example, security: none}, smtp: {host: s.example}}"
    body = "".join(f"  d{n:04d}.example: {entry}\n" for n in range(fast_warnings.MAX_WARNED + 1))
    path = tmp_path / "many.yaml"
    path.write_text("version: 1\ndomains:\n" + body, encoding="utf-8")
    assert fast_load.load_fast(path, DEFAULT) is None
    assert len(load(path).warnings) == fast_warnings.MAX_WARNED + 1


def test_a_fast_loaded_domain_copies_like_any_model(tmp_path: Path) -> None:
    """The domains share one set of field names; copying one with an update must
    neither fail nor change what its siblings say they set."""
    loaded = load(ROOT / "examples" / "domains.yaml")
    first, second = list(loaded.desired.domains.values())[:2]
    assert first.model_fields_set is second.model_fields_set, "read by the fast path"
    moved = first.model_copy(update={"imap": first.smtp})
    assert moved.imap == first.smtp and first.imap != first.smtp
    assert second.model_fields_set == set(type(second).model_fields)


def test_every_bad_fixture_is_left_to_the_located_path() -> None:
    fixtures = sorted(BAD.iterdir())
    assert fixtures
    for path in fixtures:
        assert fast_load.load_fast(path, DEFAULT) is None, path.name


@pytest.mark.parametrize(
    "block",
    [
        "  a.example: &x {imap: {host: a.example}, smtp: {host: a.example}}\n"
        "  b.example: *x\n",  # aliases: never expanded here
        "  a.example: {imap: {host: {a: {b: c}}}, smtp: {host: a.example}}\n",  # too deep
        '  a.example: {imap: {host: "a\\x41.example"}, smtp: {host: a.example}}\n',  # escape
        "  a.example: {imap: {host: !!str 993}, smtp: {host: a.example}}\n",  # tag
        "  a.example:\n    imap:\n      host: a.example\n      host: b.example\n",  # duplicate
        "  ? a.example\n  : x\n",  # explicit key
        "  a.example: |\n    text\n",  # block scalar
        '  a.example: {imap: {host: "a\\0b.example"}, smtp: {host: a.example}}\n',  # NUL
    ],
)
def test_the_subset_refuses_what_it_does_not_read(block: str) -> None:
    text = "version: 1\ndomains:\n" + block
    cut = split(text)
    assert cut is not None
    with pytest.raises(Unsupported):
        list(entries(text, cut, {}))


def test_guards_hold_on_the_fast_path_before_anything_is_built(tmp_path: Path) -> None:
    """An alias bomb or deep nesting outside the domains block reaches the located
    parser's guards (InputError) while the file is read, before any domain is judged."""
    bomb = "\n".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10))
    deep = "deep: " + "[" * 70 + "]" * 70
    domains = "domains:\n  a.example: {imap: {host: a.example}, smtp: {host: a.example}}\n"
    for name, head in (("bomb", "a0: &a0 [x]\n" + bomb), ("deep", deep)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"version: 1\n{head}\n{domains}", encoding="utf-8")
        with pytest.raises(InputError) as caught:
            fast_load._read(path)
        assert "aliases expand" in str(caught.value) or "deeper than 64" in str(caught.value)
        assert fast_load.load_fast(path, DEFAULT) is None


# Scalars that YAML readers disagree on, or that the schema refuses, in every spelling.
_TRICKY = [
    "993",
    '"993"',
    "'993'",
    "0o17",
    "0x1F",
    "01715",
    "1_000",
    "1:30",
    "+1",
    "-0",
    "0",
    "65536",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "True",
    "TRUE",
    "false",
    "yes",
    "on",
    "off",
    "1.5",
    "1e3",
    ".inf",
    "2001-01-01",
    "ssl",
    "starttls",
    "none",
    "SSL",
    '"ssl"',
    "'starttls'",
    "imap.example.com",
    '"imap.example.com"',
    "'smtp.example.com'",
    "IMAP.Example.COM",
    "xn--bcher-kva.example",
    "bücher.example",
    "192.0.2.1",
    "2001:db8::1",
    "[2001:db8::1]",
    "a..b",
    "-a.example",
    "a b.example",
    '""',
    "''",
    '"a\\x41.example"',
    "a#b.example",
    "a.example # comment",
    "MAIL_USER",
    "1ABC",
    "AA" * 32,
    ":".join(["AA"] * 32),
    "ab" * 31,
]
_KEYS = ["host", "port", "security", "hots", "HOST", '"host"', "'port'"]
_DOMAIN_KEYS = [
    "imap",
    "smtp",
    "allow_non_secure_certificate",
    "certificate_sha256",
    "use_static_ip_addresses",
    "credentials",
    "username_env",
    "password_env",
    "imap",
]
_NAMES = [
    "a.example.com",
    "A.Example.com",
    "b.example.com",
    "bücher.example",
    "192.0.2.1",
    '"c.example.com"',
    "'d.example.com'",
    "e.example.com.",
    "x",
    "1",
    "null",
    "yes",
]


@st.composite
def _mapping(draw: Any, keys: list[str], values: st.SearchStrategy[str], flow: bool) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(keys), values), min_size=0, max_size=4))
    if flow:
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    return "\n".join(f"{k}: {v}" for k, v in pairs)


@st.composite
def _document(draw: Any) -> str:
    scalar = st.sampled_from(_TRICKY)
    lines = ["version: 1"]
    if draw(st.booleans()):
        lines.append("connection_ips:\n  ranges: [192.0.2.0/28]")
    if draw(st.booleans()):
        lines.append("defaults:\n  imap: {port: 993, security: ssl}\n  smtp: {port: 587}")
    lines.append("domains:")
    for name in draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4)):
        lines.append(f"  {name}:")
        for key in draw(st.lists(st.sampled_from(_DOMAIN_KEYS), min_size=1, max_size=5)):
            if key in ("imap", "smtp", "credentials") and draw(st.booleans()):
                inner = draw(_mapping([*_KEYS, "username_env", "password_env"], scalar, True))
                lines.append(f"    {key}: {inner}")
            elif key in ("imap", "smtp", "credentials"):
                inner = draw(_mapping([*_KEYS, "username_env", "password_env"], scalar, False))
                lines.append(f"    {key}:" + "".join(f"\n      {x}" for x in inner.splitlines()))
            else:
                lines.append(f"    {key}: {draw(scalar)}")
        if draw(st.booleans()):
            lines.append("    # a comment")
    return "\n".join(lines) + "\n"


_VALID = (
    "  {name}:\n    imap: {{host: {host}{port}}}\n    smtp:\n      host: {host}\n"
    "      security: {security}\n"
)


_EXTRAS = [
    "",
    "    use_static_ip_addresses: true\n",
    "    use_static_ip_addresses: yes\n",  # text in YAML 1.2: an error
    "    use_static_ip_addresses: True\n",
    "    allow_non_secure_certificate: on\n",
    "    allow_non_secure_certificate: false\n",
    f"    certificate_sha256: {'Ab' * 32}\n",
    f"    certificate_sha256: '{':'.join(['0f'] * 32)}'\n",
    "    credentials: {username_env: MAIL_USER, password_env: MAIL_PASSWORD}\n",
    "    credentials:\n      username_env: MAIL_USER\n      password_env: HOME\n",
    "    credentials: {username_env: MAIL_USER}\n",
    "    use_static_ip_addresses: true\n    use_static_ip_addresses: true\n",  # duplicate
]
_HEADS = [
    "",
    "connection_ips:\n  ranges: [192.0.2.0/28]\n",
    "connection_ips: {ranges: ['2001:db8::/48']}\n",
    "defaults:\n  imap: {port: 143, security: starttls}\n",
    "defaults: &d\n  smtp: {security: ssl}\n",  # an anchor: the located path reads it
]


def _mostly(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """One of ``good``, and one of ``bad`` about one time in eight."""
    return st.integers(0, 7).flatmap(lambda n: st.sampled_from(bad if n == 0 else good))


@st.composite
def _valid_document(draw: Any) -> str:
    """Documents the fast path should mostly accept, so agreement is tested on values."""
    lines = ["version: 1", draw(_mostly(_HEADS[:4], _HEADS[4:])) + "domains:"]
    for i in range(draw(st.integers(1, 5))):
        host = draw(st.sampled_from(["imap.example.com", '"Mail.Example.com"', "'bücher.example'"]))
        port = draw(_mostly(["", ", port: 993"], [", port: '993'", ", port: 0o17", ", port: 143"]))
        security = draw(_mostly(["starttls", "ssl", '"starttls"'], ["STARTTLS", "none"]))
        name = draw(_mostly([f"d{i}.example", f"'D{i}.Example'"], ["dup.example", "1.2.3.4"]))
        lines.append(_VALID.format(name=name, host=host, port=port, security=security))
        lines.append(draw(_mostly(_EXTRAS[:2] + _EXTRAS[5:9], _EXTRAS[2:5] + _EXTRAS[9:])))
        if draw(st.integers(0, 15)) == 0:
            lines.append("  alias.example: *d\n")  # an alias in the block
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(_document(), _valid_document()))
def test_fast_and_located_paths_agree(tmp_path: Path, text: str) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(text, encoding="utf-8")
    _agree(path)


def test_the_generated_valid_documents_do_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n"
        + _VALID.format(name="a.example", host='"Mail.Example.com"', port="", security="ssl")
        + "  'b.example': {imap: {host: 'bücher.example', port: 143, security: starttls},"
        " smtp: {host: b.example}}\n",
        encoding="utf-8",
    )
    assert _agree(path)
    assert load(path).desired.domains["a.example"].imap.host == "mail.example.com"


def test_a_folder_takes_the_fast_path_and_agrees(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "version: 1\ndefaults:\n  smtp: {port: 465, security: ssl}\n"
        "connection_ips:\n  ranges: [192.0.2.0/28]\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "version: 1\ndomains:\n  b.example:\n    imap: {host: i.example}\n"
        "    smtp: {host: s.example}\n    use_static_ip_addresses: true\n",
        encoding="utf-8",
    )
    assert _agree(tmp_path)


def test_a_comment_after_a_flow_mapping_adds_nothing_to_it(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n  a.example:\n    imap: {host: i.example}  # port: 143\n"
        "    smtp: {host: 's.example', port: 465, security: ssl} # security: none\n",
        encoding="utf-8",
    )
    assert _agree(path)
    assert load(path).desired.domains["a.example"].imap.port == 993


@given(text=st.text(alphabet="ab\n", max_size=60), data=st.data())
def test_lines_are_cut_alike_across_slices(text: str, data: Any) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_yaml, "_SLICE", data.draw(st.integers(1, 8)))
        cut = list(fast_yaml._lines(text, start, end))
    assert cut == (text[start:end].split("\n") if start < end else [])


def test_a_domains_line_inside_a_string_is_not_the_domains_block(tmp_path: Path) -> None:
    """Only the located parser can tell that this ``domains:`` line is inside a quoted
    string (and the file's domains are null): the fast path leaves it to it."""
    path = tmp_path / "domains.yaml"
    path.write_text(
        'version: 1\n"domains":\nconnection_ips: {feeds: [{format: text, path: "a\n'
        "domains:\n  a.example: {imap: {host: i.example}, smtp: {host: s.example}}\n"
        'b"}]}\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError):
        load_located(path)
    assert fast_load.load_fast(path, DEFAULT) is None


def test_places_of_domains_need_no_parse_with_positions(tmp_path: Path) -> None:
    """A plan asks where its changed domains are written: the fast path knows without
    parsing the file again (which would build the node tree it avoided)."""
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\ndomains:\n  # first\n  a.example: {imap: {host: i.example}, smtp: {host: "
        "s.example}}\n\n  'b.example':\n    imap: {host: i.example}\n    smtp: {host: s.example}\n",
        encoding="utf-8",
    )
    loaded = fast_load.load_fast(path, DEFAULT)
    assert loaded is not None
    places = loaded.places
    assert [(places[n].line, places[n].column) for n in ("a.example", "b.example")] == [
        (4, 3),
        (6, 3),
    ]
    document = places._written["a.example"][0]  # type: ignore[attr-defined]
    assert document._lazy._doc is None  # nothing was parsed to say so
    assert dict(places) == dict(load_located(path).places)


@pytest.mark.parametrize("brk", ["\r", "\x85", "\u2028"])
def test_other_line_breaks_are_left_to_the_located_path(tmp_path: Path, brk: str) -> None:
    """YAML breaks lines at \\r (and NEL, LS, PS) too: a comment ended by one must not
    swallow the domain after it, so such files are read with positions."""
    path = tmp_path / "domains.yaml"
    text = (
        "version: 1\ndomains:\n  a.example: {imap: {host: i.example}, smtp: {host: s.example}}"
        " # note" + brk + "  b.example: {imap: {host: i.example}, smtp: {host: s.example}}\n"
    )
    path.write_bytes(text.encode("utf-8"))
    assert fast_load.load_fast(path, DEFAULT) is None
    _agree(path)


def test_windows_line_breaks_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    text = (
        "version: 1\r\ndomains:\r\n  a.example: {imap: {host: i.example}, smtp: {host: "
        "s.example}} # note\r\n  b.example:\r\n    imap: {host: i.example}\r\n"
        "    smtp:\r\n      host: s.example\r\n      port: 465\r\n      security: ssl\r\n"
    )
    path.write_bytes(text.encode("utf-8"))
    assert _agree(path)


def test_a_domains_line_inside_a_flow_mapping_is_not_the_domains_block(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "{version: 1,\ndomains:\n  a.example: {imap: {host: i.example}, smtp: {host: s.example}}"
        "\n}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError):
        load_located(path)
    assert fast_load.load_fast(path, DEFAULT) is None


_SNIPPETS = [
    ":",
    " ",
    "\n",
    "#",
    "{",
    "}",
    ",",
    "'",
    '"',
    "- ",
    "? ",
    "&a ",
    "*a",
    "!!str ",
    "\t",
    "|",
    ">",
    "---\n",
    "...\n",
    "  ",
    "\n  x.example: {}\n",
    "domains:\n",
    "\ndomains:",
    "\n  ",
    "\n    ",
    ": ",
    "''",
    '""',
    "[",
    "]",
    "0",
    "~",
    "\n#",
    "<<: ",
]


@st.composite
def _mutated_document(draw: Any) -> str:
    """A mostly valid document with a few YAML-significant characters put in or taken
    out anywhere: where the two paths could part if the reader misjudged a line."""
    text: str = draw(_valid_document())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(_SNIPPETS)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 3)) :]
    return text


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_mutated_document())
def test_fast_and_located_paths_agree_on_damaged_documents(tmp_path: Path, text: str) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(text, encoding="utf-8")
    _agree(path)
