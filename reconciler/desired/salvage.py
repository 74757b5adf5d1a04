"""What of a file that failed the schema can still be judged, so that one mistake (a bad
port) hides no independent one elsewhere in the file (a domain written twice, an IP
used as a domain, a feed path out of the folder, a URL feed without its pin).

The schema's errors are reported as they are; this module only keeps the parts of the
file they do not touch, at the granularity the later checks work on: a domain whose
entry fails still has its name judged (spelling, duplicates), but nothing that its
settings decide; a feed or a range that fails is left out, its neighbours are judged;
defaults that fail are left out (the built-in ones use TLS, so no check can then
accuse a domain of going without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from reconciler.desired.findings import Parsed
from reconciler.desired.spec import DomainsFile
from reconciler.desired.yamlsource import YamlDocument

Loc = tuple[str | int, ...]


def _below(locs: Sequence[Loc], *prefix: str) -> list[Loc]:
    """The rest of each loc that starts with ``prefix``."""
    return [loc[len(prefix) :] for loc in locs if loc[: len(prefix)] == prefix]


def _kept_items(raw: Any, locs: list[Loc]) -> tuple[list[Any], tuple[int, ...]]:
    """The elements of list ``raw`` that no error points into, and their indexes."""
    if not isinstance(raw, list) or () in locs:
        return [], ()
    bad = {loc[0] for loc in locs}
    kept = tuple(i for i in range(len(raw)) if i not in bad)
    return [raw[i] for i in kept], kept


def salvage(doc: YamlDocument, exc: ValidationError) -> Parsed | None:
    """The part of the mapping ``doc.data`` that passes the schema, or None when nothing
    can be kept apart from the errors."""
    data: dict[Any, Any] = doc.data
    locs: list[Loc] = [tuple(e["loc"]) for e in exc.errors(include_url=False)]
    broken = frozenset(str(loc[0]) for loc in locs if loc)
    kept: dict[str, Any] = {"version": 1}
    if "defaults" not in broken and "defaults" in data:
        kept["defaults"] = data["defaults"]

    raw_domains = data.get("domains")
    keys: tuple[str, ...] = ()
    if isinstance(raw_domains, dict) and () not in _below(locs, "domains"):
        keys = tuple(k for k in raw_domains if isinstance(k, str))
        failed = {loc[0] for loc in _below(locs, "domains") if loc}
        kept["domains"] = {k: raw_domains[k] for k in keys if k not in failed}

    feed_indexes: tuple[int, ...] | None = None
    raw_ips = data.get("connection_ips")
    if isinstance(raw_ips, dict) and () not in _below(locs, "connection_ips"):
        ranges, _ = _kept_items(raw_ips.get("ranges", []), _below(locs, "connection_ips", "ranges"))
        feeds, feed_indexes = _kept_items(
            raw_ips.get("feeds", []), _below(locs, "connection_ips", "feeds")
        )
        kept["connection_ips"] = {"ranges": ranges, "feeds": feeds}
    try:
        spec = DomainsFile.model_validate(kept)
    except ValidationError:
        return None  # an error this module does not know how to keep apart
    return Parsed(doc, spec, domain_keys=keys, feed_indexes=feed_indexes, broken=broken)
