"""Export, then load: every state the store can hold comes back exactly.

A store only ever holds what the loader accepted, so the property ranges over those
values: host names (IDN, and names a YAML reader could mistake for a number or a
boolean), IPv4 and IPv6 literals (IPv4-mapped ones included), ports, security modes,
flags, pins, environment variable names and connection ranges.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.desired import fingerprints, names
from reconciler.desired.credential_env import CredentialPolicy, denied
from reconciler.desired.loader import load
from reconciler.desired.model import Credentials, Domain, Endpoint
from reconciler.desired.ranges import sort_ranges
from reconciler.desired.state import StoredState
from reconciler.desired.to_yaml import to_yaml

# Labels a YAML reader may take for something else (alone or joined by dots).
TRICKY = ["yes", "no", "on", "off", "y", "n", "null", "true", "false", "nan", "inf", "1", "0"]
TRICKY += ["1e5", "0x1", "0o17", "0b1", "017", "e5", "5e3"]
UNICODE = ["bücher", "münchen", "例え", "пример", "ελληνικά", "straße", "ñandú", "عربي"]
LAST = ["example", "com", "yes", "null", "e5", "5e3", "1e5", "inf", "nan", "テスト", "рф"]
LDH = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?\Z")
LABEL = st.one_of(st.sampled_from(TRICKY + UNICODE), LDH)


def _normalised(raw: str) -> str | None:
    try:
        return names.normalise_host(raw)
    except names.NameProblem:
        return None


def _domain_name(raw: str) -> str | None:
    try:
        return names.normalise_domain(raw)
    except names.NameProblem:
        return None


NAMES = st.builds(
    lambda labels, last: ".".join([*labels, last]),
    st.lists(LABEL, min_size=1, max_size=3),
    st.sampled_from(LAST),
)
HOST_NAMES = NAMES.map(_normalised).filter(bool)
DOMAIN_NAMES = NAMES.map(_domain_name).filter(bool)
IPV4 = st.ip_addresses(v=4)
IPV6 = st.one_of(
    st.ip_addresses(v=6),
    IPV4.map(lambda a: ipaddress.IPv6Address(f"::ffff:{a}")),  # IPv4-mapped
    IPV4.map(lambda a: ipaddress.IPv6Address(f"64:ff9b::{a}")),
    st.integers(0, 2**32 - 1).map(ipaddress.IPv6Address),  # ::x, ::1, ::
)
HOSTS = st.one_of(HOST_NAMES, IPV4.map(str), IPV6.map(str))
ENV_NAMES = st.one_of(
    st.sampled_from(["yes", "No", "ON", "null", "True", "Y", "n", "_", "_1", "MAIL_PASSWORD"]),
    st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z"),
).filter(lambda name: denied(name) is None)  # never storable, whatever the operator allows
ENDPOINTS = st.builds(
    Endpoint,
    host=HOSTS,
    port=st.integers(1, 65535),
    security=st.sampled_from(["ssl", "starttls", "none"]),
)
PINS = st.from_regex(r"\A[0-9a-fA-F]{64}\Z").map(fingerprints.normalise)
RANGES = st.one_of(
    st.builds(
        lambda a, p: ipaddress.ip_network(f"{a}/{p}", strict=False), IPV4, st.integers(24, 32)
    ),
    st.builds(
        lambda a, p: ipaddress.ip_network(f"{a}/{p}", strict=False), IPV6, st.integers(48, 128)
    ),
).map(str)


@st.composite
def domains(draw: st.DrawFn, name: str, with_ranges: bool) -> Domain:
    imap, smtp = draw(ENDPOINTS), draw(ENDPOINTS)
    tls = "none" not in (imap.security, smtp.security) or imap.security != smtp.security
    credentials = None
    if draw(st.booleans()):
        credentials = Credentials(username_env=draw(ENV_NAMES), password_env=draw(ENV_NAMES))
    return Domain(
        name=name,
        imap=imap,
        smtp=smtp,
        allow_non_secure_certificate=draw(st.booleans()),
        # The loader refuses a pin without TLS and static IPs without ranges.
        certificate_sha256=draw(PINS) if tls and draw(st.booleans()) else None,
        use_static_ip_addresses=with_ranges and draw(st.booleans()),
        credentials=credentials,
    )


@st.composite
def stored_states(draw: st.DrawFn) -> StoredState:
    ranges = draw(st.lists(RANGES, max_size=4, unique=True))
    chosen = draw(st.lists(DOMAIN_NAMES, min_size=1, max_size=4, unique=True))
    return StoredState(
        lineage="0123456789abcdef0123456789abcdef",
        serial=draw(st.integers(1, 10**6)),
        connection_ranges=tuple(ranges),
        domains={name: draw(domains(name, bool(ranges))) for name in sorted(chosen)},
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export")


@settings(max_examples=300, deadline=None)
@given(state=stored_states())
def test_an_export_loads_back_to_the_same_state(folder: Path, state: StoredState) -> None:
    path = folder / "domains.yaml"
    path.write_text(to_yaml(state), encoding="utf-8")
    # The operator allowed every name the store holds (the store holds only what was allowed).
    allowed = {
        name
        for domain in state.domains.values()
        if domain.credentials is not None
        for name in (domain.credentials.username_env, domain.credentials.password_env)
    }
    loaded = load(path, credentials=CredentialPolicy(names=frozenset(allowed)))
    assert dict(loaded.desired.domains) == dict(state.domains)
    assert loaded.desired.connection_ranges == sort_ranges(state.connection_ranges)
    # A YAML 1.1 reader (many editors and linters) reads the same text, not booleans.
    old_reader = YAML(typ="safe", pure=True)
    old_reader.version = (1, 1)
    data = old_reader.load(path.read_text(encoding="utf-8"))
    for name, domain in state.domains.items():
        written = data["domains"][name]
        assert (written["imap"]["host"], written["smtp"]["host"]) == (
            domain.imap.host,
            domain.smtp.host,
        )
        if domain.credentials:
            assert written["credentials"] == domain.credentials.model_dump()


@pytest.mark.parametrize(
    "host", ["::ffff:c633:6407", "::1", "::", "64:ff9b::c000:201", "1.5e3", "xn--bcher-kva.yes"]
)
def test_hosts_that_once_broke_the_export(tmp_path: Path, host: str) -> None:
    endpoint = Endpoint(host=host, port=993, security="ssl")
    state = StoredState(
        lineage="x",
        serial=1,
        domains={"example.com": Domain(name="example.com", imap=endpoint, smtp=endpoint)},
    )
    path = tmp_path / "domains.yaml"
    path.write_text(to_yaml(state), encoding="utf-8")
    assert load(path).desired.domains["example.com"].imap.host == host
