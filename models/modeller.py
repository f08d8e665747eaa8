"""Drafts of process definitions edited in the browser modeller (one working draft per process)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.org import User


class ProcessDraft(db.Model):
    """An administrator's unsaved-to-production work on a process: saved from the modeller or uploaded.
    Deploying it makes a new ProcessDefinition version and removes the draft."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    base_version: Mapped[int | None] = mapped_column(Integer)  # the deployed version it started from
    source: Mapped[str] = mapped_column(String(200))  # "modeller" or "upload: <file name>"
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()


__all__ = ["ProcessDraft"]
