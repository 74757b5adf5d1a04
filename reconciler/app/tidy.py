"""``init`` and ``fmt``: start a domains file, and keep domains files in canonical form.

Neither touches a store or the network. ``fmt`` rewrites only files that validate, and
each atomically, so an interrupted run leaves every file old or new, never half.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reconciler.desired.canonical import canonical
from reconciler.desired.credential_env import DEFAULT as DEFAULT_CREDENTIALS
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.discovery import discover
from reconciler.desired.loader import load
from reconciler.desired.starter import STARTER
from reconciler.errors import MailctlError
from reconciler.output.atomic import sync, write_atomic
from reconciler.plan.status import EXIT_CHANGES, EXIT_OK

DEFAULT_PATH = Path("domains.yaml")


@dataclass(frozen=True)
class InitOptions:
    """Write the starter domains file at ``path``; never over an existing file."""

    path: Path = DEFAULT_PATH


@dataclass(frozen=True)
class Initialised:
    path: Path
    status: int = EXIT_OK


def init(options: InitOptions) -> Initialised:
    """Write the starter file. MailctlError, and nothing written, when ``options.path``
    exists (whatever it holds) or cannot be written.

    The file is written to a temporary file and linked into place: the link fails if
    a file appeared there meanwhile, so a race cannot overwrite one either.
    """
    path = options.path
    if path.exists() or path.is_symlink():
        raise MailctlError(
            f"{path} exists; mailctl init never replaces a file. Edit it, or give "
            "another path: mailctl init PATH"
        )
    folder = path.parent
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise MailctlError(f"cannot write {path}: {exc.strerror}") from None
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(STARTER)
        sync(temp)
        os.link(temp, path)
    except FileExistsError:
        raise MailctlError(f"{path} exists; mailctl init never replaces a file") from None
    except OSError as exc:
        raise MailctlError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    return Initialised(path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@dataclass(frozen=True)
class FmtOptions:
    """Format the domains file, or every ``*.yaml``/``*.yml`` file below the folder,
    at ``path``; with ``check``, only tell which would change."""

    path: Path
    check: bool = False
    credentials: CredentialPolicy = DEFAULT_CREDENTIALS


@dataclass(frozen=True)
class Formatted:
    files: tuple[Path, ...]  # every file looked at
    changed: tuple[Path, ...]  # rewritten, or (check) that would be
    check: bool
    status: int = EXIT_OK


def fmt(options: FmtOptions) -> Formatted:
    """Rewrite the files in canonical form (``reconciler.desired.canonical``).

    The whole path is validated first, as ``mailctl validate`` does: InputError with
    every diagnostic, and no file written, when it does not validate. With ``check``
    nothing is written and the status is EXIT_CHANGES (2) when a file would change.
    """
    load(options.path, options.credentials)
    files = tuple(discover(options.path))
    rewrites: list[tuple[Path, str]] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        formatted = canonical(text)
        if formatted != text:
            rewrites.append((file, formatted))
    changed = tuple(file for file, _ in rewrites)
    if options.check:
        return Formatted(files, changed, True, EXIT_CHANGES if changed else EXIT_OK)
    for file, formatted in rewrites:
        # Through a link to the file it names: the link stays a link.
        write_atomic(file.resolve(), formatted.encode("utf-8"))
    return Formatted(files, changed, False)
