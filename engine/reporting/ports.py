"""What periodic reporting needs from storage: regimes, periods, submissions, compilations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from engine.core.ports import Store


@dataclass(frozen=True)
class RegimeRecord:
    id: int
    name: str
    frequency: str
    receiver_id: int
    reporter_kind: str
    school_deadline_days: int
    office_deadline_days: int
    report_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodRecord:
    id: int
    regime_id: int
    label: str
    start: date
    end: date
    school_due: date
    office_due: date
    compile_instance_id: int | None


@dataclass(frozen=True)
class SubmissionRecord:
    id: int
    period_id: int
    school_id: int
    instance_id: int | None
    status: str
    values: dict
    due: date
    extended_until: date | None
    submitted_at: datetime | None
    on_time: bool | None
    returns: int


class ReportingStore(Store, Protocol):
    """The Store with periodic reporting (models/store/reporting.py)."""

    def regime(self, regime_id: int) -> RegimeRecord: ...
    def holidays(self) -> list[date]: ...
    def create_period(
        self, regime_id: int, label: str, start: date, end: date, school_due: date, office_due: date
    ) -> PeriodRecord: ...
    def period(self, period_id: int) -> PeriodRecord: ...
    def set_period(self, period_id: int, **fields: Any) -> None: ...
    def create_submission(self, period_id: int, school_id: int, due: date) -> int: ...
    def submission(self, period_id: int, school_id: int) -> SubmissionRecord | None: ...
    def submissions(self, period_id: int) -> list[SubmissionRecord]: ...
    def set_submission(self, submission_id: int, **fields: Any) -> None: ...
    def period_counts(self, period_id: int) -> tuple[int, int]: ...
    def save_compilation(self, period_id: int, org_id: int, figures: dict, fields: list) -> None: ...
    def set_compilation_document(self, period_id: int, org_id: int, document_id: int) -> None: ...
    def set_open_task_due(self, instance_id: int, bpmn_id: str, due: datetime) -> None: ...
    def incident_counts(self, school_id: int, start: datetime, end: datetime) -> dict[tuple[str, str], int]: ...

    def record_report_notice(self, submission_id: int, key: str) -> bool: ...
