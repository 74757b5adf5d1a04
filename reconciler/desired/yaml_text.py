"""The text of one YAML file, refused before parsing when it cannot be a domains file:
larger than :data:`MAX_FILE_BYTES`, not UTF-8, or holding a character YAML does not
allow. Each refusal names the file and, where there is one, the line and column."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.errors import InputError, Location

MAX_FILE_BYTES = 32 * 1024 * 1024


def read_text(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError.single(
                Location(name),
                f"file is {size / 2**20:.1f} MiB; mailctl reads files of at most "
                f"{MAX_FILE_BYTES // 2**20} MiB",
                "split the domains over several files in one folder",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(Location(name), f"cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError.single(
            Location(name, line, column),
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8",
        ) from None
    _refuse_unprintable(text, name)
    return text


# What YAML 1.2 allows in a stream (its c-printable production), plus the BOM.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL"}


def _refuse_unprintable(text: str, name: str) -> None:
    """Refuse a character YAML does not allow, at its own line and column.

    The parser would report it at 1:1 with its internal offset; found here, the
    message can point at the character, which is often invisible in an editor.
    """
    found = _UNPRINTABLE.search(text)
    if found is None:
        return
    start = found.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    code = ord(found.group())
    label = f"U+{code:04X}" + (f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else "")
    raise InputError.single(
        Location(name, line, column),
        f"the file contains the control character {label}, which YAML does not allow",
        "remove it: a domains file is plain text (the character may be invisible in an editor)",
    )
