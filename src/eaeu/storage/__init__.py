"""Storage: engines, sessions, the unit of work and Alembic migrations.

SQLite (one file per node) is the embedded default; PostgreSQL when
``EAEU_DATABASE_URL`` says so. Domain packages declare their tables on
``eaeu.storage.orm.Base`` and reach the database only through a ``UnitOfWork``.
"""
