"""The report of an unexpected error: private to its user, and free of store passwords.

The report goes into a new folder made for it (``mkdtemp``: mode 0700, a name no one
can guess or plant a link at) as a file created 0600 with ``O_EXCL | O_NOFOLLOW``. In
CI the store URL, with its password, sits in ``MAILCTL_STATE`` or on the command line,
and an exception's text or a traceback line can repeat it: every password found in
those URLs is replaced, as written, percent-decoded and in any letter case.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import traceback
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from reconciler import __version__

STATE_ENV = "MAILCTL_STATE"  # reconciler.store.open.ENV_VAR, without importing the store
HIDDEN = "***"
_SECRET_QUERY = re.compile(r"(?i)\b((?:ssl)?password|passfile|sslkey)=([^&\s'\"]+)")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/@\s:'\"]*:)([^\s'\"]*)(@)")


def _url_secrets(url: str) -> set[str]:
    """The passwords in ``url``, found without a URL parser: the URL that crashed one
    may be malformed (an unclosed ``[``, a port that is no number)."""
    found: set[str] = set()
    _, _, rest = url.partition("://")
    userinfo, at, _ = rest.rpartition("@")
    if at:
        _, colon, password = userinfo.partition(":")
        if colon and password:
            found.add(password)
    found.update(match.group(2) for match in _SECRET_QUERY.finditer(url))
    return found | {urllib.parse.unquote(secret) for secret in found}


def _state_urls(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    urls = [env.get(STATE_ENV, "")]
    for index, arg in enumerate(argv):
        if arg == "--state" and index + 1 < len(argv):
            urls.append(argv[index + 1])
        elif arg.startswith("--state="):
            urls.append(arg.removeprefix("--state="))
    return [url for url in urls if url]


def secrets(argv: Sequence[str], env: Mapping[str, str]) -> set[str]:
    """Every store password given on the command line or in the environment."""
    found: set[str] = set()
    for url in _state_urls(argv, env):
        found |= _url_secrets(url)
    return {secret for secret in found if secret}


def scrub(text: str, hidden: Iterable[str]) -> str:
    """``text`` with each of ``hidden`` replaced (any case), and the password of any URL
    or ``password=`` option in it too."""
    for secret in sorted(hidden, key=len, reverse=True):
        text = re.sub(re.escape(secret), HIDDEN, text, flags=re.IGNORECASE)
    text = _USERINFO.sub(lambda m: m.group(1) + HIDDEN + m.group(3), text)
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={HIDDEN}", text)


def write_report(
    exc: BaseException, argv: Sequence[str], env: Mapping[str, str], folder: str | None = None
) -> Path:
    """Write the report of ``exc`` into a new private folder under ``folder`` (default:
    the system's temporary folder); return the file. Raises OSError."""
    hidden = secrets(argv, env)
    details = "".join(traceback.format_exception(exc))
    body = scrub(f"mailctl {__version__}\nargv: {list(argv)}\n\n{details}", hidden)
    private = Path(tempfile.mkdtemp(prefix="mailctl-crash-", dir=folder))
    report = private / f"crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(report, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(body)
    return report
