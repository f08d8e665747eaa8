"""What the Circular 124 year needs from storage: cycles, participations, evidence, files, incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from engine.core.ports import Store


@dataclass(frozen=True)
class Tt124CycleRecord:
    id: int
    receiver_id: int
    year: int
    start: date
    end: date
    register_due: date
    submit_due: date


@dataclass(frozen=True)
class Tt124ParticipationRecord:
    id: int
    cycle_id: int
    school_id: int
    eligible: bool
    instance_id: int | None
    status: str
    registration: dict
    registered_at: datetime | None
    registered_on_time: bool | None
    findings: list
    flagged_incident_ids: tuple[int, ...]
    meeting: dict
    submitted_at: datetime | None
    dossier_document_id: int | None


@dataclass(frozen=True)
class Tt124EvidenceRecord:
    id: int
    criterion: int
    description: str
    reference: str
    evidence_date: date | None
    participation_id: int | None = None


@dataclass(frozen=True)
class IncidentFact:
    """An incident as the Circular 124 checklist reads it."""

    id: int
    category: str
    severity: str
    occurred_at: datetime
    status: str


class Tt124Store(Store, Protocol):
    """The Store with the Circular 124 year (models/store/tt124.py)."""

    def tt124_overrides(self) -> dict[int, tuple[bool, str]]: ...
    def set_tt124_override(
        self, school_id: int, eligible: bool | None, reason: str, by: int | None, at: datetime
    ) -> None: ...
    def create_tt124_cycle(
        self, receiver_id: int, year: int, start: date, end: date, register_due: date, submit_due: date, by: int | None
    ) -> Tt124CycleRecord: ...
    def tt124_cycle(self, cycle_id: int) -> Tt124CycleRecord: ...
    def tt124_cycle_of(self, receiver_id: int, year: int) -> Tt124CycleRecord | None: ...
    def create_tt124_participation(self, cycle_id: int, school_id: int, eligible: bool, note: str) -> int: ...
    def tt124_participation(self, cycle_id: int, school_id: int) -> Tt124ParticipationRecord | None: ...
    def tt124_participations_on(self, school_id: int, on: date) -> list[Tt124ParticipationRecord]: ...
    def tt124_running_participations(self, school_id: int, on: date) -> list[Tt124ParticipationRecord]: ...
    def set_tt124_participation(self, participation_id: int, **fields: Any) -> None: ...
    def add_tt124_evidence(
        self,
        participation_id: int,
        criterion: int,
        description: str,
        reference: str,
        on: date | None,
        by: int | None,
        at: datetime,
    ) -> int: ...
    def tt124_evidence(self, participation_id: int) -> list[Tt124EvidenceRecord]: ...
    def tt124_evidence_item(self, evidence_id: int) -> Tt124EvidenceRecord | None: ...
    def tt124_participation_by_id(self, participation_id: int) -> Tt124ParticipationRecord | None: ...
    def tt124_evidence_file_count(self, evidence_id: int) -> int: ...
    def add_tt124_file(
        self,
        participation_id: int,
        kind: str,
        filename: str,
        data: bytes,
        document_id: int | None,
        at: datetime,
        *,
        evidence_id: int | None = None,
        content_type: str | None = None,
        by: int | None = None,
    ) -> int: ...
    def disqualifying_incidents(self, school_id: int, start: datetime, end: datetime) -> list[IncidentFact]: ...
