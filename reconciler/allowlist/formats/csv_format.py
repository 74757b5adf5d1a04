"""CSV: the header row first, then one row per domain and source CIDR.

Columns: domain, family (ipv4/ipv6), cidr, ports (the destination ports, sorted,
space-separated), imap_host, imap_port, smtp_host, smtp_port. Fields are quoted by the
csv module where they need it; lines end with ``\\n`` like every other allowlist file.
The file has no ``#`` comment lines: CSV has no comments, and a spreadsheet or
``csv.DictReader`` would read them as data. The facts the other formats carry in their
header (origin, serial, checksum) are in the folder's manifest, under ``csv:<stem>``,
and in the JSON file of the same stem.

One row per domain and CIDR is what makes the file useful to spreadsheets and
``grep``, and makes the combined file O(domains x ranges): the only format that is.
The part of a row around the CIDR is the same for all of a domain's rows, so it is
formatted once per domain and the rows are a join.
"""

from __future__ import annotations

import csv
import io

from reconciler.allowlist.formats import names
from reconciler.allowlist.formats.header import is_combined
from reconciler.allowlist.rules import Allowlist, DomainRule

EXTENSION = ".csv"
COLUMNS = (
    "domain",
    "family",
    "cidr",
    "ports",
    "imap_host",
    "imap_port",
    "smtp_host",
    "smtp_port",
)
_MARK = "CIDR"  # stands for the CIDR while a domain's row is formatted once


def _row(fields: list[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def _rows(rule: DomainRule, family: str, cidrs: tuple[str, ...]) -> str:
    if not cidrs:
        return ""
    row = _row(
        [
            names.checked_domain(rule.domain),
            family,
            _MARK,
            " ".join(map(str, rule.ports)),
            names.checked_host(rule.imap_host),
            rule.imap_port,
            names.checked_host(rule.smtp_host),
            rule.smtp_port,
        ]
    )
    # The domain and family before the mark hold no comma, so the first comma pair
    # around the mark is the CIDR's field.
    before, after = row.split("," + _MARK + ",", 1)
    before += ","
    after = "," + after
    return before + (after + before).join(cidrs) + after


def render(allowlist: Allowlist, stem: str) -> list[tuple[str, bytes]]:
    is_combined(allowlist, stem)  # a per-domain file of that domain alone, as elsewhere
    sources = allowlist.sources
    parts = [_row(list(COLUMNS))]
    for rule in allowlist.domains:
        parts.append(_rows(rule, "ipv4", sources.ipv4))
        parts.append(_rows(rule, "ipv6", sources.ipv6))
    return [(names.file_name(stem, EXTENSION), "".join(parts).encode("ascii"))]
