"""Circular 124 queries the store's `Tt124Store` mixin serves to the engine (kept here, beside the tables, so the
store stays a thin port)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.base import db
from models.tt124 import Tt124Cycle, Tt124Participation


def participations_on(school_id: int, on: date, session=None) -> list[Tt124Participation]:
    """The school's years (with an instance) whose evaluation window holds `on`, whether the instance still runs
    or has finished (a year decided before its window closed)."""
    return list(
        (session or db.session).scalars(
            select(Tt124Participation)
            .join(Tt124Cycle)
            .where(
                Tt124Participation.school_id == school_id,
                Tt124Participation.instance_id.is_not(None),
                Tt124Cycle.start <= on,
                Tt124Cycle.end >= on,
            )
            .order_by(Tt124Participation.id)
        )
    )
