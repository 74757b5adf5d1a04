"""The stored state written back as a ``domains.yaml`` (adopting an account into Git).

Every setting is written out in full (no ``defaults`` block), so that loading the
export gives exactly the stored state and planning it shows no changes.
"""

from __future__ import annotations

import io
import re

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from reconciler.desired.model import FORMAT_VERSION, Domain, Endpoint
from reconciler.desired.ranges import sort_ranges
from reconciler.desired.starter import MODELINE, WRITE_SCHEMA
from reconciler.desired.state import StoredState

HEADER = (
    MODELINE + "# Exported by mailctl from store {lineage} at serial {serial}.\n" + WRITE_SCHEMA
)


# Text written plain only in this shape: a YAML 1.1 or 1.2 reader cannot take it for
# anything but text, in block or flow context. Everything else is double-quoted:
# ::ffff:c633:6407 in a flow mapping does not parse, 1.5e3 (a valid host name) reads
# as a number, an environment variable named yes reads as a boolean in YAML 1.1.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _text(value: str) -> str:
    """``value`` as a scalar that every YAML reader loads back as the same string."""
    if _PLAIN.match(value) and value.lower() not in _YAML11_WORDS:
        return value
    quoted: str = DoubleQuotedScalarString(value)
    return quoted


def _endpoint(endpoint: Endpoint) -> CommentedMap:
    node = CommentedMap(
        host=_text(endpoint.host), port=endpoint.port, security=_text(endpoint.security)
    )
    node.fa.set_flow_style()
    return node


def _domain(domain: Domain) -> CommentedMap:
    node = CommentedMap()
    node["imap"] = _endpoint(domain.imap)
    node["smtp"] = _endpoint(domain.smtp)
    if domain.allow_non_secure_certificate:
        node["allow_non_secure_certificate"] = True
    if domain.certificate_sha256:
        # Quoted: a YAML 1.1 reader would take an all-digit 12:34:… for a number.
        node["certificate_sha256"] = DoubleQuotedScalarString(domain.certificate_sha256)
    if domain.use_static_ip_addresses:
        node["use_static_ip_addresses"] = True
    if domain.credentials:
        creds = CommentedMap(
            username_env=_text(domain.credentials.username_env),
            password_env=_text(domain.credentials.password_env),
        )
        creds.fa.set_flow_style()
        node["credentials"] = creds
    return node


def to_yaml(state: StoredState) -> str:
    document = CommentedMap()
    document["version"] = FORMAT_VERSION
    if state.connection_ranges:
        document["connection_ips"] = CommentedMap(
            ranges=CommentedSeq(_text(cidr) for cidr in sort_ranges(state.connection_ranges))
        )
    domains = CommentedMap()
    for name in sorted(state.domains):
        domains[_text(name)] = _domain(state.domains[name])
    document["domains"] = domains
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    out = io.StringIO()
    out.write(HEADER.format(lineage=state.lineage or "(none)", serial=state.serial))
    yaml.dump(document, out)
    return out.getvalue()
