"""Alembic's entry point: runs the migrations on the connection mailctl hands over.

mailctl always passes an open connection in ``config.attributes["connection"]``, already
inside the transaction that needs the schema, so the migrations commit (or roll back)
together with whatever that transaction goes on to write.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from reconciler.store.schema import VERSION_TABLE

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "reconciler.store.migrations runs only through reconciler.store.schema, "
        "which passes an open connection"
    )
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    # SQLite alters tables by copying them; batch mode does that for autogenerate.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
