"""What incidents need from storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.core.ports import Store


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    school_id: int
    raised_by_id: int
    category: str
    severity: str
    status: str
    instance_id: int | None
    involved_org_ids: tuple[int, ...] = ()
    occurred_at: datetime | None = None


class IncidentStore(Store, Protocol):
    """The Store with incidents (models/store/incidents.py)."""

    def create_incident(self, school_id: int, raised_by: int, clean: dict, at: datetime) -> int: ...
    def add_attachment(self, incident_id: int, filename: str, content_type: str, data: bytes, by: int) -> None: ...
    def incident(self, incident_id: int) -> IncidentRecord | None: ...
    def set_incident(self, incident_id: int, **fields: Any) -> None: ...
    def add_incident_update(
        self, incident_id: int, user_id: int | None, kind: str, text: str, at: datetime
    ) -> None: ...
