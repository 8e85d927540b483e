"""Alembic environment: runs on the connection handed over by ``eaeu.storage.migrate``."""

from __future__ import annotations

from alembic import context

# Every module that declares tables, so that autogenerate sees the whole schema.
import eaeu.consent.orm
import eaeu.documents.orm
import eaeu.exchange.log
import eaeu.exchange.orm
import eaeu.identity.assertion_orm
import eaeu.identity.orm
import eaeu.services.jobs.feed_orm
import eaeu.services.jobs.move_orm
import eaeu.services.jobs.orm
import eaeu.services.jobs.people_orm
import eaeu.services.jobs.search_orm
import eaeu.services.travel.orm
import eaeu.services.travel.verifier_orm  # noqa: F401
from eaeu.storage.orm import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a bare `alembic` call
    msg = "run migrations with `eaeu db upgrade`, which provides the connection"
    raise RuntimeError(msg)

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
