"""The pull-request comment: golden output, the size limit, escaping of every value."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from reconciler.desired.model import Desired
from reconciler.desired.state import StoredState
from reconciler.plan.document import Checks, PlanDocument
from reconciler.render import plan_markdown
from tests.render import golden, plans

SAMPLES: dict[str, Callable[[], PlanDocument]] = {
    "full": plans.full,
    "small": plans.small,
    "no_changes": plans.no_changes,
    "shared": plans.shared,
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


def test_failed_checks_come_first_and_every_endpoint_is_listed() -> None:
    rendered = plan_markdown.render(plans.shared())
    lines = rendered.splitlines()
    summary = lines.index("### Connection checks") + 2
    assert lines[summary] == "⛔ 4 endpoints, 2 passed, 1 failed, 1 refused"
    assert lines[summary + 2] == "| Protocol | Endpoint | Security | Step | Message | Domains |"
    assert lines[summary + 5].startswith(
        "| <code>imap</code> | <code>mail.gamma.example:993</code>"
    )
    assert "| guard (refused) |" in lines[summary + 5]
    assert rendered.index("<summary>All 4 checked endpoints</summary>") < rendered.index(
        "### Changes"
    )
    assert rendered.count("· ⛔ live check failed</summary>") == 3
    assert "\n- ⛔ live check failed: smtp mail.example.net:587\n" in rendered


def test_skipped_checks_are_one_line() -> None:
    plan = plans.small().model_copy(
        update={"checks": Checks(status="skipped", detail="--no-checks")}
    )
    rendered = plan_markdown.render(plan)
    assert "### Connection checks\n\n⚠️ skipped (--no-checks)\n" in rendered
    assert "checked endpoint" not in rendered


def test_server_provided_text_is_escaped() -> None:
    plan = plans.full()
    first, failed = plan.checks.endpoints[0], plan.checks.endpoints[3]
    cert = first.result.certificate
    assert cert is not None
    evil_cert = cert.model_copy(update={"subject": "CN=<img src=x onerror=alert(1)>|*x*"})
    evil = (
        first.model_copy(
            update={
                "result": first.result.model_copy(
                    update={"certificate": evil_cert, "capabilities": ("A|B", "<blink>")}
                )
            }
        ),
        failed.model_copy(
            update={
                "result": failed.result.model_copy(
                    update={"message": "smtp.gone.example:587: 454 <script>|x\n| y |"}
                )
            }
        ),
    )
    endpoints = (*evil, *plan.checks.endpoints[1:3], *plan.checks.endpoints[4:])
    plan = plan.model_copy(
        update={"checks": plan.checks.model_copy(update={"endpoints": endpoints})}
    )
    rendered = plan_markdown.render(plan)
    assert "<img" not in rendered and "<script>" not in rendered and "<blink>" not in rendered
    assert "CN=&#60;img src=x onerror=alert(1)&#62;&#124;&#42;x&#42;<br>issued by" in rendered
    assert "| 454 &#60;script&#62;&#124;x\ufffd&#124; y &#124; |" in rendered
    # A server's `|` never adds a table cell.
    failed_row = "| <code>smtp</code> | <code>smtp.gone.example:587</code>"
    rows = [line for line in rendered.splitlines() if line.startswith(failed_row)]
    assert [row.count("|") for row in rows] == [7]
    listed = [line for line in rendered.splitlines() if line.endswith(" ms |")]
    assert [row.count("|") for row in listed] == [8] * 6


def test_a_failed_row_names_five_domains_and_counts_the_rest() -> None:
    plan = plans.shared()
    failed = plan.checks.endpoints[1]
    names = tuple(f"d{i}.example" for i in range(7))
    endpoints = (failed.model_copy(update={"domains": names}),)
    plan = plan.model_copy(
        update={"checks": plan.checks.model_copy(update={"endpoints": endpoints})}
    )
    rendered = plan_markdown.render(plan)
    assert "<code>d3.example</code>, <code>d4.example</code> and 2 more |" in rendered


def test_the_list_of_endpoints_is_the_first_thing_dropped() -> None:
    plan = plans.failing(8)
    whole = plan_markdown.render(plan, limit=10**6)
    assert "<summary>All 16 checked endpoints</summary>" in whole
    assert plan_markdown.render(plan, limit=len(whole)) == whole
    cut = plan_markdown.render(plan, limit=len(whole) - 1)
    assert len(cut) <= len(whole) - 1
    assert "checked endpoints</summary>" not in cut
    assert cut.count("<details>") == 8  # every change is still there
    assert cut.count("| <code>imap</code> |") == 8  # and every failed check
    assert cut.endswith(
        "… the list of all 16 checked endpoints not shown (the comment is limited to "
        f"{len(whole) - 1:,} characters); see the JSON plan artifact for the full plan."
    )


def test_failed_checks_take_priority_over_changes() -> None:
    rendered = plan_markdown.render(plans.failing(400), limit=plan_markdown.MIN_LIMIT)
    assert len(rendered) <= plan_markdown.MIN_LIMIT
    shown = rendered.count("| <code>imap</code> |")
    assert 0 < shown < 400
    assert "### Changes" not in rendered and "- ⚠️ <code>smtp" not in rendered
    last = rendered.splitlines()[-1]
    assert last.startswith(
        f"… {400 - shown} more failed checks, 400 more check warnings, 400 more changes and "
        "the list of all 800 checked endpoints not shown"
    )


def test_two_thousand_failed_checks_fit_one_comment() -> None:
    rendered = plan_markdown.render(plans.failing(2000))
    assert len(rendered) <= 65_536
    assert "⛔ 4000 endpoints, 2000 passed, 2000 failed" in rendered
    assert "more failed checks" in rendered.splitlines()[-1]
    assert "the list of all 4,000 checked endpoints not shown" in rendered.splitlines()[-1]
