"""Organisations (the 2022 chain of command), their people, roles and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    false,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import UTCDateTime, db, utcnow


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    school_level: Mapped[str | None] = mapped_column(String(20))
    symbol: Mapped[str | None] = mapped_column(String(40))
    grammar: Mapped[str | None] = mapped_column(String(20))
    counter_scope: Mapped[str | None] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(80))
    managing_body: Mapped[str | None] = mapped_column(String(200))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(300))
    # Closed organisations keep their history (documents, audit) but take no new people.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    ward: Mapped[Organisation | None] = relationship(remote_side=[id], foreign_keys=[ward_id])

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class CacheGeneration(db.Model):
    """A stamp per cached table: replaced in the same transaction as every change, so each process can keep
    the table in memory and reread it only when the stamp moved. Stamps are random, not counted: a database
    recreated or restored from a backup must never come back to a stamp a process has cached other rows for."""

    __tablename__ = "cache_generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def bump_generation(connection, name: str) -> None:
    """Give `name` a new stamp; for writes that bypass the ORM (bulk inserts, restores), call it yourself."""
    table = CacheGeneration.__table__
    stamp = secrets.randbelow(2**31 - 2) + 1  # fits the INTEGER column; 0 means "never stamped"
    done = connection.execute(update(table).where(table.c.name == name).values(value=stamp))
    if not done.rowcount:
        connection.execute(insert(table).values(name=name, value=stamp))


def generation(connection, name: str) -> int:
    table = CacheGeneration.__table__
    return connection.execute(select(table.c.value).where(table.c.name == name)).scalar() or 0


@event.listens_for(Organisation, "after_insert")
@event.listens_for(Organisation, "after_update")
@event.listens_for(Organisation, "after_delete")
def _organisation_changed(mapper, connection, target) -> None:
    bump_generation(connection, Organisation.__tablename__)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    # Changes on every logout, password change and deactivation, so every older session stops working.
    session_token: Mapped[str] = mapped_column(String(64))
    # A one-time password (set by an administrator or an import) must be replaced at the next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Still the shared demo password: a production app refuses to start while any account has it.
    demo_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Failed logins since the last success (counted in the database, so every process sees them).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organisation] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the session carries id and token
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.demo_password = False

    def end_sessions(self) -> None:
        """Every session issued so far stops working at its next request."""
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40), index=True)


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "read": GET only; "write": also completes, claims, starts and raises (what tokens could always do)
    scope: Mapped[str] = mapped_column(String(10), default="write", server_default="write")
    rate_limit: Mapped[int | None] = mapped_column(Integer)  # requests a minute; None: the app's API_RATE_LIMIT

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class LoginFailure(db.Model):
    """One failed login, kept a day: the per-address throttle counts them across every process."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_addr_at", "remote_addr", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    remote_addr: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(80))


class ClockAnchor(db.Model):
    """The replayed clock's start, stored once per CASCADE_CLOCK_START: every process and restart agrees."""

    __tablename__ = "clock_anchor"

    start_at: Mapped[str] = mapped_column(String(64), primary_key=True)
    real_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["Organisation", "User", "UserRole", "ApiToken", "LoginFailure", "ClockAnchor"]
