"""Incidents: rows, attachments, updates, and the people to notify."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.core.ports import UserRecord
from engine.incidents.ports import IncidentRecord
from models.incident import Incident, IncidentAttachment, IncidentUpdate
from models.org import Organisation, User, UserRole
from models.store.base import StoreBase


class IncidentStore(StoreBase):
    """Incidents, their attachments and updates; users holding a role in an organisation."""

    # incidents, notices and e-mail ----------------------------------------------------------------------
    def create_incident(self, school_id: int, raised_by: int, clean: dict, at: datetime) -> int:
        row = Incident(school_id=school_id, raised_by_id=raised_by, created_at=at, **clean)
        self.session.add(row)
        self.session.flush()
        return row.id

    def add_attachment(self, incident_id: int, filename: str, content_type: str, data: bytes, by: int) -> None:
        self.session.add(
            IncidentAttachment(
                incident_id=incident_id,
                filename=filename[:255],
                content_type=content_type[:100],
                size=len(data),
                data=data,
                uploaded_by_id=by,
            )
        )

    def incident(self, incident_id: int) -> IncidentRecord | None:
        i = self.session.get(Incident, incident_id)
        if i is None:
            return None
        return IncidentRecord(
            id=i.id,
            school_id=i.school_id,
            raised_by_id=i.raised_by_id,
            category=i.category,
            severity=i.severity,
            status=i.status,
            instance_id=i.instance_id,
            involved_org_ids=tuple(i.involved_org_ids or ()),
            occurred_at=i.occurred_at,
        )

    def set_incident(self, incident_id: int, **fields) -> None:
        row = self.session.get(Incident, incident_id)
        for key, value in fields.items():
            setattr(row, key, value)

    def add_incident_update(self, incident_id: int, user_id: int | None, kind: str, text: str, at: datetime) -> None:
        self.session.add(IncidentUpdate(incident_id=incident_id, user_id=user_id, kind=kind, text=text, at=at))

    def users_with_role(self, org_id: int, role: str) -> list[UserRecord]:
        sections = select(Organisation.id).where(Organisation.parent_id == org_id, Organisation.kind == "section")
        rows = self.session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role, User.active.is_(True), (User.org_id == org_id) | User.org_id.in_(sections))
        )
        return [
            UserRecord(
                id=u.id, username=u.username, full_name=u.full_name, title=u.title, org_id=u.org_id, roles=u.roles
            )
            for u in rows
        ]
