"""Personal API tokens: creating one, and noting (to the minute) when one was last used."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import bindparam, select, update

from models import db
from models.org import ApiToken, User

_TOKEN_USED = update(ApiToken).where(ApiToken.id == bindparam("t")).values(last_used_at=bindparam("at"))


def note_use(token_id: int, now: datetime) -> None:
    db.session.execute(_TOKEN_USED, {"t": token_id, "at": now})
    db.session.commit()


def create_token(username: str, name: str) -> str | None:
    """A new token for the user, returned once in clear (only its hash is stored); None: no such user."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=ApiToken.hash(token)))
    db.session.commit()
    return token
