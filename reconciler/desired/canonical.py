"""A domains file rewritten in mailctl's canonical form, its comments kept. Pure.

Canonical means, and only means:

* indentation: 2 spaces for a mapping, a list's ``-`` indented 2 under its key with its
  items at 4 (the layout ``mailctl export`` writes); no line is wrapped;
* known keys in the order the README lists them: ``version, connection_ips, defaults,
  domains`` at the top; ``ranges, feeds``; ``imap, smtp, allow_non_secure_certificate,
  certificate_sha256, use_static_ip_addresses, credentials`` in a domain; ``host, port,
  security`` in an endpoint; ``username_env, password_env``. Unknown keys cannot occur
  (the file validated first). A mapping with a comment among its keys keeps its order,
  so that no comment is separated from the line it describes; a comment above a
  mapping's first key stays at the mapping's top;
* everything else as written: domain names in their order and spelling, flow
  (``{host: …}``) or block style, quotes, comments, blank lines kept by the round trip.

Formatting formatted text gives the same text.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from reconciler.desired.yaml_guards import anchors_may_repeat

_TOP = ("version", "connection_ips", "defaults", "domains")
_CONNECTION_IPS = ("ranges", "feeds")
_DOMAIN = (
    "imap",
    "smtp",
    "allow_non_secure_certificate",
    "certificate_sha256",
    "use_static_ip_addresses",
    "credentials",
)
_ENDPOINT = ("host", "port", "security")
_CREDENTIALS = ("username_env", "password_env")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _has_comments(node: CommentedMap) -> bool:
    # A comment before the first key (``ca.comment``) stays at the mapping's top
    # whatever the order; one after a key's value (``ca.items``) would move with it.
    return bool(node.ca.items)


def _order(node: Any, keys: tuple[str, ...]) -> None:
    """Put ``keys`` of mapping ``node`` in that order (others after them, as written);
    a mapping with comments among its keys is left as written."""
    if not isinstance(node, CommentedMap) or _has_comments(node):
        return
    wanted = [k for k in keys if k in node] + [k for k in node if k not in keys]
    if list(node) == wanted:
        return
    flow = node.fa.flow_style()
    items = [(k, node[k]) for k in wanted]
    for k, _ in items:
        del node[k]
    for k, v in items:
        node[k] = v
    if flow:
        node.fa.set_flow_style()


def _canonical_order(document: Any) -> None:
    if not isinstance(document, CommentedMap):
        return
    _order(document, _TOP)
    _order(document.get("connection_ips"), _CONNECTION_IPS)
    defaults = document.get("defaults")
    if isinstance(defaults, CommentedMap):
        _order(defaults, ("imap", "smtp"))
        for endpoint in defaults.values():
            _order(endpoint, _ENDPOINT)
    domains = document.get("domains")
    if isinstance(domains, CommentedMap):
        for spec in domains.values():
            _order(spec, _DOMAIN)
            if isinstance(spec, CommentedMap):
                _order(spec.get("imap"), _ENDPOINT)
                _order(spec.get("smtp"), _ENDPOINT)
                _order(spec.get("credentials"), _CREDENTIALS)


def canonical(text: str) -> str:
    """``text`` (a domains file that validated) in canonical form."""
    yaml = _yaml()
    with anchors_may_repeat():
        document = yaml.load(text)
    _canonical_order(document)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()
