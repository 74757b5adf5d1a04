"""Shared helpers for the tests of the allowlist file formats: a small realistic
allowlist, the golden-file check, readers that take the CIDRs back out of every
format, and a runner that feeds files to the real firewall tools inside throwaway
network namespaces (``unshare -rn``; never the host's firewall)."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

from reconciler.allowlist.formats import COMBINED, FORMATS
from reconciler.allowlist.rules import Allowlist, DomainRule, Network, Origin, collapse
from tests.conftest import CORPUS

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "allowlists"
AWS = CORPUS / "ipranges" / "aws" / "ip-ranges.json"

# A long domain (IDN labels as A-labels are ordinary LDH labels): longer than any
# iptables chain, ipset set and nftables comment, short enough for a file name.
LONG_DOMAIN = (
    "regional-office-of-an-organisation-with-a-rather-long-name.mail-and-calendar-"
    "services-for-the-whole-group-and-its-partners.example.net"
)

RANGES = (
    # Halves that join, a duplicate, a range inside another, and one apart.
    "192.0.2.0/25",
    "192.0.2.128/25",
    "192.0.2.0/25",
    "198.51.100.0/24",
    "198.51.100.64/26",
    "203.0.113.7/32",
    "2001:db8::/33",
    "2001:db8:8000::/33",
    "2001:db8:1234::/48",
    "3fff:0:100::/40",
)

RULES = (
    DomainRule("example.com", "imap.example.com", 993, "smtp.example.com", 587),
    DomainRule("example.org", "mail.example.org", 143, "mail.example.org", 465),
    DomainRule(LONG_DOMAIN, "imap.example.net", 993, "smtp.example.net", 465),
    # münchen.example, its mail servers given as IP literals.
    DomainRule("xn--mnchen-3ya.example", "192.0.2.10", 993, "2001:db8::25", 993),
)

ORIGIN = Origin(kind="stored", lineage="6d1f4b2e-8c1a-4e0b-9a57-3f2c71d0e5a4", serial=12)


def sample(
    ranges: Iterable[str | Network] = RANGES,
    rules: Iterable[DomainRule] = RULES,
    origin: Origin = ORIGIN,
) -> Allowlist:
    return Allowlist(
        sources=collapse(ranges),
        domains=tuple(sorted(rules, key=lambda r: r.domain)),
        origin=origin,
    )


def render_all(allowlist: Allowlist, formats: Iterable[str] = FORMATS) -> dict[str, bytes]:
    """Every file of ``formats``: the combined one and one per domain, by file name."""
    files: dict[str, bytes] = {}
    for name in formats:
        render = FORMATS[name].render
        jobs = [(allowlist, COMBINED)]
        jobs += [(allowlist.for_domain(rule), rule.domain) for rule in allowlist.domains]
        for part, stem in jobs:
            for file_name, data in render(part, stem):
                assert file_name not in files, f"{file_name} made twice"
                files[file_name] = data
    return files


def check_golden(name: str, data: bytes) -> None:
    """``data`` must equal ``tests/golden/allowlists/<name>`` byte for byte; with
    ``MAILCTL_UPDATE_GOLDEN=1`` it becomes that file (review the diff by eye)."""
    path = GOLDEN / name
    if os.environ.get("MAILCTL_UPDATE_GOLDEN") == "1":
        path.write_bytes(data)
    assert path.exists(), f"{path} is missing; run with MAILCTL_UPDATE_GOLDEN=1 to create it"
    assert path.read_bytes().decode() == data.decode()


# -- Reading the CIDRs back out of each format, by its text alone. ---------------------


def _body(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def cidrs_txt(text: str) -> list[str]:
    return _body(text)


def cidrs_json(text: str) -> list[str]:
    sources = json.loads(text)["sources"]
    return [*sources["ipv4"], *sources["ipv6"]]


def rows_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_body(text)))


def cidrs_csv(text: str) -> list[str]:
    return [row["cidr"] for row in rows_csv(text)]


def cidrs_nft(text: str) -> list[str]:
    found = []
    for block in re.findall(r"elements = \{([^}]*)\}", text):
        found += [item.strip() for item in block.split(",") if item.strip()]
    return found


def cidrs_iptables(text: str) -> list[str]:
    return re.findall(r"^-A \S+ -s (\S+) ", text, flags=re.MULTILINE)


def cidrs_ipset(text: str) -> list[str]:
    return re.findall(r"^add \S+ (\S+)$", text, flags=re.MULTILINE)


READERS: dict[str, Callable[[str], list[str]]] = {
    ".txt": cidrs_txt,
    ".json": cidrs_json,
    ".csv": cidrs_csv,
    ".nft": cidrs_nft,
    ".rules.v4": cidrs_iptables,
    ".rules.v6": cidrs_iptables,
    ".ipset": cidrs_ipset,
}


def cidrs_of(file_name: str, data: bytes) -> list[str]:
    """The CIDRs written in a file of any format, read from its text."""
    for suffix, read in READERS.items():
        if file_name.endswith(suffix):
            return read(data.decode("ascii"))
    raise AssertionError(f"no reader for {file_name}")


# -- The real tools, in throwaway network namespaces. ----------------------------------

_SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


def tool(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("PATH", "") + os.pathsep + _SBIN)
    if found is None:
        pytest.fail(f"{name} is not installed; ./scripts/test installs nftables, iptables, ipset")
    return found


def _steps(file_name: str, backend: str, load: bool) -> list[str]:
    """Shell commands that check ``file_name``, load it twice, and dump what the kernel
    holds to ``<file_name>.dump``; without ``load``, only the check."""
    if not load:
        return _steps(file_name, backend, load=True)[:1]
    f = shlex.quote(file_name)
    dump = shlex.quote(file_name + ".dump")
    if file_name.endswith(".nft"):
        nft = tool("nft")
        return [
            f"{nft} -c -f {f}",
            f"{nft} -f {f}",
            f"{nft} -f {f}",
            f"{nft} -j list ruleset >{dump}",
        ]
    if file_name.endswith((".rules.v4", ".rules.v6")):
        family = "iptables" if file_name.endswith(".v4") else "ip6tables"
        restore = tool(f"{family}-{backend}-restore")
        save = tool(f"{family}-{backend}-save")
        return [
            f"{restore} --test --noflush {f}",
            f"{restore} --noflush {f}",
            f"{restore} --noflush {f}",
            f"{save} -t filter >{dump}",
        ]
    if file_name.endswith(".ipset"):
        ipset = tool("ipset")
        return [f"{ipset} restore -file {f}", f"{ipset} restore -file {f}", f"{ipset} save >{dump}"]
    raise AssertionError(f"{file_name} is not a firewall file")


def is_firewall_file(file_name: str) -> bool:
    return file_name.endswith((".nft", ".rules.v4", ".rules.v6", ".ipset"))


def load_in_namespaces(
    files: Mapping[str, bytes], backend: str = "nft", together: bool = False, load: bool = True
) -> dict[str, str]:
    """Check and load every firewall file of ``files`` twice with the real tool; returns
    what the kernel then holds, by file name.

    One ``unshare -rn`` for the lot (a new user and network namespace, so no root and
    no host firewall are involved), then ``unshare -n`` per file, so that files that
    name the same objects (a domain's chain in its own file and in the combined one)
    never meet; with ``together`` all files go into that one namespace, in name order,
    as on a host that loads them all. Without ``load`` the files are only checked
    (``-c``, ``--test``; not possible for ipset) and nothing is returned. The first
    failure fails the test with the tool's message."""
    chosen = {name: data for name, data in files.items() if is_firewall_file(name)}
    assert chosen, "no firewall files to load"
    unshare = tool("unshare")
    with tempfile.TemporaryDirectory(prefix="mailctl-fw-") as tmp:
        directory = Path(tmp)
        script = ["set -e"]
        for number, (name, data) in enumerate(sorted(chosen.items())):
            # Short names on disk: a 253-character domain and a suffix may not fit.
            local = f"{number:04}{_suffix(name)}"
            (directory / local).write_bytes(data)
            inner = " && ".join(_steps(local, backend, load))
            script.append(f"echo {shlex.quote('== ' + name)} >&2")
            script.append(inner if together else f"{unshare} -n sh -ec {shlex.quote(inner)}")
        result = subprocess.run(
            [unshare, "-rn", "sh", "-c", "\n".join(script)],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"a firewall tool refused a file:\n{result.stderr}"
        if not load:
            return {}
        return {
            name: (directory / f"{number:04}{_suffix(name)}.dump").read_text()
            for number, name in enumerate(sorted(chosen))
        }


def check_in_one_namespace(files: Mapping[str, bytes]) -> None:
    """Check many firewall files fast: per tool, the files concatenated into a few inputs,
    each checked by one process (``nft -c -f``, ``iptables-restore --test --noflush``,
    ``ip6tables-restore ...``, ``ipset restore`` for real, as it has no test mode) in
    one throwaway namespace. Each file declares and replaces its own objects, so a
    concatenation is valid exactly when every file is. On a refusal, the files are
    checked one by one to name the culprit."""
    # Batches of a bounded size: in a user namespace a netlink message cannot grow past
    # the default socket buffer, and nft and iptables-nft send a file as one message.
    batches: list[tuple[str, list[bytes]]] = []
    sizes: dict[str, int] = {}
    for name, data in sorted(files.items(), key=lambda item: _suffix(item[0])):
        if not is_firewall_file(name):
            continue
        suffix, lines = _suffix(name), data.count(b"\n")
        if not batches or batches[-1][0] != suffix or sizes[suffix] + lines > 1500:
            batches.append((suffix, []))
            sizes[suffix] = 0
        batches[-1][1].append(data)
        sizes[suffix] += lines
    commands = {
        ".nft": f"{tool('nft')} -c -f",
        ".rules.v4": f"{tool('iptables-restore')} --test --noflush",
        ".rules.v6": f"{tool('ip6tables-restore')} --test --noflush",
        ".ipset": f"{tool('ipset')} restore -file",
    }
    with tempfile.TemporaryDirectory(prefix="mailctl-fw-") as tmp:
        script = ["set -e"]
        for number, (suffix, parts) in enumerate(batches):
            (Path(tmp) / f"{number:03}{suffix}").write_bytes(b"".join(parts))
            script.append(f"{commands[suffix]} {number:03}{suffix}")
        result = subprocess.run(
            [tool("unshare"), "-rn", "sh", "-c", "\n".join(script)],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        for name, data in sorted(files.items()):
            if is_firewall_file(name):
                load_in_namespaces({name: data})
        raise AssertionError(f"the concatenated files were refused:\n{result.stderr}")


def _suffix(file_name: str) -> str:
    return next(s for s in (".nft", ".rules.v4", ".rules.v6", ".ipset") if file_name.endswith(s))


def kernel_cidrs(file_name: str, dump: str) -> dict[str, list[str]]:
    """The CIDRs the kernel holds after loading ``file_name``, by set or chain, spelt as
    Python spells networks (the tools write a host route as a bare address)."""
    held: dict[str, list[str]] = {}
    if file_name.endswith(".nft"):
        for item in json.loads(dump)["nftables"]:
            found = item.get("set")
            if found is not None:
                key = f"{found['table']}/{found['name']}"
                held[key] = [_nft_element(element) for element in found.get("elem", [])]
    elif file_name.endswith(".ipset"):
        for name in re.findall(r"^create (\S+) ", dump, flags=re.MULTILINE):
            held[name] = []
        for name, cidr in re.findall(r"^add (\S+) (\S+)$", dump, flags=re.MULTILINE):
            held[name].append(_with_length(cidr))
    else:
        for chain, cidr in re.findall(r"^-A (\S+) -s (\S+) ", dump, flags=re.MULTILINE):
            held.setdefault(chain, []).append(_with_length(cidr))
    return held


def _with_length(cidr: str) -> str:
    if "/" in cidr:
        return cidr
    return cidr + ("/128" if ":" in cidr else "/32")


def _nft_element(element: object) -> str:
    if isinstance(element, str):
        return _with_length(element)
    assert isinstance(element, dict), element
    if "prefix" in element:
        return f"{element['prefix']['addr']}/{element['prefix']['len']}"
    raise AssertionError(f"an nft element that is not a prefix: {element}")


def nft_rule_count(dump: str) -> int:
    return sum(1 for item in json.loads(dump)["nftables"] if "rule" in item)


def iptables_rules(dump: str) -> list[str]:
    return [line for line in dump.splitlines() if line.startswith("-A ")]


_WHOLE = {"0.0.0.0/0": ["0.0.0.0/1", "128.0.0.0/1"], "::/0": ["::/1", "8000::/1"]}


def assert_kernel_holds(allowlist: Allowlist, dumps: Mapping[str, str]) -> None:
    """After each firewall file was loaded twice, the kernel holds the allowlist's
    sources exactly (each once, as written) and each domain's rules once: a reload
    doubled nothing."""
    sources = {4: list(allowlist.sources.ipv4), 6: list(allowlist.sources.ipv6)}
    for name, dump in dumps.items():
        combined = name.startswith(COMBINED + ".")
        count = len(allowlist.domains) if combined else 1
        held = kernel_cidrs(name, dump)
        if name.endswith((".rules.v4", ".rules.v6")):
            cidrs = sources[4 if name.endswith(".v4") else 6]
            assert len(held) <= 1, (name, sorted(held))  # one chain holds the sources
            sources_held = [c for chain in held.values() for c in chain]
            # iptables-save leaves out "-s" when it matches everything
            expected = [] if cidrs in (["0.0.0.0/0"], ["::/0"]) else cidrs
            assert sorted(sources_held) == sorted(expected), name
            extra = 2 * count if combined else 0  # mailctl -> domain -> mailctl-sources
            assert len(iptables_rules(dump)) == len(cidrs) + extra, name
            continue
        assert len(held) == 2, (name, sorted(held))
        for key, cidrs_held in held.items():
            expected = sources[6 if key.endswith("/v6") or "-v6" in key else 4]
            if name.endswith(".ipset") and len(expected) == 1 and expected[0] in _WHOLE:
                expected = _WHOLE[expected[0]]  # hash:net holds no /0: its two halves
            assert sorted(cidrs_held) == sorted(expected), (name, key)
        if name.endswith(".nft"):
            assert nft_rule_count(dump) == 2 * count, name
