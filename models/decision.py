"""Deployed decision tables (DMN): versioned like processes; an instance pins the version it first evaluates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.org import User


class DecisionDefinition(db.Model):
    """One deployed version of one DMN decision (`decision_key` = the decision's id in the file)."""

    __tablename__ = "decision_definition"
    __table_args__ = (UniqueConstraint("decision_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_key: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))  # "workflows/x.dmn" (seed), "modeller", an upload

    deployed_by: Mapped[User | None] = relationship()


__all__ = ["DecisionDefinition"]
