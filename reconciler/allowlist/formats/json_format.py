"""JSON: the allowlist as one document, described by ``schemas/allowlist.schema.json``.

JSON has no comments, so what the other formats say in their header are fields here:
``origin`` (lineage and serial) and ``checksum``. The sources appear once, as two sorted
arrays, and each domain's hosts and ports once, so the combined file is
O(ranges + domains).

The text is exactly ``json.dumps(document, indent=2) + "\\n"`` (a test holds it to
that), but the source arrays are joined from the strings in :class:`Sources` directly:
CIDRs need no escaping, and the standard encoder is several times slower once it
indents.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.allowlist.formats import names
from reconciler.allowlist.formats.header import is_combined
from reconciler.allowlist.rules import Allowlist, DomainRule

EXTENSION = ".json"
# The schema's $id: an identifier, not an address (no server publishes it). The file is
# schemas/allowlist.schema.json in mailctl's repository; `mailctl schema allowlist`
# prints it; the README says how to map the identifier to it in an editor.
SCHEMA_ID = "https://mailctl.dev/schemas/allowlist.schema.json"


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OriginDocument(_Document):
    """The state the allowlist was made from."""

    kind: Literal["stored", "desired"] = Field(
        description="stored: the applied state; desired: a plan's state, not applied yet."
    )
    lineage: str | None = Field(description="The store's lineage; null before it exists.")
    serial: int = Field(ge=0, description="The store's serial (planned against, if desired).")


class SourcesDocument(_Document):
    """The connection ranges, collapsed, each family sorted by address."""

    ipv4: list[Annotated[str, Field(pattern=r"^[0-9.]+/[0-9]{1,2}$")]]
    ipv6: list[Annotated[str, Field(pattern=r"^[0-9a-f:]+/[0-9]{1,3}$")]]


class DomainDocument(_Document):
    """One static-IP domain: the sources may reach its IMAP and SMTP ports."""

    domain: str = Field(description="The domain name, IDN as A-labels.")
    imap_host: str
    imap_port: int = Field(ge=1, le=65535)
    smtp_host: str
    smtp_port: int = Field(ge=1, le=65535)
    ports: list[int] = Field(description="The destination ports: IMAP and SMTP, sorted, once.")


class AllowlistDocument(_Document):
    """A mailctl allowlist: the sources may reach each domain's ports over TCP."""

    schema_uri: Literal["https://mailctl.dev/schemas/allowlist.schema.json"] = Field(
        alias="$schema", title="$schema"
    )
    origin: OriginDocument
    checksum: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="Of the rules (sources, domains, hosts, ports); the same in every format.",
    )
    sources: SourcesDocument
    domains: list[DomainDocument] = Field(description="Sorted by domain name.")


def allowlist_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **AllowlistDocument.model_json_schema(),
    }


def _domain(rule: DomainRule) -> dict[str, object]:
    names.checked_domain(rule.domain)
    return {
        "domain": rule.domain,
        "imap_host": names.checked_host(rule.imap_host),
        "imap_port": rule.imap_port,
        "smtp_host": names.checked_host(rule.smtp_host),
        "smtp_port": rule.smtp_port,
        "ports": list(rule.ports),
    }


def _array(cidrs: tuple[str, ...]) -> str:
    """``cidrs`` as json.dumps indents a list that is the value of a key at depth two."""
    if not cidrs:
        return "[]"
    return '[\n      "' + '",\n      "'.join(cidrs) + '"\n    ]'


def render(allowlist: Allowlist, stem: str) -> list[tuple[str, bytes]]:
    is_combined(allowlist, stem)  # refuses a stem that does not fit the allowlist
    origin = allowlist.origin
    head = {
        "$schema": SCHEMA_ID,
        "origin": {"kind": origin.kind, "lineage": origin.lineage, "serial": origin.serial},
        "checksum": allowlist.checksum,
    }
    domains = json.dumps([_domain(r) for r in allowlist.domains], indent=2)
    text = "".join(
        [
            json.dumps(head, indent=2)[:-2],  # without the closing "\n}"
            ',\n  "sources": {\n    "ipv4": ',
            _array(allowlist.sources.ipv4),
            ',\n    "ipv6": ',
            _array(allowlist.sources.ipv6),
            '\n  },\n  "domains": ',
            domains.replace("\n", "\n  "),
            "\n}\n",
        ]
    )
    return [(names.file_name(stem, EXTENSION), text.encode("ascii"))]
