"""A plan of 5,000 changed domains still makes ONE comment within GitHub's 65,536
characters, with the summary, the outcome and where the full plan is. (The renderer's
own limits are tested in tests/render; here it is the comment the workflow posts.)"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.plan.builder import with_checks
from reconciler.plan.checking import skipped
from tests.github.conftest import RUN_URL, Ci
from tests.render import plans

LIMIT = 65_536
MARKER = "<!-- mailctl-plan -->"
WHERE = (
    "see <code>plan.json</code> in the <code>mailctl-plan</code> artifact of "
    f"[this workflow run]({RUN_URL}) for the full plan."
)
NOTE = re.compile(r"^… ([\d,]+) more changes not shown \(the comment is limited to ([\d,]+) ")


def check_comment(body: str, count: int) -> None:
    assert len(body) <= LIMIT
    lines = body.splitlines()
    assert lines[0] == MARKER
    shown = body.count("<details>")
    assert 0 < shown < count
    note = next(line for line in lines if line.startswith("… "))
    match = NOTE.match(note)
    assert match is not None, note
    assert match.group(1) == f"{count - shown:,}"
    assert note.endswith(WHERE), note


def test_five_thousand_new_domains_through_the_plan_script(ci: Ci) -> None:
    names = [f"d{i:04}.example" for i in range(5000)]
    body = "".join(
        f"  {n}:\n    imap: {{host: imap.{n}}}\n    smtp: {{host: smtp.{n}}}\n" for n in names
    )
    ci.commit("5,000 domains", {"domains.yaml": "version: 1\ndomains:\n" + body})
    step = ci.run("mailctl-plan")
    assert step.returncode == 0, step.stderr
    assert step.outputs["exit-status"] == "2"
    assert step.outputs["changes"] == "5000"
    comment = Path(step.outputs["comment-file"]).read_text()
    check_comment(comment, 5000)
    assert "## mailctl plan: 5000 to create, 0 to update, 0 to delete, 0 range changes" in comment
    assert "| to create | 5000 |" in comment
    assert "✅ **Plan ready.**" in comment
    assert comment.endswith(
        "<sub>mailctl plan exit status 2 (changes present); the full plan is "
        f"<code>plan.json</code> in the <code>mailctl-plan</code> artifact of [this workflow "
        f"run]({RUN_URL}).</sub>"
    )
    assert step.summary == comment + "\n"


def test_five_thousand_updates_blocked_by_a_gate(ci: Ci, tmp_path: Path) -> None:
    """``mailctl report`` alone, on a saved plan of 5,000 updated domains that the
    mass-change gate blocks (exit 4): the reason leads, the summary and gates are kept,
    and the comment still fits."""
    out = tmp_path / "out"
    out.mkdir()
    # As in every test: no DNS (--no-checks --allow-unchecked).
    unchecked = with_checks(plans.many(5000), skipped("--no-checks"), ("checks",))
    (out / "plan.json").write_text(unchecked.to_json())
    result = ci.mailctl("report", "plan", str(out), "--status", "4")
    assert result.returncode == 0, result.stderr
    comment = (out / "comment.md").read_text()
    check_comment(comment, 5000)
    lines = comment.splitlines()
    assert lines[3].startswith(
        "⛔ **mailctl plan failed (exit 4, blocked by a gate): blocked by mass-change: "
    )
    assert "to apply anyway: --allow-mass-change.**" in lines[3]
    assert "| to update | 5000 |" in comment
    assert "| ⛔ | <code>mass-change</code> |" in comment
