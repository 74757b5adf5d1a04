"""Text a server chose, made fit for our output. Pure; no I/O, imports only ``re``.

A checked server controls its replies, status words, capability atoms, AUTH mechanisms
and certificate names. Every such string passes through :class:`ServerText` before it
reaches a check result, in this order:

1. every form of a secret the check holds is replaced by ``***``, in any letter case
   (an IMAP status word comes back upper-cased);
2. control and invisible format characters become visible escapes (``\\x1b``,
   ``\\u202e``): they could retitle a terminal, hide text, or start a forged line such
   as ``::error::`` in a CI log;
3. the text is cut to a length, so one huge token cannot make a huge report;
4. in sentences, the text is quoted, so a reader sees where the server's words begin
   and end.

:func:`printable` is steps 2 and 3 alone: the evidence model applies it to every
string it holds, as the last line of defence for a path that forgot this module. It is
idempotent, so a saved plan validates to exactly the evidence it was saved with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SCRUBBED = "***"
ELLIPSIS = "…"

# C0 and C1 controls, DEL, and the invisible characters that reorder or hide text
# (soft hyphen, Arabic letter mark, zero widths, bidi marks/embeddings/isolates, line and
# paragraph separators, word joiners, BOM, annotation marks, tags) and lone surrogates.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters long, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def printable(text: str, limit: int) -> str:
    """``text`` with controls and invisible characters escaped, cut to ``limit``.

    Idempotent: ``printable(printable(t, n), n) == printable(t, n)``.
    """
    return cut(_INVISIBLE.sub(_visible, text[:limit]), limit)


class ServerText:
    """Makes server text safe for a result of a check holding ``secrets``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._secrets = (
            re.compile("|".join(re.escape(f) for f in forms), re.IGNORECASE) if forms else None
        )

    def scrub(self, text: str) -> str:
        """``text`` with every secret, in any letter case, replaced by ``***``."""
        return text if self._secrets is None else self._secrets.sub(SCRUBBED, text)

    def _decoded(self, raw: bytes | str) -> str:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return self.scrub(text.strip())

    def token(self, raw: bytes | str, limit: int = 100) -> str:
        """A word the server chose (capability, mechanism, name): scrubbed, printable, cut."""
        return self.scrub(printable(self._decoded(raw), limit))

    def quote(self, raw: bytes | str, limit: int = 200) -> str:
        """Server words for a sentence: scrubbed, escaped like a Python string, cut to
        ``limit`` characters, in double quotes."""
        text = self._decoded(raw).replace("\\", "\\\\").replace('"', '\\"')
        return '"' + self.scrub(printable(text, limit)) + '"'
