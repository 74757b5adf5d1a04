"""Frozen models made by the hundred thousand share what they can.

pydantic keeps, in each model, the set of the fields it was given
(``__pydantic_fields_set__``): a set of four to seven names is 216 to 728 bytes, often
more than the rest of a small model, and every change or domain of one kind holds an
equal one. :func:`share` gives equal sets one object. It stays a plain set, as pydantic
expects: the models are frozen, so pydantic never changes it in place, and
``model_copy`` copies it before it adds the updated names.

A plan of 100,000 domains read from its JSON is a million models, most of them equal
to others (the endpoints of fifty providers, a change's domain and the target's).
Validated with :func:`compact_context`, a :class:`Shared` model shares its set as it is
made, and an :class:`Interned` one is, besides, the first equal model made in that
validation: the copies are dropped as soon as they are made, so the whole is never
held. Frozen models compare by value (and type, with exactly typed fields), so one
equal model in place of another changes nothing they mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ValidationInfo, model_validator

M = TypeVar("M", bound=BaseModel)

_SETS: dict[frozenset[str], set[str]] = {}


def shared(model: M) -> M:
    """``model``, now holding the one shared set equal to its own."""
    own = model.__pydantic_fields_set__
    found = _SETS.setdefault(frozenset(own), own)
    if found is not own:
        object.__setattr__(model, "__pydantic_fields_set__", found)
    return model


def share(models: Iterable[M]) -> list[M]:
    """:func:`shared` of each of ``models``."""
    return [shared(model) for model in models]


_COMPACT = "mailctl.compact"


def compact_context() -> dict[str, Any]:
    """The validation context under which models share and intern (a fresh table)."""
    return {_COMPACT: {}}


def _table(info: ValidationInfo) -> dict[Any, Any] | None:
    context = info.context
    return context.get(_COMPACT) if isinstance(context, dict) else None


class Shared(BaseModel):
    """Shares its set of given names when validated with :func:`compact_context`."""

    @model_validator(mode="after")
    def _share_names(self, info: ValidationInfo) -> Self:
        return self if _table(info) is None else shared(self)


class Interned(BaseModel):
    """Validated with :func:`compact_context`: the first equal model of that validation
    (frozen, with hashable, exactly typed fields only)."""

    @model_validator(mode="after")
    def _one_of_equals(self, info: ValidationInfo) -> Self:
        table = _table(info)
        if table is None:
            return self
        found: Self = table.setdefault(self, shared(self))
        return found
