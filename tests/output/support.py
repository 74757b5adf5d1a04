"""What the output-folder tests share: a domain with static IPs, and a folder's tree."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.model import Domain, Endpoint


def domain(name: str) -> Domain:
    return Domain(
        name=name,
        imap=Endpoint(host=f"imap.{name}", port=993, security="ssl"),
        smtp=Endpoint(host=f"smtp.{name}", port=587, security="starttls"),
        use_static_ip_addresses=True,
    )


def tree(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry below ``root``: a file's bytes, a link's target, a folder."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = ("link", str(path.readlink()))
        elif path.is_dir():
            found[name] = ("folder", "")
        else:
            found[name] = ("file", path.read_bytes())
    return found
