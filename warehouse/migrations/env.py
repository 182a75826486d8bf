"""Alembic environment: runs on the engine handed over by warehouse.db (no URL in any file).

On SQLite, batch migrations rebuild tables that others refer to; as SQLite's own procedure for schema
changes prescribes, foreign keys are off while the migrations run (a pragma that only works outside a
transaction) and `PRAGMA foreign_key_check` must find nothing before the migrations commit.
"""

from alembic import context

from warehouse.models import metadata

engine = context.config.attributes["engine"]
sqlite = engine.dialect.name == "sqlite"
with engine.connect() as connection:
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
