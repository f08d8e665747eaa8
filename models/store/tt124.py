"""Circular 124: overrides, yearly cycles, participations, evidence and dossier files."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from engine.tt124.ports import IncidentFact, Tt124CycleRecord, Tt124EvidenceRecord, Tt124ParticipationRecord
from models import reporting as report_queries
from models.store.base import StoreBase
from models.tt124 import Tt124Cycle, Tt124Evidence, Tt124File, Tt124Override, Tt124Participation
from models.tt124_queries import participations_on
from models.workflow import ProcessInstance


class Tt124Store(StoreBase):
    """Circular 124 eligibility overrides, cycles, participations, evidence and files."""

    # Circular 124 ----------------------------------------------------------------------------------------
    def tt124_overrides(self) -> dict[int, tuple[bool, str]]:
        return {o.school_id: (o.eligible, o.reason) for o in self.session.scalars(select(Tt124Override))}

    def set_tt124_override(self, school_id: int, eligible: bool | None, reason: str, by: int | None, at: datetime):
        row = self.session.get(Tt124Override, school_id)
        if eligible is None:
            if row is not None:
                self.session.delete(row)
            return
        if row is None:
            row = Tt124Override(school_id=school_id)
            self.session.add(row)
        row.eligible, row.reason, row.set_by_id, row.set_at = eligible, reason, by, at

    @staticmethod
    def _tt124_cycle(c: Tt124Cycle) -> Tt124CycleRecord:
        return Tt124CycleRecord(
            id=c.id,
            receiver_id=c.receiver_id,
            year=c.year,
            start=c.start,
            end=c.end,
            register_due=c.register_due,
            submit_due=c.submit_due,
        )

    def create_tt124_cycle(self, receiver_id, year, start, end, register_due, submit_due, by) -> Tt124CycleRecord:
        row = Tt124Cycle(
            receiver_id=receiver_id,
            year=year,
            start=start,
            end=end,
            register_due=register_due,
            submit_due=submit_due,
            opened_by_id=by,
        )
        self.session.add(row)
        self.session.flush()
        return self._tt124_cycle(row)

    def tt124_cycle(self, cycle_id: int) -> Tt124CycleRecord:
        return self._tt124_cycle(self.session.get(Tt124Cycle, cycle_id))

    def tt124_cycle_of(self, receiver_id: int, year: int) -> Tt124CycleRecord | None:
        stmt = select(Tt124Cycle).where(Tt124Cycle.receiver_id == receiver_id, Tt124Cycle.year == year)
        row = self.session.scalars(stmt).first()
        return None if row is None else self._tt124_cycle(row)

    @staticmethod
    def _tt124_participation(p: Tt124Participation) -> Tt124ParticipationRecord:
        return Tt124ParticipationRecord(
            id=p.id,
            cycle_id=p.cycle_id,
            school_id=p.school_id,
            eligible=p.eligible,
            instance_id=p.instance_id,
            status=p.status,
            registration=dict(p.registration or {}),
            registered_at=p.registered_at,
            registered_on_time=p.registered_on_time,
            findings=list(p.findings or []),
            flagged_incident_ids=tuple(p.flagged_incident_ids or ()),
            meeting=dict(p.meeting or {}),
            submitted_at=p.submitted_at,
            dossier_document_id=p.dossier_document_id,
        )

    def create_tt124_participation(self, cycle_id: int, school_id: int, eligible: bool, note: str) -> int:
        row = Tt124Participation(
            cycle_id=cycle_id,
            school_id=school_id,
            eligible=eligible,
            eligibility_note=note[:500],
            status="open" if eligible else "excluded",
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def tt124_participation(self, cycle_id: int, school_id: int) -> Tt124ParticipationRecord | None:
        row = self.session.scalars(
            select(Tt124Participation).where(
                Tt124Participation.cycle_id == cycle_id, Tt124Participation.school_id == school_id
            )
        ).first()
        return self._tt124_participation(row) if row else None

    def tt124_running_participations(self, school_id: int, on: date) -> list[Tt124ParticipationRecord]:
        rows = self.session.scalars(
            select(Tt124Participation)
            .join(Tt124Cycle)
            .join(ProcessInstance, ProcessInstance.id == Tt124Participation.instance_id)
            .where(
                Tt124Participation.school_id == school_id,
                Tt124Cycle.start <= on,
                Tt124Cycle.end >= on,
                ProcessInstance.status == "running",
            )
            .order_by(Tt124Participation.id)
        )
        return [self._tt124_participation(p) for p in rows]

    def tt124_participations_on(self, school_id: int, on: date) -> list[Tt124ParticipationRecord]:
        """The school's years whose window holds `on`, running or finished (models.tt124_queries)."""
        return [self._tt124_participation(p) for p in participations_on(school_id, on, self.session)]

    def set_tt124_participation(self, participation_id: int, **fields) -> None:
        row = self.session.get(Tt124Participation, participation_id)
        for key, value in fields.items():
            setattr(row, key, value)
        self.session.flush()

    def add_tt124_evidence(self, participation_id, criterion, description, reference, on, by, at) -> int:
        row = Tt124Evidence(
            participation_id=participation_id,
            criterion=criterion,
            description=description,
            reference=reference[:300],
            evidence_date=on,
            added_by_id=by,
            added_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    @staticmethod
    def _tt124_evidence(e: Tt124Evidence) -> Tt124EvidenceRecord:
        return Tt124EvidenceRecord(
            id=e.id,
            criterion=e.criterion,
            description=e.description,
            reference=e.reference,
            evidence_date=e.evidence_date,
            participation_id=e.participation_id,
        )

    def tt124_evidence(self, participation_id: int) -> list[Tt124EvidenceRecord]:
        return [
            self._tt124_evidence(e)
            for e in self.session.scalars(
                select(Tt124Evidence)
                .where(Tt124Evidence.participation_id == participation_id)
                .order_by(Tt124Evidence.id)
            )
        ]

    def tt124_evidence_item(self, evidence_id: int) -> Tt124EvidenceRecord | None:
        row = self.session.get(Tt124Evidence, evidence_id)
        return self._tt124_evidence(row) if row else None

    def tt124_participation_by_id(self, participation_id: int) -> Tt124ParticipationRecord | None:
        row = self.session.get(Tt124Participation, participation_id)
        return self._tt124_participation(row) if row else None

    def tt124_evidence_file_count(self, evidence_id: int) -> int:
        return self.session.scalar(
            select(func.count()).select_from(Tt124File).where(Tt124File.evidence_id == evidence_id)
        )

    def add_tt124_file(
        self, participation_id, kind, filename, data, document_id, at, *, evidence_id=None, content_type=None, by=None
    ) -> int:
        row = Tt124File(
            participation_id=participation_id,
            kind=kind,
            filename=filename[:255],
            size=len(data),
            data=data,
            document_id=document_id,
            created_at=at,
            evidence_id=evidence_id,
            content_type=content_type[:100] if content_type else None,
            uploaded_by_id=by,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def disqualifying_incidents(self, school_id: int, start: datetime, end: datetime) -> list[IncidentFact]:
        return [
            IncidentFact(id=i.id, category=i.category, severity=i.severity, occurred_at=i.occurred_at, status=i.status)
            for i in report_queries.disqualifying_incidents(school_id, start, end)
        ]
