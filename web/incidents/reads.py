"""Read-only queries of the incident pages: a case, its tasks and attachments, the board, notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engine.core.access import incident_access
from engine.core.ports import Actor
from engine.incidents.rules import SEVERITIES
from models import db
from models.incident import Incident, IncidentAttachment, Notification
from models.org import Organisation
from models.workflow import HumanTask


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def incident(incident_id: int) -> Incident | None:
    return db.session.get(Incident, incident_id)


def tasks_of(incident: Incident) -> list[HumanTask]:
    if not incident.instance_id:
        return []
    return db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == incident.instance_id)
        .order_by(HumanTask.created_at, HumanTask.id)
    ).all()


def involved(incident: Incident) -> list[Organisation]:
    return [o for o in (db.session.get(Organisation, i) for i in incident.involved_org_ids or []) if o]


def attachment(incident: Incident, attachment_id: int) -> IncidentAttachment | None:
    row = db.session.get(IncidentAttachment, attachment_id)
    return row if row is not None and row.incident_id == incident.id else None


def _filtered(filters: dict):
    stmt = select(Incident).options(joinedload(Incident.school)).order_by(Incident.created_at.desc())
    if filters["category"]:
        stmt = stmt.where(Incident.category == filters["category"])
    status = filters["status"] or "open"
    if status == "open":
        stmt = stmt.where(Incident.status.in_(("open", "acknowledged")))
    elif status != "all":
        stmt = stmt.where(Incident.status == status)
    return stmt.limit(2000)


def board(actor: Actor, orgs: dict, filters: dict, now: datetime) -> dict:
    """The cases the actor may open (by severity, then age), counts per (category, severity) of every case they
    may count, and the SLA breaches of the cases shown."""
    rows, counts = [], {}
    for row in db.session.scalars(_filtered(filters)):
        school = orgs[row.school_id]
        if filters["ward"] and str(school.ward_id) != filters["ward"]:
            continue
        if filters["level"] and school.school_level != filters["level"]:
            continue
        access = incident_access(actor, row, school, orgs)
        if access in ("full", "no_names"):
            rows.append(row)
        if access is not None:
            key = (row.category, row.severity)
            counts[key] = counts.get(key, 0) + 1
    breached = breaches([i.instance_id for i in rows if i.instance_id], now)
    rows.sort(key=lambda i: (-list(SEVERITIES).index(i.severity), i.created_at))
    return {"rows": rows, "counts": counts, "breached": breached}


def breaches(instance_ids: list[int], now: datetime) -> dict[int, list[HumanTask]]:
    """Open tasks past their due time, per incident instance: the SLA breaches."""
    if not instance_ids:
        return {}
    out: dict[int, list[HumanTask]] = {}
    for task in db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open", HumanTask.due_at < now
        )
    ):
        out.setdefault(task.instance_id, []).append(task)
    return out


def notifications(user_id: int) -> list[Notification]:
    return db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(200)
    ).all()
