"""All connection ranges together, as an allowlist collapses them, stay within a floor
(no IPv4 range broader than /8 and at most 2^28 addresses; IPv6 /16 and 2^112). Judged
where ranges are loaded, where feeds are read and where the stored state becomes an
allowlist; nothing is written when it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.allowlist.feeds import read_feed
from reconciler.allowlist.fetch import FetchOptions
from reconciler.allowlist.resolve import resolve_feeds
from reconciler.app import allowlist as allowlist_app
from reconciler.app.plan import PlanRequest
from reconciler.app.plan import plan as make_plan
from reconciler.desired.loader import load
from reconciler.errors import InputError, Location, MailctlError
from reconciler.store.open import open_store
from tests.store.requests import domain, request

DATA = Path(__file__).resolve().parent.parent / "data"

DOMAINS = """\
domains:
  example.com:
    imap: {host: imap.example.com}
    smtp: {host: smtp.example.com}
    use_static_ip_addresses: true
"""


def write(tmp_path: Path, connection_ips: str) -> Path:
    path = tmp_path / "domains.yaml"
    path.write_text(f"version: 1\nconnection_ips:\n{connection_ips}{DOMAINS}")
    return path


def load_error(path: Path) -> list[tuple[Location, str, str]]:
    with pytest.raises(InputError) as raised:
        load(path)
    return [(d.location, d.message, d.hint) for d in raised.value.diagnostics]


@pytest.mark.parametrize(
    ("ranges", "collapsed"),
    [
        ("[0.0.0.0/1, 128.0.0.0/1]", "0.0.0.0/0"),
        ("['::/1', '8000::/1']", "::/0"),
        ("[0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/2, 192.0.2.0/24, 192.0.0.0/2]", "0.0.0.0/0"),
        ("[10.0.0.0/8, 11.0.0.0/8]", "10.0.0.0/7"),
    ],
)
def test_ranges_that_collapse_too_broad_are_refused_at_connection_ips(
    tmp_path: Path, ranges: str, collapsed: str
) -> None:
    path = write(tmp_path, f"  ranges: {ranges}\n")
    [(place, message, hint)] = load_error(path)
    assert place == Location(str(path), 2, 1)
    assert message.startswith(
        f"connection_ips allow too much: together they collapse to {collapsed}"
    )
    for written in ranges.strip("[]").replace("'", "").split(", "):
        if written != "192.0.2.0/24":
            assert written in message
    assert "the floor: no collapsed IPv" in hint


def test_many_narrow_ranges_are_refused_by_the_addresses_they_cover(tmp_path: Path) -> None:
    # every other /8: none merges with another, yet together half the internet
    eighths = ", ".join(f"{first}.0.0.0/8" for first in range(0, 256, 2))
    [(place, message, _)] = load_error(write(tmp_path, f"  ranges: [{eighths}]\n"))
    assert place.line == 2
    assert "together they cover 2,147,483,648 (2^31) IPv4 addresses, more than the " in message
    assert "268,435,456 (2^28) allowed" in message
    assert "0.0.0.0/8, 2.0.0.0/8, 4.0.0.0/8" in message and "and 122 more" in message


def test_halves_in_a_text_feed_are_judged_with_the_inline_ranges(tmp_path: Path) -> None:
    (tmp_path / "egress.txt").write_text("# our egress\n11.0.0.0/8\n")
    path = write(
        tmp_path,
        "  ranges: [10.0.0.0/8]\n  feeds:\n    - {format: text, path: egress.txt}\n",
    )
    desired = load(path).desired  # each /8 alone is within the floor
    with pytest.raises(InputError) as raised:
        resolve_feeds(desired, FetchOptions())
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location == Location(str(path), 2, 1)
    assert diagnostic.message == (
        "connection_ips allow too much: together they collapse to 10.0.0.0/7, broader than the "
        "/8 a collapsed IPv4 range may be; from: 10.0.0.0/8 (ranges), 11.0.0.0/8 (text feed "
        f"{tmp_path / 'egress.txt'})"
    )


def test_plan_and_allowlist_preview_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "halves.txt").write_text("::/1\n8000::/1\n")
    path = write(tmp_path, "  feeds:\n    - {format: text, path: halves.txt}\n")
    store_file = tmp_path / "state.db"
    store = open_store(f"sqlite:///{store_file}")
    try:
        with pytest.raises(InputError, match=r"collapse to ::/0"):
            make_plan(PlanRequest(path, checks=None), store=store)
        with pytest.raises(InputError, match=r"collapse to ::/0"):
            allowlist_app.desired_allowlist(path, store, None)
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["domains.yaml", "halves.txt"]


def test_a_stored_state_that_breaks_the_floor_gives_no_allowlist(tmp_path: Path) -> None:
    # Written by an earlier mailctl, or by another tool: the firewall files are refused.
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.apply(
            request(store.read(), [domain("a.example", static=True)], ["0.0.0.0/1", "128.0.0.0/1"])
        )
        with pytest.raises(
            MailctlError, match=r"stored connection ranges allow too much: .*0\.0\.0\.0/0"
        ):
            allowlist_app.stored_allowlist(store)
    finally:
        store.close()


def test_every_published_feed_together_stays_within_the_floor(tmp_path: Path) -> None:
    """The union of every feed of the corpus, unfiltered (see tests/data/README.md):
    whatever a user reads from these publishers is a part of it."""
    from reconciler.desired.ranges import MOST_ADDRESSES, too_broad  # (the floor's own terms)

    data = (DATA / "ipranges-corpus-union.txt").read_bytes()
    union = read_feed("text", data, {})
    assert len(union) == 4896 + 3216
    assert too_broad(union) == []
    (tmp_path / "union.txt").write_bytes(data)
    path = write(
        tmp_path, "  ranges: [192.0.2.0/24]\n  feeds:\n    - {format: text, path: union.txt}\n"
    )
    resolved, _ = resolve_feeds(load(path).desired, FetchOptions())
    assert len(resolved.connection_ranges) == len(union) + 1
    # and the floor is not far above it: a few more /8s would break it
    assert MOST_ADDRESSES[4] < 2 * 2**27.2
