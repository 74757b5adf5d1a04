"""Signed plans: an HMAC-SHA256 that lets apply trust a plan's live-check evidence.

Anyone who can edit a saved plan can also re-seal its checksum: the checksum is an
unkeyed hash that this package computes in the open. It catches accidents (a one-byte
edit is refused), never a forger. So apply trusts nothing a plan file says about its
own safety: it recomputes the changes and every gate from the plan's target against
the store (``plan.recompute``). The one thing it cannot recompute cheaply is the live
checks; it trusts a plan's evidence only when the plan carries a signature made with
the key that the plan and apply jobs share (``MAILCTL_PLAN_KEY``), and otherwise checks
the changed endpoints again before applying.

The key is never printed or written anywhere: a plan records only its *key id*, a
one-way value that tells two keys apart (``signed with key id …``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from enum import StrEnum

from reconciler.errors import MailctlError
from reconciler.plan.document import PlanDocument, PlanSignature

PLAN_KEY_ENV = "MAILCTL_PLAN_KEY"
MIN_KEY_BYTES = 32
# Domain separation: the same key used for anything else never yields a plan signature.
_SIGNATURE_LABEL = b"mailctl plan signature v1\n"
_KEY_ID_LABEL = b"mailctl plan key id v1"


class PlanKeyError(MailctlError):
    """The key in the environment cannot be used (a usage error, exit 1)."""


class SignatureMismatch(MailctlError):
    """A plan carries a signature that this key does not verify: refused as tampering."""


class Trust(StrEnum):
    """How far apply may trust a plan's check evidence."""

    SIGNED = "signed"  # the signature verifies with this apply's key
    UNSIGNED = "unsigned"  # the plan carries no signature
    NO_KEY = "no-key"  # this apply has no key to verify a signature with


class PlanKey:
    """A secret key for plan signatures. Its text never appears in repr or str."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise PlanKeyError(
                f"{PLAN_KEY_ENV} is too short ({len(secret)} bytes; at least "
                f"{MIN_KEY_BYTES} are needed): set it to random bytes, e.g. the output of "
                "'openssl rand -base64 32', the same in the plan and the apply job"
            )
        self._secret = secret

    def __repr__(self) -> str:
        return f"PlanKey(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        return hmac.new(self._secret, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]

    def mac(self, message: Iterable[bytes]) -> str:
        """The HMAC of the bytes of ``message``, given in pieces."""
        mac = hmac.new(self._secret, _SIGNATURE_LABEL, hashlib.sha256)
        for piece in message:
            mac.update(piece)
        return mac.hexdigest()


def key_from_env(env: Mapping[str, str]) -> PlanKey | None:
    """The key in ``MAILCTL_PLAN_KEY`` (None when unset or empty, as an unset secret of
    GitHub Actions arrives); raises :class:`PlanKeyError` when it is too short."""
    value = env.get(PLAN_KEY_ENV, "")
    return PlanKey(value.encode("utf-8")) if value else None


def _signed_content(plan: PlanDocument) -> Iterable[bytes]:
    """Everything in the plan but its checksum and signature, canonically encoded."""
    return plan.content({"checksum", "signature"})


def sign(plan: PlanDocument, key: PlanKey) -> PlanDocument:
    """``plan`` signed with ``key`` and sealed again (the checksum covers the signature)."""
    signature = PlanSignature(key_id=key.key_id, mac=key.mac(_signed_content(plan)))
    return plan.model_copy(update={"signature": signature}).sealed()


def verify(plan: PlanDocument, key: PlanKey | None) -> Trust:
    """How far ``plan``'s evidence may be trusted; raises :class:`SignatureMismatch` when
    it is signed and ``key`` does not verify it.

    A signature that does not verify is refused, never just distrusted: either the plan
    was changed after it was signed, or the plan and apply jobs do not share one key.
    The two cannot be told apart for certain (the key id is not secret and could be
    forged too), and both are for a person to see, not for apply to paper over.
    """
    if key is None:
        return Trust.NO_KEY
    if plan.signature is None:
        return Trust.UNSIGNED
    expected = key.mac(_signed_content(plan))
    if hmac.compare_digest(expected, plan.signature.mac):
        return Trust.SIGNED
    if plan.signature.key_id != key.key_id:
        raise SignatureMismatch(
            f"the plan is signed with another key (key id {plan.signature.key_id}; "
            f"{PLAN_KEY_ENV} here has key id {key.key_id}), or its signature was edited: "
            f"give the plan and the apply job the same {PLAN_KEY_ENV}, and make a new plan"
        )
    raise SignatureMismatch(
        "the plan's signature does not match its content: the plan was changed after it "
        "was signed; make a new plan with mailctl plan --out, and never edit a saved plan"
    )
