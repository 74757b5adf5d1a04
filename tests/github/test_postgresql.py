"""The shared store of the README's set-up: PostgreSQL, with a read-only role for the
pull-request plans (as the README tells how to create it) and the owner's credentials
for the apply. The store URL comes from a secret: none of it may leak into anything
GitHub shows."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg

from tests import pgcluster
from tests.github.conftest import Ci
from tests.github.domains_support import CHANGED, MAIN

PASSWORD = "hunter2-not-for-comments"


def make_store(cluster: pgcluster.Cluster) -> tuple[str, str, str]:
    """A database and its two roles, made as the README says; returns the database's name
    and the owner's (apply) and the reader's (plan) URLs."""
    tag = uuid.uuid4().hex[:8]
    database, owner, reader = f"mailctl_{tag}", f"mailctl_owner_{tag}", f"mailctl_reader_{tag}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE ROLE {reader} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE DATABASE {database} OWNER {owner}")
    with psycopg.connect(cluster.url(database), autocommit=True) as conn:
        conn.execute(f"GRANT CONNECT ON DATABASE {database} TO {reader}")
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {reader}")
        conn.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT ON TABLES TO {reader}"
        )
    where = f"127.0.0.1:{cluster.port}/{database}"
    return (
        database,
        f"postgresql://{owner}:{PASSWORD}@{where}",
        f"postgresql://{reader}:{PASSWORD}@{where}",
    )


def everything_shown(out: Path, *texts: str) -> str:
    """Whatever reaches GitHub: the step's output and log, and every file of the artifact."""
    files = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    return "\n".join([*texts, *files])


def test_plan_with_read_only_credentials_apply_needs_write(
    ci: Ci, pg_cluster: pgcluster.Cluster
) -> None:
    database, owner, reader = make_store(pg_cluster)
    try:
        # The first apply, with the owner's credentials, creates the store's tables.
        ci.commit("Domains", {"domains.yaml": MAIN})
        args = ci.env["MAILCTL_ARGS"].split()
        first = ci.mailctl("apply", "domains.yaml", "--auto-approve", *args, MAILCTL_STATE=owner)
        assert first.returncode == 0, first.stderr
        ci.commit("Change", {"domains.yaml": CHANGED})

        plan = ci.run("mailctl-plan", MAILCTL_STATE=reader)
        assert plan.outputs["exit-status"] == "2", plan.stderr
        assert plan.outputs["passed"] == "true"
        body = Path(plan.outputs["comment-file"]).read_text()
        assert "Planned from domains.yaml against store serial 1." in body
        out = Path(plan.outputs["out-dir"])
        shown = everything_shown(out, plan.stdout, plan.stderr, plan.summary, str(plan.outputs))
        assert PASSWORD not in shown

        # The read-only role cannot apply: refused by the database, nothing written.
        refused = ci.run("mailctl-apply", MAILCTL_STATE=reader)
        assert refused.outputs["exit-status"] == "1", refused.stderr
        assert refused.outputs["passed"] == "false"
        assert "The store is unchanged" in refused.summary
        assert refused.outputs["serial"] == "1"
        shown = everything_shown(out, refused.stdout, refused.stderr, refused.summary)
        assert PASSWORD not in shown
        assert f"127.0.0.1:{pg_cluster.port}" not in refused.summary  # URLs are hidden

        # With the owner's credentials (the apply secret) the same merge applies.
        applied = ci.run("mailctl-apply", MAILCTL_STATE=owner)
        assert applied.outputs["exit-status"] == "0", applied.stderr
        assert applied.outputs["serial"] == "2"
    finally:
        pg_cluster.drop_database(pg_cluster.url(database))
