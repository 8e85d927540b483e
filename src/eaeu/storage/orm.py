"""The declarative base every domain's ``orm.py`` builds on, and the platform's own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names make migrations reproducible on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the platform's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class NodeRecord(Base):
    """Which node owns this database; written once, checked at every start.

    A node started against another state's database refuses to run, so that one state's
    personal data can never be served by another state's node by a configuration slip.
    """

    __tablename__ = "node_info"

    state: Mapped[str] = mapped_column(String(8), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    software_version: Mapped[str] = mapped_column(String(32))
