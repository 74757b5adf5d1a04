"""Turn pydantic validation errors into located diagnostics a person can act on.

Pydantic reports *what* failed at a path through the data; this module words it in
the file's own vocabulary (keys, mappings, lists), adds a hint, and asks the parsed
document where that path is written.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.desired import hints
from reconciler.desired.model import FORMAT_VERSION
from reconciler.desired.spec import DomainsFile
from reconciler.desired.yamlsource import YamlDocument
from reconciler.errors import Diagnostic

SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "api_key",
        "apikey",
        "client_secret",
        "private_key",
        "username",
        "user",
        "login",
    }
)


# Plain text that some YAML reader takes for a number: 9_93, 0x1, 0o17, 01715, 1:30.
_NUMBER_LIKE = re.compile(r"[-+]?(?:0[bBoOxX][0-9a-fA-F_]+|[0-9][0-9_:.]*)\Z")
# Words a YAML 1.1 reader takes for booleans; in YAML 1.2 they are text.
_YAML11_BOOLEANS = frozenset({"y", "n", "yes", "no", "on", "off"})


def _describe_value(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated to the model, dict or list behind a field."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class whose instance sits at ``loc`` in a DomainsFile, if any."""
    current: Any = DomainsFile
    for element in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(element))
            if field is None:
                return None
            current = _unwrap(field.annotation)
        elif typing.get_origin(current) in (dict, list):
            current = _unwrap(typing.get_args(current)[-1])
        else:
            return None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _where(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "at the top level"
    if loc[0] == "domains" and len(loc) >= 2:
        rest = ".".join(str(p) for p in loc[2:])
        return f"in {rest} of domain {loc[1]}" if rest else f"in domain {loc[1]}"
    return "in " + ".".join(str(p) for p in loc)


def _unknown_key(loc: tuple[Any, ...]) -> tuple[str, str]:
    key = str(loc[-1])
    parent = loc[:-1]
    if key.lower() in SECRET_KEYS:
        which = "username_env" if key.lower() in {"username", "user", "login"} else "password_env"
        return (
            f"{key!r} is not allowed {_where(parent)}: secrets never live in a domains file",
            f"put the value in an environment variable and name that variable in "
            f"credentials.{which} of the domain",
        )
    model = _model_at(parent)
    allowed = sorted(model.model_fields) if model else []
    hint = ""
    if allowed:
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = (
            (f"did you mean {close[0]!r}? " if close else "")
            + "allowed keys: "
            + ", ".join(allowed)
        )
    return f"unknown key {key!r} {_where(parent)}", hint


def _missing(loc: tuple[Any, ...]) -> tuple[str, str]:
    key = str(loc[-1])
    if loc == ("version",):
        return (
            "missing key 'version' at the top level",
            f"start the file with 'version: {FORMAT_VERSION}'",
        )
    model = _model_at(loc[:-1])
    field = model.model_fields.get(key) if model else None
    description = (field.description or "") if field else ""
    hint = f"add '{key}:' ({description.rstrip('.')})" if description else f"add '{key}:'"
    return f"missing key {key!r} {_where(loc[:-1])}", hint


# Errors raised by mailctl's own validators: their message and hint are already worded.
_OWN_MESSAGES = frozenset(
    {"host", "env_name", "fingerprint", "cidr", "cidr_host_bits", "cidr_zone", "cidr_all"}
    | {"cidr_netmask"}
    | {"sha256", "url"}
)


def describe(error: Any) -> tuple[str, str]:
    """(message, hint) for one pydantic error dict."""
    kind = error["type"]
    loc = tuple(error["loc"])
    value = error.get("input")
    field = str(loc[-1]) if loc else "file"
    if field == "[key]":
        field = "domain name" if loc[0] == "domains" else "key"
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        return _missing(loc)
    if loc == ("version",) and kind == "literal_error":
        if isinstance(value, int) and not isinstance(value, bool) and value > FORMAT_VERSION:
            return (
                f"version {value} is newer than this mailctl understands "
                f"(it reads version {FORMAT_VERSION})",
                "upgrade mailctl",
            )
        return f"version must be {FORMAT_VERSION}, not {_describe_value(value)}", ""
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        return (
            f"{field} must be one of {expected}, not {_describe_value(value)}",
            hints.one_of(value, expected),
        )
    if kind == "whole_number":
        expected = f"{FORMAT_VERSION}" if loc == ("version",) else "a whole number"
        return f"{field} must be {expected}, not {ctx.get('shown')}", str(ctx.get("hint", ""))
    if kind in ("int_type", "int_parsing"):
        quoted_decimal = isinstance(value, str) and value.isdigit() and value[:1] != "0"
        if isinstance(value, str) and _NUMBER_LIKE.match(value) and not quoted_decimal:
            return (
                f"{field} must be a whole number in decimal digits, not {value!r}",
                "mailctl reads YAML 1.2 core types only: write plain digits, e.g. 993 "
                "(no _ separators, 0x/0o/0b prefixes, leading zeros or 1:30 forms)",
            )
        return (
            f"{field} must be a whole number, not {_describe_value(value)}",
            "write the number without quotes" if isinstance(value, str) else "",
        )
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{field} must be between 1 and 65535, not {_describe_value(value)}", ""
    if kind == "bool_type":
        if isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
            return (
                f"{field} must be true or false, not {value!r}",
                f"YAML 1.2 reads {value} as text, not as a boolean: write true or false",
            )
        return (
            f"{field} must be true or false, not {_describe_value(value)}",
            "write true or false without quotes"
            if isinstance(value, str)
            else "write true or false (lower case, as YAML 1.2 spells booleans)",
        )
    if kind == "string_type":
        return (
            f"{field} must be a string, not {_describe_value(value)}",
            "quote the value" if isinstance(value, int | float | bool) else "",
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return (
            f"{field} must be a mapping of keys, not {_describe_value(value)}",
            hints.endpoint_form(field, value),
        )
    if kind == "list_type":
        return f"{field} must be a list, not {_describe_value(value)}", ""
    if kind in _OWN_MESSAGES:
        return str(error["msg"]), str(ctx.get("hint", ""))
    return f"{field}: {error['msg']}", ""


def _consequences(errors: list[Any]) -> set[tuple[Any, ...]]:
    """Locs of 'missing' errors explained by a misspelt key beside them ('hots' for
    'host'): reporting both would send the reader to fix one problem twice."""
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            unknown.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    explained = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and difflib.get_close_matches(
            str(loc[-1]), unknown.get(loc[:-1], []), n=1
        ):
            explained.add(loc)
    return explained


def diagnostics(doc: YamlDocument, exc: ValidationError) -> Iterator[Diagnostic]:
    errors = exc.errors(include_url=False)
    explained = _consequences(errors)
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and loc in explained:
            continue
        if error["type"] == "missing":
            place = doc.locate(loc[:-1], key=True)
        elif error["type"] == "extra_forbidden" or (loc and loc[-1] == "[key]"):
            place = doc.locate(tuple(p for p in loc if p != "[key]"), key=True)
        else:
            place = doc.locate(loc)
        message, hint = describe(error)
        yield Diagnostic(place, message, hint)
