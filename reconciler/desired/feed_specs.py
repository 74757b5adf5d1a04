"""The feeds of ``connection_ips``, judged where the schema cannot: exactly one of
``path`` and ``url``, a SHA-256 pin on every URL, filters the feed's format knows, and
feed files only beside the YAML file that names them (or below it), never hidden and
never reached through ``..`` or a link. Each problem is located at its key; the feeds
that pass become resolved :class:`~reconciler.desired.model.Feed` values."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.findings import Findings, Parsed
from reconciler.desired.model import Feed
from reconciler.desired.spec import FEED_FILTERS


def feed_path(
    item: Parsed, written: str, where: tuple[str | int, ...], out: Findings
) -> str | None:
    """The feed file ``written`` as an absolute path, links resolved, if it lies in the
    folder of the YAML file that names it (or below), and is neither hidden nor in a
    hidden folder. Not the working folder: with ``/`` as the working folder that would
    be every file. A pull request must not make CI read a runner's other files, nor
    the checkout's own ``.git/config`` (where CI keeps its token), into a plan."""
    place = item.doc.locate((*where, "path"), key=True)
    if "\0" in written:
        out.error(place, "the feed path holds a NUL character", "write the file's name")
        return None
    base = Path(item.doc.name).parent.resolve()
    target = (base / written).resolve()
    parts = Path(written).parts
    if Path(written).is_absolute() or ".." in parts or not target.is_relative_to(base):
        out.error(
            place,
            f"the feed path {written!r} leads outside the folder of this file",
            "keep feed files beside this YAML file or in a folder below it, and name them "
            "relative to it (no .., no link out of the folder), or use url: with sha256:",
        )
        return None
    if any(part.startswith(".") for part in (*parts, *target.relative_to(base).parts)):
        out.error(
            place,
            f"the feed path {written!r} names a hidden file or folder",
            "mailctl reads no feed from hidden files or folders (.git, .env, …): "
            "move the feed file, or use url: with sha256:",
        )
        return None
    return str(target)


def judge_feeds(item: Parsed, out: Findings) -> tuple[Feed, ...]:
    """The file's feeds, resolved: paths made absolute (relative to the YAML file),
    and every rule the schema cannot say checked here, where it can be located."""
    assert item.spec.connection_ips is not None
    found: list[Feed] = []
    for position, spec in enumerate(item.spec.connection_ips.feeds):
        where = ("connection_ips", "feeds", item.feed_index(position))
        place = item.doc.locate(where)
        errors_before = len(out.errors)
        if (spec.path is None) == (spec.url is None):
            out.error(
                place,
                f"the {spec.format} feed needs exactly one of path and url",
                "path: a file next to this YAML file; url: an https:// address with sha256",
            )
        if spec.url is not None and spec.sha256 is None:
            out.error(
                item.doc.locate((*where, "url"), key=True),
                f"the {spec.format} feed at {spec.url} has no sha256 pin",
                "add sha256: with the SHA-256 of the reviewed feed (sha256sum prints it)",
            )
        allowed = FEED_FILTERS[spec.format]
        for key in spec.filters():
            if key not in allowed:
                out.error(
                    item.doc.locate((*where, key), key=True),
                    f"the {spec.format} feed has no {key!r} to filter on",
                    f"{spec.format} feeds filter on: {', '.join(allowed)}"
                    if allowed
                    else f"{spec.format} feeds take no filters; remove {key}",
                )
        if spec.format == "github" and spec.keys is None:
            out.error(
                place,
                "the github feed needs keys: the lists of the meta document to read",
                "e.g. keys: [hooks]; the meta document lists hooks, web, api, git, actions, …",
            )
        source = spec.url
        if spec.path is not None:
            # Judged even beside a url: where it leads is its own mistake.
            path = feed_path(item, spec.path, where, out)
            source = path if spec.url is None else source
        if len(out.errors) > errors_before or source is None:
            continue
        filters = spec.filters()
        if spec.format == "atlassian":
            filters.setdefault("directions", ("egress",))
        found.append(
            Feed(
                format=spec.format,
                source=source,
                is_url=spec.url is not None,
                sha256=spec.sha256,
                filters=filters,
                label=str(place),
            )
        )
    return tuple(found)
