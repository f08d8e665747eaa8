"""The replayed clock's start, stored once in the database: the first process to replay from an instant
records when (in real time) that replay began; every later process and restart reads the same moment."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from models import db
from models.org import ClockAnchor


def replay_began(start: str) -> datetime | None:
    """When the replay from `start` (the CASCADE_CLOCK_START text) began; None when the database cannot say
    (not migrated yet): the process then replays from its own start."""
    try:
        began = db.session.scalar(select(ClockAnchor.real_at).where(ClockAnchor.start_at == start))
        if began is None:
            db.session.add(ClockAnchor(start_at=start, real_at=datetime.now(UTC)))
            db.session.commit()
    except IntegrityError:  # another process stored it first: theirs holds
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    return began or db.session.scalar(select(ClockAnchor.real_at).where(ClockAnchor.start_at == start))
