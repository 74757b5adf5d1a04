"""The store contract (reconciler/store/base.py), run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from reconciler.desired.model import Domain
from reconciler.desired.state import StoredState, state_checksum
from reconciler.store import schema, tables
from reconciler.store.base import (
    LockTimeout,
    StaleState,
    Store,
    StoreCorrupt,
    StoreError,
    StoreMissing,
    StoreTooNew,
    UnknownSerial,
)
from reconciler.store.open import open_store
from tests.store import dbtools
from tests.store.requests import domain, numbered, request

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
RANGES = ("2001:db8:10::/48", "192.0.2.0/28", "198.51.100.0/27")  # kept in this order

VARIED = [
    domain("example.com", static=True),
    domain(
        "legacy.example.org", port=143, security="starttls", insecure=True, pin="AB:" * 31 + "CD"
    ),
    domain("creds.example.net", credentials=True),
    domain("plain.example", port=143, security="none"),
    domain("xn--bcher-kva.example"),  # bücher.example, as stored: an A-label
    domain("bücher.example"),  # the store keeps any text it is given, unicode included
]


def same_content(a: StoredState, b: StoredState) -> bool:
    return (
        a.connection_ranges == b.connection_ranges
        and dict(a.domains) == dict(b.domains)
        and list(a.domains) == sorted(a.domains)
    )


def apply_target(
    store: Store, target: list[Domain], ranges: tuple[str, ...] = RANGES, **record: Any
) -> int:
    return store.apply(request(store.read(), target, ranges, **record))


# --- a store that does not exist -------------------------------------------------------


def test_a_store_that_does_not_exist_reads_empty_and_is_not_created(store_url: str) -> None:
    store = open_store(store_url)
    try:
        assert store.read() == StoredState()
        assert store.last_applied() is None
        assert store.inbox_counts() == {}
        assert store.inboxes() == []
        assert store.disconnect_inbox("a@example.com") is False
        for needs_a_store in (store.history, lambda: store.revision(1)):
            with pytest.raises(StoreMissing, match="created by the first mailctl apply"):
                needs_a_store()
        with pytest.raises(StoreMissing):
            store.connect_inbox("a@example.com", "example.com")
    finally:
        store.close()
    path = dbtools.sqlite_path(store_url)
    if path is not None:
        assert not path.parent.exists()
    else:
        assert dbtools.table_names(store_url) == []


def test_first_apply_creates_the_store_with_a_lineage_and_serial_1(store: Store) -> None:
    assert apply_target(store, VARIED) == 1
    stored = store.read()
    assert re.fullmatch(r"[0-9a-f]{32}", stored.lineage or "")
    assert stored.serial == 1


# --- settings ----------------------------------------------------------------------------


def test_domains_and_ranges_round_trip_exactly(store: Store) -> None:
    apply_target(store, VARIED)
    stored = store.read()
    target = request(StoredState(), VARIED, RANGES).target
    assert same_content(stored, target)
    assert stored.connection_ranges == RANGES  # the order given, not re-sorted
    assert stored.domains["creds.example.net"].credentials is not None
    assert stored.domains["example.com"].credentials is None
    assert state_checksum(stored) == state_checksum(target)


def test_updates_deletes_and_creates_and_the_serial_counts_applies(store: Store) -> None:
    apply_target(store, VARIED)
    lineage = store.read().lineage
    changed = [
        domain("example.com", static=False, port=995),  # update
        domain("creds.example.net"),  # update: credentials removed
        domain("new.example", credentials=True),  # create
        *(d for d in VARIED if d.name in ("plain.example", "bücher.example")),  # unchanged
    ]  # legacy.example.org and xn--bcher-kva.example: deleted
    assert apply_target(store, changed, ranges=("192.0.2.0/28",)) == 2
    stored = store.read()
    assert same_content(stored, request(StoredState(), changed, ("192.0.2.0/28",)).target)
    assert (stored.lineage, stored.serial) == (lineage, 2)
    assert apply_target(store, [], ranges=()) == 3
    assert same_content(store.read(), StoredState())


@pytest.mark.parametrize("differs", ["lineage", "serial", "checksum"])
def test_a_stale_request_is_refused_and_nothing_is_written(
    store: Store, store_url: str, differs: str
) -> None:
    apply_target(store, VARIED)
    apply_target(store, VARIED[:3])
    fresh = request(store.read(), VARIED[:1])
    stale = dataclasses.replace(
        fresh,
        **{
            "lineage": {"expected_lineage": "0" * 32},
            "serial": {"expected_serial": 1},
            "checksum": {"expected_checksum": state_checksum(StoredState())},
        }[differs],
    )
    before = dbtools.dump(store_url)
    with pytest.raises(StaleState, match="run mailctl plan again") as refused:
        store.apply(stale)
    assert differs in str(refused.value) or (
        differs == "checksum" and "content" in str(refused.value)
    )
    assert dbtools.dump(store_url) == before
    assert store.apply(fresh) == 3  # the up-to-date request still goes through


def test_a_plan_for_a_new_store_is_refused_once_the_store_exists(store: Store) -> None:
    for_empty = request(StoredState(), VARIED)
    apply_target(store, VARIED[:1])
    with pytest.raises(StaleState, match="since been created"):
        store.apply(for_empty)


def test_a_plan_for_an_existing_store_creates_nothing_where_there_is_none(
    store: Store, store_url: str
) -> None:
    other = StoredState(lineage="f" * 32, serial=4)
    with pytest.raises(StaleState, match="different store"):
        store.apply(request(other, VARIED))
    path = dbtools.sqlite_path(store_url)
    assert (not path.parent.exists()) if path else dbtools.dump(store_url) == {}


@pytest.mark.parametrize(
    "creates", [[domain("more.example", port=1)], [domain("more.example"), domain("x.example")]]
)
def test_a_request_whose_delta_disagrees_with_its_target_is_refused(
    store: Store, store_url: str, creates: list[Domain]
) -> None:
    apply_target(store, VARIED)
    good = request(store.read(), [*VARIED, domain("more.example")])
    bad = dataclasses.replace(good, creates=creates)
    before = dbtools.dump(store_url)
    with pytest.raises(StoreError, match=r"inconsistent apply request.*(more|x)\.example"):
        store.apply(bad)
    assert dbtools.dump(store_url) == before


# --- history -------------------------------------------------------------------------------


def test_history_records_every_apply_and_each_revision_can_be_read_back(store: Store) -> None:
    apply_target(store, VARIED, actor="alice", commit="abc123")
    after_1 = store.read()
    apply_target(store, VARIED[2:], ranges=(), actor="bob", kind="rollback", restored_serial=1)
    after_2 = store.read()

    first, second = store.history()
    assert (first.serial, first.actor, first.commit, first.kind) == (1, "alice", "abc123", "apply")
    assert (second.serial, second.actor, second.commit, second.kind) == (2, "bob", None, "rollback")
    assert first.plan_checksum == state_checksum(after_1)
    assert first.summary == {"create": 6, "update": 0, "delete": 0}
    assert second.summary == {"create": 0, "update": 0, "delete": 2}
    assert (first.restored_serial, second.restored_serial) == (None, 1)
    assert {"action": "delete", "domain": "example.com"} in second.changes
    assert len(first.changes) == 6
    assert ISO_UTC.match(first.applied_at) and first.applied_at <= second.applied_at

    assert store.revision(1) == after_1  # lineage, serial and content
    assert store.revision(2) == after_2
    assert store.last_applied() == after_2
    with pytest.raises(UnknownSerial, match="no revision 3"):
        store.revision(3)


def test_ten_thousand_domains_apply_and_read_back(store: Store) -> None:
    many = numbered(10_000)
    started = time.perf_counter()
    apply_target(store, many, ranges=("192.0.2.0/28",))
    stored = store.read()
    assert len(stored.domains) == 10_000 and stored.domains["d09999.example"] == many[-1]
    assert time.perf_counter() - started < 20  # generous: a loaded CI runner, two cores


# --- inboxes -------------------------------------------------------------------------------


def test_inboxes_connect_list_count_and_disconnect_without_touching_the_serial(
    store: Store,
) -> None:
    apply_target(store, VARIED)
    serial = store.read().serial
    alice = store.connect_inbox("alice@example.com", "example.com")
    store.connect_inbox("bob@example.com", "example.com")
    store.connect_inbox("carol@creds.example.net", "creds.example.net")
    assert ISO_UTC.match(alice.connected_at)
    assert store.connect_inbox("alice@example.com", "example.com") == alice  # idempotent
    with pytest.raises(StoreError, match=r"already connected, to domain example\.com"):
        store.connect_inbox("alice@example.com", "creds.example.net")
    with pytest.raises(StoreError, match=r"domain gone\.example is not in the store"):
        store.connect_inbox("x@gone.example", "gone.example")

    assert [i.address for i in store.inboxes()] == [
        "alice@example.com",
        "bob@example.com",
        "carol@creds.example.net",
    ]
    assert [i.address for i in store.inboxes("creds.example.net")] == ["carol@creds.example.net"]
    assert store.inbox_counts() == {"example.com": 2, "creds.example.net": 1}

    assert store.disconnect_inbox("bob@example.com") is True
    assert store.disconnect_inbox("bob@example.com") is False
    assert store.inbox_counts() == {"example.com": 1, "creds.example.net": 1}
    assert store.read().serial == serial

    # A deleted domain keeps its inboxes: a rollback that restores it restores them.
    apply_target(store, [d for d in VARIED if d.name != "example.com"])
    assert store.inbox_counts()["example.com"] == 1


# --- locking in one process (across processes: test_locking.py) ------------------------------


def test_apply_works_under_the_lock_and_a_second_holder_times_out(
    store: Store, store_url: str
) -> None:
    other = open_store(store_url)
    try:
        with store.lock("alice", timeout=1):
            apply_target(store, VARIED)  # apply inside the lock does not wait for it
            started = time.monotonic()
            with pytest.raises(LockTimeout) as timed_out, other.lock("bob", timeout=0.3):
                pass
            assert 0.3 <= time.monotonic() - started < 3
            assert timed_out.value.holder.startswith("alice (pid ")
            assert ISO_UTC.match(timed_out.value.since)
        with other.lock("bob", timeout=1):
            assert other.read().serial == 1
    finally:
        other.close()


# --- schema migrations -----------------------------------------------------------------------


def test_the_head_revision_creates_exactly_the_tables_the_code_uses(
    store: Store, store_url: str
) -> None:
    apply_target(store, VARIED)
    with dbtools.connect(store_url) as conn:
        context = MigrationContext.configure(conn, opts={"version_table": schema.VERSION_TABLE})
        assert compare_metadata(context, tables.metadata) == []
        assert schema.current(conn) == schema.head()


def test_a_store_made_at_the_first_revision_is_upgraded_when_opened(store_url: str) -> None:
    # Written against revision 1's tables on purpose: once later revisions exist, this
    # is a store from the first release, opened by the current one.
    with dbtools.connect(store_url) as conn:
        schema.upgrade(conn, store_url, target=schema.first())
        conn.execute(
            text(
                "INSERT INTO state (id, lineage, serial, updated_at) "
                "VALUES (1, :lineage, 1, '2026-01-01T00:00:00Z')"
            ),
            {"lineage": "a" * 32},
        )
        conn.execute(
            text(
                "INSERT INTO domains (name, imap_host, imap_port, imap_security, smtp_host, "
                "smtp_port, smtp_security, allow_non_secure_certificate, certificate_sha256, "
                "use_static_ip_addresses, credentials_username_env, credentials_password_env) "
                "VALUES ('example.com', 'imap.example.com', 993, 'ssl', 'smtp.example.com', "
                "587, 'starttls', false, NULL, true, NULL, NULL)"
            )
        )
        conn.execute(
            text("INSERT INTO connection_ranges (cidr, position) VALUES ('192.0.2.0/28', 0)")
        )
    store = open_store(store_url)
    try:
        with dbtools.connect(store_url) as conn:
            assert schema.current(conn) == schema.head()
        stored = store.read()
        assert (stored.lineage, stored.serial) == ("a" * 32, 1)
        assert stored.connection_ranges == ("192.0.2.0/28",)
        assert stored.domains == {"example.com": domain("example.com", static=True)}
        assert store.apply(request(stored, [])) == 2
    finally:
        store.close()


def claim_a_newer_revision(url: str) -> None:
    with dbtools.connect(url) as conn:
        conn.execute(text(f"UPDATE {schema.VERSION_TABLE} SET version_num = 'f00d_mailctl_9'"))


def test_a_store_from_a_newer_mailctl_is_refused_and_left_byte_identical(store_url: str) -> None:
    store = open_store(store_url)
    apply_target(store, VARIED)
    store.close()
    claim_a_newer_revision(store_url)
    # No connection is open in this process now (the last one to close checkpointed
    # SQLite's WAL into the file), so the file's bytes can be read safely.
    path = dbtools.sqlite_path(store_url)
    raw = path.read_bytes() if path else b""
    before = dbtools.dump(store_url)
    with pytest.raises(StoreTooNew, match=r"revision f00d_mailctl_9.*upgrade mailctl"):
        open_store(store_url)
    assert dbtools.dump(store_url) == before
    if path:
        assert path.read_bytes() == raw


def test_a_store_upgraded_by_a_newer_mailctl_while_open_is_refused(store_url: str) -> None:
    store = open_store(store_url)
    try:
        apply_target(store, VARIED)
        claim_a_newer_revision(store_url)
        before = dbtools.dump(store_url)
        for call in (
            store.read,
            store.history,
            lambda: apply_target(store, VARIED[:1]),
            lambda: store.connect_inbox("a@example.com", "example.com"),
        ):
            with pytest.raises(StoreTooNew, match="upgrade mailctl"):
                call()
        assert dbtools.dump(store_url) == before
    finally:
        store.close()


# --- broken places -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"this is a text file, not a database\n", b"SQLite format 3\x00" + b"\x07garbage" * 300],
    ids=["text", "sqlite-header-then-garbage"],
)
def test_a_file_that_is_not_a_sqlite_database_is_refused_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    url = f"sqlite:///{path}"
    with pytest.raises(StoreCorrupt, match="untouched"):
        open_store(url).read()
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_a_directory_where_the_database_file_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state.db").mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        open_store(f"sqlite:///{tmp_path / 'state.db'}")


def test_an_unreachable_postgresql_server_is_a_quick_clear_error() -> None:
    from tests.pgcluster import free_port

    url = f"postgresql://mailctl:s3cret-pw@127.0.0.1:{free_port()}/mailctl"
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot use the PostgreSQL store at") as failed:
        open_store(url)
    assert time.monotonic() - started < 5
    assert "s3cret-pw" not in str(failed.value)
    assert "Connection refused" in str(failed.value)


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ({"creates": []}, r"domains differ from the target's: more\.example"),
        ({"deletes": ["gone.example"]}, r"delete of gone\.example, which is not stored"),
        ({"updates": [domain("more.example")]}, r"update of more\.example, which is not stored"),
        ({"connection_ranges": ("192.0.2.0/24",)}, "connection ranges differ"),
    ],
)
def test_a_request_whose_delta_misses_or_invents_a_change_is_refused(
    store: Store, store_url: str, edit: dict[str, object], said: str
) -> None:
    apply_target(store, VARIED)
    good = request(store.read(), [*VARIED, domain("more.example")])
    bad = dataclasses.replace(good, **edit)  # type: ignore[arg-type]
    before = dbtools.dump(store_url)
    with pytest.raises(StoreError, match=rf"inconsistent apply request.*{said}"):
        store.apply(bad)
    assert dbtools.dump(store_url) == before


@pytest.mark.parametrize("kind", ["deletes", "creates"])
def test_a_request_listing_a_domain_twice_is_refused(
    store: Store, store_url: str, kind: str
) -> None:
    apply_target(store, VARIED)
    good = request(store.read(), [*VARIED[1:], domain("more.example")])
    listed = list(getattr(good, kind))
    bad = dataclasses.replace(good, **{kind: [*listed, listed[0]]})
    before = dbtools.dump(store_url)
    with pytest.raises(StoreError, match=r"inconsistent apply request.*listed twice"):
        store.apply(bad)
    assert dbtools.dump(store_url) == before


def test_a_target_whose_domain_is_filed_under_another_name_is_refused(
    store: Store, store_url: str
) -> None:
    apply_target(store, VARIED)
    good = request(store.read(), VARIED)
    first = VARIED[0]
    renamed = {**good.target.domains, first.name: first.model_copy(update={"name": "x.example"})}
    bad = dataclasses.replace(good, target=good.target.model_copy(update={"domains": renamed}))
    before = dbtools.dump(store_url)
    with pytest.raises(StoreError, match="inconsistent apply request"):
        store.apply(bad)
    assert dbtools.dump(store_url) == before


def _schema_of(conn: Any) -> dict[str, Any]:
    """Every table's columns, keys, indexes and constraints, as the database says."""
    seen = inspect(conn)
    found: dict[str, Any] = {}
    for name in sorted(seen.get_table_names()):
        found[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in seen.get_columns(name)
            ],
            "primary key": seen.get_pk_constraint(name),
            "foreign keys": seen.get_foreign_keys(name),
            "indexes": sorted(seen.get_indexes(name), key=lambda i: str(i["name"])),
            "unique": seen.get_unique_constraints(name),
            "checks": seen.get_check_constraints(name),
        }
    return found


def test_a_new_stores_schema_is_what_the_migrations_make(store_url: str) -> None:
    """A store with no schema gets the tables of the metadata, stamped at the head,
    without running the migrations; running them on an empty store gives the same."""
    with dbtools.connect(store_url) as conn:
        assert schema.upgrade(conn, store_url) is None
        created = _schema_of(conn)
        assert schema.current(conn) == schema.head()
        for name in created:
            conn.execute(text(f'DROP TABLE "{name}"'))
    with dbtools.connect(store_url) as conn:
        command.upgrade(schema.alembic_config(conn), schema.head())
        migrated = _schema_of(conn)
        assert schema.current(conn) == schema.head()
    assert created == migrated
    assert set(created) >= {"domains", "history", schema.VERSION_TABLE}
