"""Alembic environment: runs on the engine handed over by warehouse.db (no URL in any file)."""

from alembic import context

from warehouse.models import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()
