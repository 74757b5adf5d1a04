"""Reading the store as rows gives the plan that reading it as models gives, byte for
byte, and refuses the same rows (the generated 200-domain case, both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from reconciler.desired.state import StoredState, flatten
from reconciler.plan.builder import build_plan, with_checks
from reconciler.plan.checking import skipped
from reconciler.plan.document import PlanDocument, Source
from reconciler.plan.flatstate import FlatState, rows_of
from reconciler.store import rows
from reconciler.store.base import Store, StoreCorrupt
from reconciler.store.tables import history
from tests.plan import case200
from tests.store import dbtools
from tests.store.requests import request


def _plan(stored: StoredState | FlatState, last: StoredState | FlatState | None) -> PlanDocument:
    made = build_plan(
        target=case200.target(),
        stored=stored,
        source=Source(kind="desired", path="domains.yaml", files=("domains.yaml",), checksum=""),
        mailctl_version="0.0.0",
        last_applied=last,
        inbox_counts=case200.inbox_counts(),
        places=case200.places(),
        now=case200.NOW,
    )
    return with_checks(made, skipped("--no-checks"))


def _seed(store: Store, store_url: str) -> None:
    """Apply the case's last apply, then change the table by hand into its stored state
    (one domain edited, one added, one removed: drift)."""
    store.apply(request(StoredState(), case200.last_applied().domains.values(), ("192.0.2.0/24",)))
    with dbtools.connect(store_url) as conn:
        conn.execute(text("UPDATE domains SET smtp_port = 587 WHERE name = 'd005.example'"))
        conn.execute(text("DELETE FROM domains WHERE name = 'gone.example'"))
        conn.execute(
            text(
                "INSERT INTO domains SELECT 'd006.example', 'imap.d006.example', imap_port,"
                " imap_security, 'smtp.d006.example', smtp_port, smtp_security,"
                " allow_non_secure_certificate, certificate_sha256, use_static_ip_addresses,"
                " credentials_username_env, credentials_password_env"
                " FROM domains WHERE name = 'd004.example'"
            )
        )


def test_the_plan_from_rows_is_the_plan_from_models(store: Store, store_url: str) -> None:
    _seed(store, store_url)
    by_models = _plan(store.read(), store.last_applied())
    known = rows_of(case200.target().domains)
    flat = store.read_flat(known)
    by_rows = _plan(flat, store.last_applied_flat(flat.rows))
    assert by_rows.summary.drifted == 3 and by_rows.summary.update > 10
    assert by_rows.to_json() == by_models.to_json()
    assert by_rows.checksum == by_models.checksum
    # Only the domains that differ from the target were made models.
    assert len(flat.models) == by_rows.summary.update + by_rows.summary.delete


def test_a_store_never_applied_reads_empty_as_rows(store: Store) -> None:
    empty = store.read_flat(rows_of(case200.target().domains))
    assert (empty.lineage, empty.serial, dict(empty.rows)) == (None, 0, {})
    assert store.last_applied_flat({}) is None


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE domains SET imap_port = 70000 WHERE name = 'd001.example'",
        "UPDATE domains SET imap_security = 'tls' WHERE name = 'd001.example'",
    ],
)
def test_a_row_mailctl_never_wrote_is_refused_as_rows_as_as_models(
    store: Store, store_url: str, edit: str
) -> None:
    _seed(store, store_url)
    with dbtools.connect(store_url) as conn:
        conn.execute(text(edit))
    with pytest.raises(StoreCorrupt) as as_models:
        store.read()
    with pytest.raises(StoreCorrupt) as as_rows:
        store.read_flat(rows_of(case200.target().domains))
    assert str(as_rows.value) == str(as_models.value)


def test_a_value_equal_to_the_stores_but_of_another_type_is_refused(
    store: Store, store_url: str
) -> None:
    """993.0 == 993 and 0 == False, but mailctl never writes either in a snapshot."""
    _seed(store, store_url)
    fields = {name: flatten(d) for name, d in case200.stored().domains.items()}
    fields["d001.example"]["imap.port"] = 993.0
    blob = rows.encode_snapshot(
        ("192.0.2.0/24",), {name: tuple(f.values()) for name, f in fields.items()}
    )
    with dbtools.connect(store_url) as conn:
        conn.execute(update(history).values(snapshot=blob))
    with pytest.raises(StoreCorrupt) as as_models:
        store.last_applied()
    flat = store.read_flat(rows_of(case200.target().domains))
    with pytest.raises(StoreCorrupt) as as_rows:
        store.last_applied_flat(flat.rows)
    assert "imap.port 993.0" in str(as_rows.value)
    assert str(as_rows.value) == str(as_models.value)
