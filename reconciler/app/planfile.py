"""Saved plans: reading one back (refused if it is not a plan, is of another format
than this mailctl writes, or was edited), writing one, and sealing one with the plan key."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from reconciler.app.overwrite import plan_by_mailctl, refuse_foreign
from reconciler.desired.shared_fields import compact_context
from reconciler.errors import InputError, Location, MailctlError
from reconciler.output.atomic import write_atomic
from reconciler.plan import signing
from reconciler.plan.document import PLAN_FORMAT_VERSION, PlanDocument
from reconciler.plan.plan_json import pieces, read_streamed
from reconciler.plan.signing import PlanKey, SignatureMismatch


def read(path: Path, key: PlanKey | None = None) -> PlanDocument:
    """A saved plan, refused if it is not one, is of a newer or an older format (an older
    one records no decisions) or was edited:
    its checksum does not match, or (with ``key``) it is signed and ``key`` does not
    verify the signature."""
    where = Location(str(path))
    # A plan as mailctl wrote it is read a member at a time (a plan of 100,000 creates
    # is 140 MB); its models, compacted as they are made, take a fraction of that (see
    # shared_fields). Any other file is read whole, which also says what is wrong.
    # Only a regular file: a pipe or FIFO (``<(cat plan.json)``) can be read once.
    document = read_streamed(path, compact_context()) if path.is_file() else None
    if document is None:
        document = _whole(path, where)
    if document.checksum != document.compute_checksum():
        raise InputError.single(
            where,
            "plan checksum does not match its content: the plan was changed after it was made",
            "make a new plan with mailctl plan --out; never edit a saved plan",
        )
    try:
        signing.verify(document, key)
    except SignatureMismatch as exc:
        raise InputError.single(where, f"plan refused: {exc}") from None
    return document


def _whole(path: Path, where: Location) -> PlanDocument:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(where, f"cannot read plan: {exc.strerror}") from None
    try:
        # Straight from the JSON into the models, not through Python values first.
        return PlanDocument.model_validate_json(raw, context=compact_context())
    except ValidationError:
        return _refused(raw, where)  # raises, saying why as precisely as it can


def _refused(raw: bytes, where: Location) -> PlanDocument:
    """Why ``raw`` is no plan this mailctl reads: invalid JSON (where), another format
    version, or the first field that is not a plan's."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError.single(where, f"cannot read plan: not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise InputError.single(
            Location(where.file, exc.lineno, exc.colno),
            f"not a plan: invalid JSON ({exc.msg})",
            "pass the file written by mailctl plan --out",
        ) from None
    version = data.get("format_version") if isinstance(data, dict) else None
    if isinstance(version, bool) or not isinstance(version, int):
        version = None  # not a version: the model's validation says what is wrong
    if version is not None and version > PLAN_FORMAT_VERSION:
        raise InputError.single(
            where,
            f"plan format {version} is newer than this mailctl understands "
            f"(it reads format {PLAN_FORMAT_VERSION})",
            "apply it with the mailctl version that made it",
        )
    if version is not None and version < PLAN_FORMAT_VERSION:
        # Not read as a plan without decisions: its checksum and signature seal what
        # the older mailctl wrote, and "no decisions" is not what its reviewer saw
        # (the gates it shows lifted would be refused here), so a new plan is clearer.
        raise InputError.single(
            where,
            f"plan format {version} was made by an older mailctl, before plans recorded "
            f"the decisions apply honours (this mailctl reads format {PLAN_FORMAT_VERSION})",
            "plan again with this mailctl (mailctl plan … --out) and apply that plan",
        )
    try:
        return PlanDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise InputError.single(
            where,
            f"not a valid mailctl plan: {place}: {first['msg']}",
            "pass the file written by mailctl plan --out",
        ) from None


def write(document: PlanDocument, out: Path) -> None:
    """Save ``document`` as JSON at ``out``, atomically (all of it, or the old file);
    refused, before anything is written, when ``out`` holds a file that is no saved
    plan (a domains.yaml named by mistake)."""
    refuse_foreign(
        out,
        plan_by_mailctl,
        force=False,
        what="the plan",
        remedy="Remove it, or choose another --out",
    )
    try:
        write_atomic(out, pieces(document))
    except OSError as exc:
        raise MailctlError(f"cannot write the plan to {out}: {exc.strerror}") from None


def sealed(document: PlanDocument, key: PlanKey | None) -> PlanDocument:
    """``document`` signed with ``key``, so apply can trust its evidence; as it is
    without a key."""
    return signing.sign(document, key) if key is not None else document
