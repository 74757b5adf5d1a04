"""Alembic migrations of the store's own schema, shipped inside the package.

mailctl runs them programmatically (``reconciler.store.schema``); no ``alembic.ini`` is
needed. Rules for a new revision:

* add ``versions/vNNNN_<what>.py`` with ``revision = "NNNN"`` and ``down_revision`` set
  to the previous head, and set ``HEAD`` below to ``"NNNN"`` (a test checks it: mailctl
  compares a store's revision with ``HEAD`` to skip Alembic when no migration is due);
  spell out the tables it touches (never import ``tables.py``:
  a revision must keep meaning what it meant when it shipped);
* update ``reconciler/store/tables.py`` to match the new head (a test compares them);
* SQLite cannot alter most column properties in place: use ``op.batch_alter_table``.

A skeleton can be generated with::

    python -c "from alembic import command; from reconciler.store.schema import \\
        alembic_config; command.revision(alembic_config(), 'what it does')"
"""

HEAD = "0002"
"""The newest revision in ``versions/``, known without importing Alembic."""

READABLE = frozenset({"0001", HEAD})
"""Revisions whose settings tables this mailctl reads as they are: a process that may
not write (``serve``, a read-only file) reads such a store without upgrading it, and
sees no evidence history where its revision has none (0001)."""
