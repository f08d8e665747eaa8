"""Periodic reporting: regimes, periods, submissions, compilations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update

from engine.reporting.ports import PeriodRecord, RegimeRecord, SubmissionRecord
from models import reporting as report_queries
from models.report import Holiday, ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission
from models.store.base import StoreBase
from models.workflow import HumanTask, HumanTaskCandidate


class ReportingStore(StoreBase):
    """Reporting regimes, periods, school submissions and the office's compilations."""

    # periodic reporting -----------------------------------------------------------------------------
    def regime(self, regime_id: int) -> RegimeRecord:
        r = self.session.get(ReportingRegime, regime_id)
        return RegimeRecord(
            id=r.id,
            name=r.name,
            frequency=r.frequency,
            receiver_id=r.receiver_id,
            reporter_kind=r.reporter_kind,
            school_deadline_days=r.school_deadline_days,
            office_deadline_days=r.office_deadline_days,
            report_to=tuple(r.report_to or ()),
        )

    def holidays(self) -> list[date]:
        return list(self.session.scalars(select(Holiday.day)))

    @staticmethod
    def _period(p: ReportPeriod) -> PeriodRecord:
        return PeriodRecord(
            id=p.id,
            regime_id=p.regime_id,
            label=p.label,
            start=p.start,
            end=p.end,
            school_due=p.school_due,
            office_due=p.office_due,
            compile_instance_id=p.compile_instance_id,
        )

    def create_period(self, regime_id, label, start, end, school_due, office_due) -> PeriodRecord:
        row = ReportPeriod(
            regime_id=regime_id, label=label, start=start, end=end, school_due=school_due, office_due=office_due
        )
        self.session.add(row)
        self.session.flush()
        return self._period(row)

    def period(self, period_id: int) -> PeriodRecord:
        return self._period(self.session.get(ReportPeriod, period_id))

    def set_period(self, period_id: int, **fields) -> None:
        row = self.session.get(ReportPeriod, period_id)
        for key, value in fields.items():
            setattr(row, key, value)

    @staticmethod
    def _submission(r: ReportSubmission) -> SubmissionRecord:
        return SubmissionRecord(
            id=r.id,
            period_id=r.period_id,
            school_id=r.school_id,
            instance_id=r.instance_id,
            status=r.status,
            values=dict(r.values or {}),
            due=r.due,
            extended_until=r.extended_until,
            submitted_at=r.submitted_at,
            on_time=r.on_time,
            returns=r.returns,
        )

    def create_submission(self, period_id: int, school_id: int, due: date) -> int:
        row = ReportSubmission(period_id=period_id, school_id=school_id, due=due, values={})
        self.session.add(row)
        self.session.flush()
        return row.id

    def submission(self, period_id: int, school_id: int) -> SubmissionRecord | None:
        row = self.session.scalars(
            select(ReportSubmission).where(
                ReportSubmission.period_id == period_id, ReportSubmission.school_id == school_id
            )
        ).first()
        return self._submission(row) if row else None

    def submissions(self, period_id: int) -> list[SubmissionRecord]:
        return [
            self._submission(r)
            for r in self.session.scalars(
                select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.id)
            )
        ]

    def set_submission(self, submission_id: int, **fields) -> None:
        row = self.session.get(ReportSubmission, submission_id)
        for key, value in fields.items():
            setattr(row, key, value)
        self.session.flush()

    def period_counts(self, period_id: int) -> tuple[int, int]:
        base = select(func.count()).select_from(ReportSubmission).where(ReportSubmission.period_id == period_id)
        return (self.session.scalar(base.where(ReportSubmission.status == "accepted")), self.session.scalar(base))

    def save_compilation(self, period_id: int, org_id: int, figures: dict, fields: list) -> None:
        row = self.session.scalars(
            select(ReportCompilation).where(
                ReportCompilation.period_id == period_id, ReportCompilation.org_id == org_id
            )
        ).first()
        if row is None:
            row = ReportCompilation(period_id=period_id, org_id=org_id)
            self.session.add(row)
        row.figures, row.fields = figures, fields
        self.session.flush()

    def set_compilation_document(self, period_id: int, org_id: int, document_id: int) -> None:
        row = self.session.scalars(
            select(ReportCompilation).where(
                ReportCompilation.period_id == period_id, ReportCompilation.org_id == org_id
            )
        ).one()
        row.document_id = document_id

    def incident_counts(self, school_id: int, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        return report_queries.incident_counts(school_id, start, end)

    def set_open_task_due(self, instance_id: int, bpmn_id: str, due: datetime) -> None:
        for task in self.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
            )
        ):
            task.due_at = due
            self.session.execute(
                update(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id == task.id).values(due_at=due)
            )

    def record_report_notice(self, submission_id: int, key: str) -> bool:
        """True the first time `key` (a reminder: step@deadline) is recorded for the submission; the caller then
        sends it. The row is locked (PostgreSQL) so two workers firing two instances' timers cannot both see it
        unsent; on SQLite the step already holds the database's write lock."""
        row = self.session.get(ReportSubmission, submission_id, with_for_update=True, populate_existing=True)
        sent = list(row.notices or [])
        if key in sent:
            return False
        row.notices = [*sent, key]
        self.session.flush()
        return True
