"""What the administration pages read: people and organisations, filtered, and the recent changes."""

from __future__ import annotations

from sqlalchemy import or_, select

from models import db
from models.org import Organisation, User
from models.workflow import AuditEvent

PAGE = 200


def people(q: str = "", org_id: int | None = None) -> list[User]:
    query = select(User).join(Organisation, Organisation.id == User.org_id).order_by(Organisation.name, User.username)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    if org_id:
        query = query.where(User.org_id == org_id)
    return list(db.session.scalars(query.limit(PAGE)))


def organisations(include_closed: bool = True) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.kind, Organisation.name)
    if not include_closed:
        query = query.where(Organisation.closed_at.is_(None))
    return list(db.session.scalars(query))


def organisation(org_id: int) -> Organisation | None:
    return db.session.get(Organisation, org_id)


def person(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def changes(limit: int = 100) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action.like("admin.%")).order_by(AuditEvent.id.desc())
    return list(db.session.scalars(query.limit(limit)))
