"""The served answers against the store they come from: the autoconfig served for an
address imports back (``mailctl import autoconfig``) to the stored settings, and a
PostgreSQL role that may only SELECT is enough to serve everything public."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg
import pytest
import yaml

from reconciler.app.autoconfig import ImportOptions, import_autoconfig
from reconciler.store.open import open_store
from tests import pgcluster
from tests.autoconfig.autodiscover_support import request
from tests.serve.client_support import get_all, talk
from tests.serve.conftest import DOMAINS, RANGES
from tests.store.requests import request as apply_request


def test_the_served_autoconfig_imports_back_to_the_stored_settings(
    store_url: str, tmp_path: Path
) -> None:
    store = open_store(store_url, read_only=True)
    try:
        stored = store.read().domains
    finally:
        store.close()
    for name, address in (
        ("example.com", "a@example.com"),
        ("xn--bcher-kva.example", "b@bücher.example"),
    ):
        (answer,) = get_all(store_url, f"/mail/config-v1.1.xml?emailaddress={address}")
        served = tmp_path / f"{name}.xml"
        served.write_bytes(answer.content)
        imported = import_autoconfig(ImportOptions(sources=(served,)))
        (entry,) = yaml.safe_load(imported.text)["domains"].items()
        assert entry[0] == name
        for part in ("imap", "smtp"):
            endpoint = getattr(stored[name], part)
            assert entry[1][part] == {
                "host": endpoint.host,
                "port": endpoint.port,
                "security": endpoint.security,
            }


def test_a_select_only_role_serves(pg_cluster: pgcluster.Cluster, tmp_path: Path) -> None:
    """The role may connect and SELECT, nothing else: serving reads only."""
    url = pg_cluster.create_database("ro")
    store = open_store(url)
    try:
        store.apply(apply_request(store.read(), DOMAINS, RANGES, actor="seed"))
    finally:
        store.close()
    database = url.rsplit("/", 1)[1]
    role = f"reader_{database}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    reader = url.replace(f"{pgcluster.SUPERUSER}@", f"{role}@")
    # The grant is what it seems: the reader cannot write.
    with (
        psycopg.connect(reader, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("INSERT INTO inboxes (address, domain) VALUES ('a@b.c', 'b.c')")

    async def go(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await c.get("/healthz"),
            await c.get("/v1/domains/example.com"),
            await c.get("/mail/config-v1.1.xml?emailaddress=a@example.com"),
            await c.get("/mobileconfig?emailaddress=a@example.com"),
            await c.post("/autodiscover/autodiscover.xml", content=request()),
            await c.get("/v1/connection-ips.txt"),
        ]

    answers = talk(reader, go)
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert answers[0].json()["serial"] == 1
    assert "<Server>imap.example.com</Server>" in answers[4].text
