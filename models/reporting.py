"""Read models other features draw from: incident counts per school and period (closed, confirmed
incidents), for the periodic report's section D and the Circular 124 disqualifier checklist. Also the
reporting feature's own small writes: reminders sent once per due event, the holiday calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from models import db
from models.incident import Incident
from models.report import Holiday


def add_holiday(day: date, name: str) -> bool:
    """Add a public holiday (administrators); False when the day is listed already. Commits."""
    if db.session.get(Holiday, day) is not None:
        return False
    db.session.add(Holiday(day=day, name=name[:200]))
    db.session.commit()
    return True


def delete_holiday(day: date) -> bool:
    """Remove a public holiday; False when it was not listed. Commits."""
    row = db.session.get(Holiday, day)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def incident_counts(school_id: int, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """{(category, severity): count} of the school's incidents that happened in [start, end) and were not
    false alarms."""
    rows = db.session.execute(
        select(Incident.category, Incident.severity, func.count())
        .where(
            Incident.school_id == school_id,
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
            Incident.status != "false_alarm",
        )
        .group_by(Incident.category, Incident.severity)
    ).all()
    return {(category, severity): count for category, severity, count in rows}


def disqualifying_incidents(school_id: int, start: datetime, end: datetime) -> list[Incident]:
    """Incidents that count against Circular 124 (primer §2.2): school violence, serious fire or
    explosion, serious food poisoning, crime, staff misconduct — confirmed, in the assessment window."""
    categories = (
        "school_violence",
        "fire_explosion",
        "food_poisoning",
        "crime_by_or_against_member",
        "staff_misconduct",
        "mass_gathering_incitement",
        "info_security_secret",
    )
    return list(
        db.session.scalars(
            select(Incident)
            .where(
                Incident.school_id == school_id,
                Incident.category.in_(categories),
                Incident.occurred_at >= start,
                Incident.occurred_at < end,
                Incident.status != "false_alarm",
            )
            .order_by(Incident.occurred_at)
        )
    )
