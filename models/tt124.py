"""Circular 124 ("An toàn về an ninh, trật tự"): the administrator's eligibility overrides, each receiving office's
yearly cycle, every school's year in it (eligible or excluded, registration, checklist, meeting, dossier,
decision), its evidence against the criteria and the generated Word files of its dossier."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.org import Organisation, User


class Tt124Override(db.Model):
    """An administrator's decision that a school is (or is not) in the Circular's scope, whatever its level."""

    __tablename__ = "tt124_override"

    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[Organisation] = relationship()
    set_by: Mapped[User | None] = relationship()


class Tt124Cycle(db.Model):
    """One evaluation year (16/11 of the year before → 15/11) opened by a receiving office for its schools."""

    __tablename__ = "tt124_cycle"
    __table_args__ = (UniqueConstraint("receiver_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    register_due: Mapped[date] = mapped_column(Date)
    submit_due: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    receiver: Mapped[Organisation] = relationship()


class Tt124Participation(db.Model):
    """One school's year: excluded (with the reason), or its own `tt124_cycle` instance and what it recorded."""

    __tablename__ = "tt124_participation"
    __table_args__ = (UniqueConstraint("cycle_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("tt124_cycle.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    eligible: Mapped[bool] = mapped_column(Boolean)
    eligibility_note: Mapped[str] = mapped_column(String(500), default="")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # engine.tt124.rules.STATUSES
    registration: Mapped[dict] = mapped_column(JSON, default=dict)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_on_time: Mapped[bool | None] = mapped_column(Boolean)
    findings: Mapped[list] = mapped_column(JSON, default=list)  # the disqualifier checklist's findings
    flagged_incident_ids: Mapped[list] = mapped_column(JSON, default=list)  # already told to school and CTTT
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting: Mapped[dict] = mapped_column(JSON, default=dict)
    proposed: Mapped[bool | None] = mapped_column(Boolean)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_on_time: Mapped[bool | None] = mapped_column(Boolean)
    dossier_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))  # the Tờ trình
    appraisal: Mapped[dict] = mapped_column(JSON, default=dict)
    decision: Mapped[dict] = mapped_column(JSON, default=dict)
    recognised: Mapped[bool | None] = mapped_column(Boolean)
    decision_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    certificate_number: Mapped[str | None] = mapped_column(String(80))
    certificate_date: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cycle: Mapped[Tt124Cycle] = relationship()
    school: Mapped[Organisation] = relationship()
    evidence: Mapped[list[Tt124Evidence]] = relationship(order_by="Tt124Evidence.id", viewonly=True)
    # the dossier's generated Word files (files attached to evidence are on Tt124Evidence.attachments)
    files: Mapped[list[Tt124File]] = relationship(
        primaryjoin="and_(Tt124Participation.id == Tt124File.participation_id, Tt124File.evidence_id.is_(None))",
        order_by="Tt124File.id",
        viewonly=True,
    )


class Tt124Evidence(db.Model):
    """One piece of evidence the school filed against a criterion during the year."""

    __tablename__ = "tt124_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("tt124_participation.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(300), default="")
    evidence_date: Mapped[date | None] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    added_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[Tt124File]] = relationship(order_by="Tt124File.id", viewonly=True)


class Tt124File(db.Model):
    """A file of the school's year: a generated Word file of the recognition dossier (Tờ trình, Báo cáo kết quả,
    Biên bản), kept as sent, or a file the school attached to one piece of evidence (kind "evidence": minutes,
    photos, PDFs), kept with the type Cascade recognised in it. The bytes load only when asked for."""

    __tablename__ = "tt124_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("tt124_participation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # to_trinh | bao_cao | bien_ban | evidence
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("tt124_evidence.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str | None] = mapped_column(String(100))  # None: a generated Word file
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    uploaded_by: Mapped[User | None] = relationship()


__all__ = ["Tt124Override", "Tt124Cycle", "Tt124Participation", "Tt124Evidence", "Tt124File"]
