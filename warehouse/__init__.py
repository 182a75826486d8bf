"""The warehouse: SQLAlchemy models, Alembic migrations, engine helpers, loaders and marts.

Works on SQLite (embedded default) and PostgreSQL (production).
Imports nothing of the hub but configuration.
"""
