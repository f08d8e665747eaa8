"""Periodic reporting: regimes attached to a plan, the holiday calendar, periods, each school's submission
and each level's compilation."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.org import Organisation


class Holiday(db.Model):
    """Public holidays skipped by working-day deadlines; administrators edit the list."""

    __tablename__ = "holiday"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class ReportingRegime(db.Model):
    __tablename__ = "reporting_regime"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="periodic")  # periodic | thematic | adhoc
    frequency: Mapped[str] = mapped_column(String(20))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))  # who compiles (Phòng GDĐT)
    reporter_kind: Mapped[str] = mapped_column(String(40), default="school")
    plan_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    school_deadline_days: Mapped[int] = mapped_column(Integer, default=2)  # working days after cut-off
    office_deadline_days: Mapped[int] = mapped_column(Integer, default=5)
    report_to: Mapped[list] = mapped_column(JSON, default=list)  # org codes the compiled report goes to
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    receiver: Mapped[Organisation] = relationship()


class ReportPeriod(db.Model):
    __tablename__ = "report_period"
    __table_args__ = (UniqueConstraint("regime_id", "start", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regime_id: Mapped[int] = mapped_column(ForeignKey("reporting_regime.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    school_due: Mapped[date] = mapped_column(Date)
    office_due: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    compile_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))

    regime: Mapped[ReportingRegime] = relationship()


class ReportSubmission(db.Model):
    """One school's report for one period (its own instance)."""

    __tablename__ = "report_submission"
    __table_args__ = (UniqueConstraint("period_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_period.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|submitted|returned|accepted
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    due: Mapped[date] = mapped_column(Date)
    extended_until: Mapped[date | None] = mapped_column(Date)
    extension_refused: Mapped[bool] = mapped_column(Boolean, default=False)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    # reminders already sent, one key per due event ("send_reminder@2022-09-16"): each goes out once
    notices: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    period: Mapped[ReportPeriod] = relationship()
    school: Mapped[Organisation] = relationship()


class ReportCompilation(db.Model):
    """One level's compiled figures for a period, prefilled from the accepted reports below it."""

    __tablename__ = "report_compilation"
    __table_args__ = (UniqueConstraint("period_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_period.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    fields: Mapped[list] = mapped_column(JSON, default=list)  # [[id, label], …] of the summed indicators
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    compiled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    period: Mapped[ReportPeriod] = relationship()
