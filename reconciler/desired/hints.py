"""Did-you-mean hints for values a person is likely to write in a domains file: a
security mode in other letters or words (``SSL``, ``STARTTLS``, ``tls``), and a host
name written where an endpoint's mapping belongs (``imap: imap.example.com``)."""

from __future__ import annotations

import difflib
import re
from typing import Any

# Words people use for TLS from the first byte; "tls" alone may mean either mode.
_SECURITY_WORDS = {
    "tls": "did you mean 'ssl' (TLS from the first byte, ports 993 and 465) or 'starttls' "
    "(a plain connection upgraded to TLS, ports 143 and 587)?",
    "implicit": "did you mean 'ssl'? it is TLS from the first byte (ports 993 and 465)",
    "ssl/tls": "did you mean 'ssl'? it is TLS from the first byte (ports 993 and 465)",
    "plain": "did you mean 'none'? it sends passwords and mail unencrypted",
}


def choices(expected: str) -> list[str]:
    """The values of a pydantic ``literal_error``'s ``expected`` text
    (``"'ssl', 'starttls' or 'none'"``)."""
    return re.findall(r"'([^']*)'", expected)


def one_of(value: Any, expected: str) -> str:
    """A hint for ``value`` written where one of ``expected`` belongs, or ''."""
    if not isinstance(value, str):
        return ""
    allowed = choices(expected)
    folded = value.strip().lower()
    if folded in allowed:
        return f"did you mean {folded!r}? the values are written in lower case"
    if "ssl" in allowed and folded in _SECURITY_WORDS:
        return _SECURITY_WORDS[folded]
    close = difflib.get_close_matches(folded, allowed, n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def endpoint_form(field: str, value: Any) -> str:
    """A hint for a bare host name written where the mapping of an endpoint belongs."""
    if field not in ("imap", "smtp") or not isinstance(value, str):
        return ""
    return (
        f"an endpoint is a mapping: write {field}: {{host: {value}}} "
        "(add port: and security: unless the defaults fit)"
    )
