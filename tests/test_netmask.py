"""A range is written with a prefix length: a netmask or hostmask (which ``ipaddress``
reads) is an error with the prefix length to write, in YAML ranges and in feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.allowlist.feed_values import FeedError
from reconciler.allowlist.feeds import read_feed
from reconciler.desired.loader import load
from reconciler.desired.ranges import RangeError, parse_range
from reconciler.errors import InputError, Location


@pytest.mark.parametrize("mask", ["255.255.255.0", "0.0.0.255"])
def test_a_mask_is_not_a_prefix_length(mask: str) -> None:
    with pytest.raises(RangeError) as raised:
        parse_range(f"192.0.2.0/{mask}")
    assert raised.value.kind == "cidr_netmask"
    assert raised.value.message == (
        f"'192.0.2.0/{mask}' writes a mask ('{mask}') where a range has a prefix length"
    )
    assert raised.value.hint == "write 192.0.2.0/24"


def test_a_mask_in_the_yaml_is_an_error_at_its_value(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(
        "version: 1\nconnection_ips:\n  ranges:\n    - 198.51.100.0/24\n"
        "    - 192.0.2.0/255.255.255.128\n"
    )
    with pytest.raises(InputError) as raised:
        load(path)
    [(place, message, hint)] = [(d.location, d.message, d.hint) for d in raised.value.diagnostics]
    assert place == Location(str(path), 5, 7)
    assert "writes a mask ('255.255.255.128') where a range has a prefix length" in message
    assert hint == "write 192.0.2.0/25"


def test_a_mask_in_a_feed_is_an_error_naming_the_entry() -> None:
    with pytest.raises(FeedError) as raised:
        read_feed("text", b"198.51.100.0/24\n192.0.2.0/0.0.0.255  # office\n", {})
    assert raised.value.message == (
        "line 2: '192.0.2.0/0.0.0.255' writes a mask ('0.0.0.255') where a range has a "
        "prefix length"
    )
    assert raised.value.hint == "write 192.0.2.0/24"
    document = (
        b'{"prefixes": [{"ip_prefix": "3.5.140.0/255.255.252.0", "region": "r", "service": "S"}]}'
    )
    with pytest.raises(FeedError, match=r"prefixes\[0\] ip_prefix: .* writes a mask"):
        read_feed("aws", document, {})
