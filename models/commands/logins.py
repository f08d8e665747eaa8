"""Logging in and out, and changing one's own password: failed logins are counted in the database (per
account and per address), so the throttle and the account lock hold across every web process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from models import db
from models.org import LoginFailure, User
from models.passwords import PasswordError, check_strength

LOCK_AFTER = 5  # failures in a row before the account locks
LOCK_FIRST = timedelta(minutes=1)  # then 2, 4, 8 … minutes for each further failure after a lock
LOCK_LONGEST = timedelta(hours=1)
ADDRESS_LIMIT = 30  # failures from one address (any accounts) within ADDRESS_WINDOW
ADDRESS_WINDOW = timedelta(minutes=10)
KEEP_FAILURES = timedelta(days=1)


@dataclass(frozen=True)
class LoginOutcome:
    """`user` when the login succeeded; else `refused` is `bad`, `locked` or `throttled`, `wait` how long."""

    user: User | None = None
    refused: str | None = None
    wait: timedelta | None = None


class WrongPasswordError(ValueError):
    """The current password given to change it is wrong."""


def real_now() -> datetime:
    """Wall-clock time: locks and token expiry are real durations, whatever year the demo replays."""
    return datetime.now(UTC)


@cache
def _decoy_hash() -> str:
    return generate_password_hash("no such account")


def lock_duration(failures: int) -> timedelta | None:
    if failures < LOCK_AFTER:
        return None
    return min(LOCK_FIRST * 2 ** (failures - LOCK_AFTER), LOCK_LONGEST)


def log_in(username: str, password: str, remote_addr: str) -> LoginOutcome:
    """Check the password unless the address is throttled or the account locked; count a failure."""
    now = real_now()
    recent = select(func.count()).where(
        LoginFailure.remote_addr == remote_addr, LoginFailure.at >= now - ADDRESS_WINDOW
    )
    if db.session.scalar(recent) >= ADDRESS_LIMIT:
        return LoginOutcome(refused="throttled", wait=ADDRESS_WINDOW)
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        return LoginOutcome(refused="locked", wait=user.locked_until - now)
    if user is None:
        check_password_hash(_decoy_hash(), password)  # the same time whether or not the account exists
    elif user.active and user.check_password(password):
        if user.failed_logins or user.locked_until:
            user.failed_logins, user.locked_until = 0, None
            db.session.commit()
        return LoginOutcome(user=user)
    return _failed(user, username, remote_addr, now)


def _failed(user: User | None, username: str, remote_addr: str, now: datetime) -> LoginOutcome:
    db.session.add(LoginFailure(at=now, remote_addr=remote_addr[:64], username=username[:80]))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP_FAILURES))
    wait = None
    if user is not None:
        # one atomic increment: two processes failing at once both count
        failures = db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        wait = lock_duration(failures)
        if wait is not None:
            db.session.execute(
                update(User)
                .where(User.id == user.id)
                .values(locked_until=now + wait)
                .execution_options(synchronize_session=False)
            )
    db.session.commit()
    return LoginOutcome(refused="bad", wait=wait)  # the lock holds from the next attempt on


def log_out(user_id: int) -> None:
    """End every session of the user (this one and any cookie copied from it)."""
    user = db.session.get(User, user_id)
    if user is not None:
        user.end_sessions()
        db.session.commit()


def change_password(user_id: int, current: str, new: str) -> User:
    """Replace the user's password; every other session ends (the caller logs this one in again).

    :raises WrongPasswordError: `current` is not the password.
    :raises PasswordError: `new` is too weak (or the same as `current`).
    """
    user = db.session.get(User, user_id)
    if user is None or not user.check_password(current):
        raise WrongPasswordError
    check_strength(new, user.username)
    if new == current:
        raise PasswordError("same")
    user.set_password(new)
    user.must_change_password = False
    user.end_sessions()
    db.session.commit()
    return user


__all__ = ["LoginOutcome", "WrongPasswordError", "change_password", "log_in", "log_out", "real_now"]
