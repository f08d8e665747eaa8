"""Bearer-token authentication: the actor behind a token, and the JSON error shape."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import bindparam, select

from engine.core.clock import clock
from models import db
from models.commands import tokens
from models.org import ApiToken, Organisation, User, UserRole
from web.deps import make_actor

TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


# The actor behind a token in one round trip, without ORM objects: one row per role (none: one row, role NULL).
_TOKEN_ACTOR = (
    select(
        ApiToken.id,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.full_name,
        Organisation.id.label("org_id"),
        Organisation.kind,
        Organisation.parent_id,
        UserRole.role,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Organisation, Organisation.id == User.org_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked.is_(False), User.active.is_(True))
)


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error(401, "missing bearer token")
        rows = db.session.execute(_TOKEN_ACTOR, {"h": ApiToken.hash(header[7:].strip())}).all()
        if not rows:
            return error(401, "invalid token")
        first = rows[0]
        now = clock.now()
        if first.last_used_at is None or now - first.last_used_at > TOKEN_USE_RESOLUTION:
            tokens.note_use(first.id, now)  # to the minute: no write per request
        g.actor = make_actor(
            first.user_id,
            first.full_name,
            (r.role for r in rows if r.role),
            first.org_id,
            first.kind,
            first.parent_id,
        )
        return view(*args, **kwargs)

    return wrapper
