"""The JSON Schemas that mailctl publishes, generated from its models.

``schemas/*.schema.json`` in the repository are these, committed; a test fails when
a model changes and the committed files were not regenerated
(``mailctl schema domains > schemas/domains.schema.json``).
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


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "allowlist": allowlist_schema,
    "domains": domains_file_schema,
    "plan": plan_schema,
}


def render(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"
