"""Golden files: every format, per domain and combined, of a small realistic allowlist
(IPv4 and IPv6 ranges that collapse, domains with different ports, an IDN domain with
IP-literal hosts, a domain longer than every firewall name limit).

The golden files are the specification of the output; after an intended change run
``MAILCTL_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/allowlist/test_formats_golden.py``
and review the diff by eye."""

from __future__ import annotations

import pytest

from tests.allowlist.formats_support import GOLDEN, check_golden, render_all, sample

FILES = render_all(sample())


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden(name: str) -> None:
    check_golden(name, FILES[name])


def test_every_golden_file_is_still_made() -> None:
    stale = sorted(p.name for p in GOLDEN.iterdir()) if GOLDEN.exists() else []
    assert [name for name in stale if name not in FILES] == []


def test_seven_files_per_domain_and_for_all() -> None:
    # nftables, ipset, txt, json, csv: one file each; iptables: IPv4 and IPv6.
    stems = ["all", *(rule.domain for rule in sample().domains)]
    suffixes = [".nft", ".rules.v4", ".rules.v6", ".ipset", ".txt", ".json", ".csv"]
    assert sorted(FILES) == sorted(stem + suffix for stem in stems for suffix in suffixes)
