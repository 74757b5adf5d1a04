"""The pure diff: changes, order, field-level detail, classification, drift."""

from __future__ import annotations

from reconciler.desired.state import StoredState
from reconciler.plan.diff import diff, downgrades, drift, range_delta
from reconciler.plan.document import FieldChange
from tests.plan.factory import desired, domain, stored


def test_no_changes_when_equal() -> None:
    a = domain("a.example")
    assert diff(desired(a), stored(a)) == ()


def test_create_update_delete_in_fixed_order() -> None:
    changes = diff(
        desired(domain("c.example"), domain("a.example", imap={"port": 1993}), domain("d.example")),
        stored(domain("b.example"), domain("a.example"), domain("e.example")),
    )
    assert [(c.action, c.domain) for c in changes] == [
        ("delete", "b.example"),
        ("delete", "e.example"),
        ("update", "a.example"),
        ("create", "c.example"),
        ("create", "d.example"),
    ]


def test_update_lists_each_changed_field() -> None:
    (change,) = diff(
        desired(
            domain("a.example", imap={"port": 143, "security": "starttls"}, credentials=("U", "P"))
        ),
        stored(domain("a.example")),
    )
    assert change.fields == (
        FieldChange(field="imap.port", before=993, after=143),
        FieldChange(field="imap.security", before="ssl", after="starttls"),
        FieldChange(field="credentials.username_env", before=None, after="U"),
        FieldChange(field="credentials.password_env", before=None, after="P"),
    )


def test_downgrades_are_classified() -> None:
    before = domain("a.example", certificate_sha256="AB")
    after = domain(
        "a.example",
        imap={"security": "starttls"},
        smtp={"security": "none"},
        allow_non_secure_certificate=True,
    )
    assert downgrades(before, after) == (
        "imap security ssl -> starttls",
        "smtp security starttls -> none",
        "non-secure (self-signed) certificate allowed",
        "certificate pin removed",
    )
    # Upgrades and neutral edits are not downgrades.
    assert downgrades(after, before) == ()
    assert downgrades(before, domain("a.example", certificate_sha256="CD")) == ()


def test_classification_of_toggle_inboxes_and_deletion() -> None:
    changes = diff(
        desired(domain("a.example", use_static_ip_addresses=True)),
        stored(domain("a.example"), domain("gone.example")),
        inbox_counts={"a.example": 7, "gone.example": 3},
    )
    delete, update = changes
    assert delete.classification.deletion and delete.classification.inboxes_affected == 3
    assert update.classification.static_ip_toggle == "on"
    assert update.classification.inboxes_affected == 7
    assert update.classification.downgrades == ()


def test_range_delta_is_sorted_v4_then_v6() -> None:
    delta = range_delta(
        ["2001:db8::/48", "192.0.2.0/28"], ["198.51.100.0/24", "192.0.2.0/28", "2001:db8:1::/48"]
    )
    assert delta.added == ("198.51.100.0/24", "2001:db8:1::/48")
    assert delta.removed == ("2001:db8::/48",)
    assert delta.after == ("192.0.2.0/28", "198.51.100.0/24", "2001:db8:1::/48")


def test_drift_against_the_last_apply() -> None:
    last = stored(domain("a.example"), domain("b.example"))
    now = stored(domain("a.example", imap={"port": 995}), domain("c.example"))
    items = drift(last, now)
    assert [(i.domain, i.kind) for i in items] == [
        ("a.example", "changed"),
        ("b.example", "removed"),
        ("c.example", "added"),
    ]
    assert items[0].fields == (FieldChange(field="imap.port", before=993, after=995),)
    assert drift(last, last) == ()
    assert [i.kind for i in drift(None, stored(domain("x.example")))] == ["added"]
    assert drift(None, StoredState()) == ()
