"""The audit's outputs: Prometheus metrics (parsed with prometheus_client's parser and
written atomically, never through a link), Markdown, GitHub annotations, the history
timeline, and the command line's exit codes and usage errors (in process, plus one
subprocess smoke test of the installed command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.app.audit import Audited, AuditRequest, audit, timeline, write_metrics
from reconciler.render import audit_history, audit_prometheus, audit_report
from tests.audit.conftest import loopback, mail_domain, seed, smtp_at
from tests.checks import servers
from tests.checks.conftest import Dovecots
from tests.checks.pki import Pki
from tests.cli_support import mailctl


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


@pytest.fixture
def audited_pair(sqlite_url: str, pki: Pki, dovecots: Dovecots) -> tuple[str, Audited, int]:
    """One domain expiring in 10 days on SMTP, one unreachable on SMTP; audited once."""
    port, closed = servers.free_port(), servers.closed_port()
    seed(
        sqlite_url,
        [
            mail_domain("a.example", dovecots.good.tls_port, port),
            mail_domain("b.example", dovecots.good.tls_port, closed),
        ],
    )
    with smtp_at(port, pki.expiring):
        done = audit(AuditRequest(state_url=sqlite_url, checks=loopback(pki)))
    return sqlite_url, done, port


def test_prometheus_metrics_parse_and_say_what_was_found(
    audited_pair: tuple[str, Audited, int], dovecots: Dovecots
) -> None:
    _, done, port = audited_pair
    found = samples(audit_prometheus.render(done))
    ok = {(s["domain"], s["endpoint"], s["port"]): v for s, v in found["mailctl_audit_endpoint_ok"]}
    imap = str(dovecots.good.tls_port)
    assert ok == {
        ("a.example", "imap", imap): 1.0,
        ("a.example", "smtp", str(port)): 1.0,
        ("b.example", "imap", imap): 1.0,
        ("b.example", "smtp", ok_port(found)): 0.0,
    }
    expiry = {
        (s["domain"], s["endpoint"]): v for s, v in found["mailctl_audit_certificate_expiry_days"]
    }
    assert 9.9 < expiry[("a.example", "smtp")] <= 10.05
    assert expiry[("a.example", "imap")] > 300
    assert ("b.example", "smtp") not in expiry  # no certificate was read
    assert found["mailctl_audit_duration_seconds"][0][1] == pytest.approx(done.duration, abs=1e-3)
    stamp = found["mailctl_audit_last_run_timestamp_seconds"][0][1]
    assert stamp > 1.7e9
    assert found["mailctl_audit_endpoint_ok"][0][0]["host"] == "imap.test.example"


def ok_port(found: dict[str, list[tuple[dict[str, str], float]]]) -> str:
    return next(
        s["port"]
        for s, _ in found["mailctl_audit_endpoint_ok"]
        if s["domain"] == "b.example" and s["endpoint"] == "smtp"
    )


def test_metrics_are_written_atomically_replacing_a_link_not_its_target(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    out = tmp_path / "metrics" / "mailctl.prom"
    out.parent.mkdir()
    out.symlink_to(target)
    write_metrics(out, "mailctl_audit_duration_seconds 1.0\n")
    assert not out.is_symlink() and out.read_text() == "mailctl_audit_duration_seconds 1.0\n"
    assert target.read_text() == "keep me\n"
    assert [p.name for p in out.parent.iterdir()] == ["mailctl.prom"]  # no temporary left


def test_markdown_github_and_text_name_every_finding(
    audited_pair: tuple[str, Audited, int],
) -> None:
    _, done, _ = audited_pair
    md = audit_report.markdown(done)
    assert md.startswith("## mailctl audit: ❌ domains failing")
    assert "| a.example | <code>smtp smtp.test.example:" in md
    assert "<code>cert_expiring</code>" in md
    assert "<code>unreachable</code>" in md
    annotations = audit_report.github(done).splitlines()
    assert annotations[0].startswith("::error title=mailctl audit%3A b.example unreachable::")
    assert annotations[1].startswith("::warning title=mailctl audit%3A a.example cert_expiring::")
    assert annotations[-1].startswith("::notice title=mailctl audit::2 domains: 0 ok, 1 warning")
    shown = audit_report.text(done)
    assert "WARN a.example" in shown and "FAIL b.example" in shown


def test_the_history_shows_each_run_oldest_first(audited_pair: tuple[str, Audited, int]) -> None:
    url, _, _ = audited_pair
    records = timeline(url, "A.EXAMPLE")
    assert [(r.source, r.protocol) for r in records] == [("audit", "imap"), ("audit", "smtp")]
    doc = json.loads(audit_history.as_json("a.example", records))
    assert doc["domain"] == "a.example" and len(doc["entries"]) == 2
    assert doc["entries"][1]["certificate"]["not_after"].endswith("Z")
    assert "a.example" in audit_history.text("a.example", records)


def test_the_command_exits_3_on_a_failing_domain_and_writes_its_metrics(
    audited_pair: tuple[str, Audited, int], pki: Pki, tmp_path: Path
) -> None:
    url, _, port = audited_pair
    out = tmp_path / "mailctl.prom"
    args = [
        "audit", "--state", url, "--format", "json", "--allow-private-targets",
        "--ca-file", str(pki.ca_file), "--resolve", "imap.test.example=127.0.0.1",
        "--resolve", "smtp.test.example=127.0.0.1", "--prometheus-out", str(out),
    ]  # fmt: skip
    with smtp_at(port, pki.expiring):
        ran = mailctl(*args)
        only_a = mailctl(*args, "--domain", "a.example", "--no-record")
        strict = mailctl(*args, "--domain", "a.example", "--strict")
    assert ran.returncode == 3, ran.stderr
    doc = json.loads(ran.stdout)
    assert [d["verdict"] for d in doc["domains"]] == ["warning", "failing"]
    assert "mailctl_audit_endpoint_ok" in out.read_text()
    assert (only_a.returncode, strict.returncode) == (0, 3)
    history = mailctl("audit", "--state", url, "--history", "a.example", "--format", "json")
    assert history.returncode == 0 and len(json.loads(history.stdout)["entries"]) == 6  # 3 recorded


def test_usage_errors_exit_1_and_record_nothing(audited_pair: tuple[str, Audited, int]) -> None:
    url, _, _ = audited_pair
    before = len(timeline(url, "a.example"))
    unknown = mailctl("audit", "--state", url, "--domain", "nowhere.example")
    horizons = mailctl("audit", "--state", url, "--warn-days", "3", "--critical-days", "5")
    history = mailctl("audit", "--state", url, "--history", "a.example", "--format", "markdown")
    assert (unknown.returncode, horizons.returncode, history.returncode) == (1, 1, 1)
    assert "no such domain in the store: nowhere.example" in unknown.stderr
    assert "--critical-days" in horizons.stderr
    assert len(timeline(url, "a.example")) == before


@pytest.mark.smoke
def test_smoke_the_installed_command_audits_a_store(
    run_mailctl: object, sqlite_url: str, pki: Pki, dovecots: Dovecots, tmp_path: Path
) -> None:
    port = servers.free_port()
    seed(sqlite_url, [mail_domain("example.com", dovecots.good.tls_port, port)])
    out = tmp_path / "mailctl.prom"
    with smtp_at(port, pki.good):
        ran = run_mailctl(  # type: ignore[operator]
            "audit", "--state", sqlite_url, "--allow-private-targets",
            "--ca-file", str(pki.ca_file), "--resolve", "imap.test.example=127.0.0.1",
            "--resolve", "smtp.test.example=127.0.0.1",
            "--format", "prometheus", "--prometheus-out", str(out),
        )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "ok   example.com" in ran.stdout
    assert samples(out.read_text())["mailctl_audit_domain_ok"] == [({"domain": "example.com"}, 1.0)]
