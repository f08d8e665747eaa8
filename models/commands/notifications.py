"""Marking a person's notifications read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from models import db
from models.incident import Notification


def mark_read(user_id: int, notification_id: int, now: datetime) -> Notification | None:
    """The notification, read from now on (its first reading time is kept); None when it is not this user's."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        return None
    row.read_at = row.read_at or now
    db.session.commit()
    return row


def mark_all_read(user_id: int, now: datetime) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
