"""Personal API tokens: creating one (optionally expiring), revoking, listing, and noting (to the minute) when
one was last used."""

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


def create_token(
    username: str,
    name: str,
    expires_at: datetime | None = None,
    *,
    scope: str = "write",
    rate_limit: int | None = None,
) -> str | None:
    """A new token for the user, returned once in clear (only its hash is stored); None: no such user. `scope`
    "read" only reads; `rate_limit` (requests a minute) overrides the app's API_RATE_LIMIT for this token."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_hash=ApiToken.hash(token),
            expires_at=expires_at,
            scope=scope,
            rate_limit=rate_limit,
        )
    )
    db.session.commit()
    return token


def tokens_of(user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first (read only)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def revoke_token(user_id: int, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False: not theirs or no such token."""
    done = db.session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id).values(revoked=True)
    )
    db.session.commit()
    return bool(done.rowcount)


def revoke_tokens(username: str, *, token_id: int | None = None, name: str | None = None) -> int | None:
    """Revoke a user's tokens (one by id, those with a name, or all); how many; None: no such user."""
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        return None
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    if name is not None:
        query = query.where(ApiToken.name == name)
    done = db.session.execute(query.values(revoked=True))
    db.session.commit()
    return done.rowcount
