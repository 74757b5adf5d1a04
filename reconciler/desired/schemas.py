"""The JSON Schemas that mailctl publishes, generated from its models.

``schemas/*.schema.json`` in the repository are these, committed; a test fails when
a model changes and the committed files were not regenerated
(``mailctl schema domains > schemas/domains.schema.json``). ``check``, ``show`` and
``history`` are the documents those commands print with ``--format json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.desired.spec import domains_file_schema


def plan_schema() -> dict[str, Any]:
    # Imported when asked for, like the allowlist's: validate imports this module.
    from reconciler.plan.document import plan_schema as schema

    return schema()


def allowlist_schema() -> dict[str, Any]:
    # Imported when asked for: validate lists the schemas but never needs this one.
    from reconciler.allowlist.formats.json_format import allowlist_schema as schema

    return schema()


def output_schema(name: str) -> Callable[[], dict[str, Any]]:
    """The schema of ``mailctl NAME --format json`` (imported when asked for, too)."""

    def schema() -> dict[str, Any]:
        from reconciler.render.json_output import output_schema as of

        return of(name)

    return schema


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "allowlist": allowlist_schema,
    "check": output_schema("check"),
    "domains": domains_file_schema,
    "history": output_schema("history"),
    "plan": plan_schema,
    "show": output_schema("show"),
}


def render(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"
