"""The pull-request comment: golden output, the size limit, escaping of every value."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from reconciler.model import Desired
from reconciler.plan.document import PlanDocument
from reconciler.render import plan_markdown
from reconciler.state import StoredState
from tests.render import golden, plans

SAMPLES: dict[str, Callable[[], PlanDocument]] = {
    "full": plans.full,
    "small": plans.small,
    "no_changes": plans.no_changes,
}
NOTE = re.compile(r"… ([\d,]+) more changes not shown \(the comment is limited to ([\d,]+) ")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_matches_golden(name: str) -> None:
    rendered = plan_markdown.render(SAMPLES[name]())
    assert rendered.splitlines()[0] == plan_markdown.MARKER
    golden.check(f"{name}.md", rendered)


def test_truncated_matches_golden() -> None:
    rendered = plan_markdown.render(plans.many(40), limit=plan_markdown.MIN_LIMIT)
    assert len(rendered) <= plan_markdown.MIN_LIMIT
    golden.check("truncated.md", rendered)


def test_five_thousand_changes_fit_one_comment() -> None:
    rendered = plan_markdown.render(plans.many(5000), json_hint="`plan.json`")
    assert len(rendered) <= 65_536
    assert rendered.splitlines()[0] == plan_markdown.MARKER
    assert "| to update | 5000 |" in rendered
    assert "| ⛔ | <code>mass-change</code> |" in rendered
    shown = rendered.count("<details>")
    assert 0 < shown < 5000
    assert rendered.count("</details>") == shown
    last = rendered.splitlines()[-1]
    match = NOTE.match(last)
    assert match is not None, last
    assert match.groups() == (f"{5000 - shown:,}", "65,536")
    assert last.endswith("see `plan.json` for the full plan.")


def test_truncates_only_when_the_whole_comment_does_not_fit() -> None:
    plan = plans.many(40)
    whole = plan_markdown.render(plan, limit=10**6)
    assert "more changes not shown" not in whole
    assert plan_markdown.render(plan, limit=len(whole)) == whole
    cut = plan_markdown.render(plan, limit=len(whole) - 1)
    assert len(cut) <= len(whole) - 1
    assert NOTE.search(cut) is not None


def test_counts_left_out_range_changes_separately() -> None:
    ranges = tuple(f"198.18.{i}.0/24" for i in range(256)) + tuple(
        f"198.19.{i}.0/24" for i in range(256)
    )
    stored = StoredState(lineage=plans.LINEAGE)
    rendered = plan_markdown.render(
        plans.plan(Desired(connection_ranges=ranges), stored), limit=plan_markdown.MIN_LIMIT
    )
    shown = rendered.count("\n- added <code>")
    assert 0 < shown < 512
    assert f"… {512 - shown} more range changes not shown" in rendered
    assert len(rendered) <= plan_markdown.MIN_LIMIT


def test_every_data_value_is_escaped() -> None:
    name = "evil<script>|x.example"
    evil = plans.domain("x.example").model_copy(update={"name": name})
    evil = evil.model_copy(
        update={"imap": evil.imap.model_copy(update={"host": "a`b|c&d<e>*f_[g](h)\\i_j_"})}
    )
    plan = plans.plan(Desired(domains={name: evil}), StoredState(lineage=plans.LINEAGE))
    rendered = plan_markdown.render(plan)
    assert "<script>" not in rendered
    assert "<code>evil&#60;script&#62;&#124;x.example</code>" in rendered
    escaped_host = "a&#96;b&#124;c&#38;d&#60;e&#62;&#42;f&#95;&#91;g&#93;(h)&#92;i_j&#95;"
    assert f"| <code>imap</code> | <code>{escaped_host}:993 ssl</code> |" in rendered
    for line in rendered.splitlines():
        if line.startswith("| <code>"):
            assert line.count("|") == 3, line  # a value's `|` never adds a table cell


def test_a_limit_too_small_for_the_header_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8,192"):
        plan_markdown.render(plans.small(), limit=1_000)
