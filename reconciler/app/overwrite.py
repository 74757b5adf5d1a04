"""Writing over a file the user may have written: only over one mailctl produced, or
when told to (``--force``).

How a file is recognised as mailctl's own: a domains file written by ``mailctl
export`` starts with the comment ``# Exported by mailctl from store …`` among its
first lines (``reconciler.desired.to_yaml.HEADER``); a plan written by ``mailctl plan
--out`` or ``rollback --out`` is a JSON object whose first fields are its own
``format_version`` and ``mailctl_version``. A file that is missing or empty
holds nothing to lose. Anything else (a domains.yaml written by hand, a file the path
names by mistake) is refused before a byte is written, so a mistyped ``--out`` or an
export from the wrong store cannot silently replace the user's work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.errors import MailctlError

EXPORT_MARK = b"# Exported by mailctl from store "
_HEAD = 4096  # the mark is in the file's first lines; reading more would prove nothing


def exported_by_mailctl(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) carries the export header comment."""
    return any(line.startswith(EXPORT_MARK) for line in head.splitlines()[:5])


def plan_by_mailctl(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) starts a saved plan's JSON."""
    text = head.lstrip()
    return text.startswith(b"{") and b'"format_version"' in text and b'"mailctl_version"' in text


def refuse_foreign(
    path: Path,
    ours: Callable[[bytes], bool],
    *,
    force: bool,
    what: str,
    remedy: str = "Add --force to replace it (commit it first: Git keeps the old text), "
    "or choose another --out",
) -> None:
    """MailctlError, before anything is written, when ``path`` holds a file that
    ``ours`` does not recognise and ``force`` is not given. ``what`` names the
    command's output for the message (e.g. "the export"), ``remedy`` what to do."""
    if force:
        return
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD)
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there to lose; the write itself says why it fails, if it does
    except IsADirectoryError:
        raise MailctlError(f"cannot write {path}: it is a directory") from None
    except OSError as exc:
        raise MailctlError(
            f"cannot write {path}: cannot read what it holds ({exc.strerror})"
        ) from None
    if head.strip() and not ours(head):
        raise MailctlError(
            f"{path} exists and was not written by mailctl; {what} would replace it. {remedy}"
        )
