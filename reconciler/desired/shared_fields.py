"""Frozen models made by the hundred thousand share their sets of given field names.

pydantic keeps, in each model, the set of the fields it was given
(``__pydantic_fields_set__``): a set of four to seven names is 216 to 728 bytes, often
more than the rest of a small model, and every change or domain of one kind holds an
equal one. :func:`share` gives equal sets one object. It stays a plain set, as pydantic
expects: the models are frozen, so pydantic never changes it in place, and
``model_copy`` copies it before it adds the updated names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pydantic import BaseModel

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
