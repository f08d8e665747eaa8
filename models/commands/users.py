"""Administering people: add, edit, deactivate (their claimed tasks go back to their unit), reset a password
(one-time, changed at the next login), and the CLI's first administrator. Every change is audited."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select, update

from engine.core.ports import Actor
from models import db
from models.commands.changes import InputError, record_change, require_admin
from models.org import Organisation, User, UserRole
from models.passwords import check_strength, one_time_password
from models.roles import ROLE_KEYS
from models.workflow import HumanTask, HumanTaskCandidate

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "title": user.title,
        "email": user.email,
        "org": user.org.code if user.org else None,
        "roles": sorted(user.roles),
        "active": user.active,
    }


def check_user_fields(fields: dict, *, user_id: int | None = None) -> dict[str, str]:
    """Problems with a person's fields (message codes per field); an empty dict when they may be saved."""
    errors: dict[str, str] = {}
    username = fields.get("username") or ""
    if user_id is None:
        if not USERNAME.match(username):
            errors["username"] = "username_format"
        elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
            errors["username"] = "username_taken"
    if not (fields.get("full_name") or "").strip():
        errors["full_name"] = "required"
    if fields.get("email") and not EMAIL.match(fields["email"]):
        errors["email"] = "email_format"
    org = db.session.get(Organisation, fields["org_id"]) if fields.get("org_id") else None
    if org is None:
        errors["org_id"] = "required"
    elif org.closed_at is not None:
        errors["org_id"] = "org_closed"
    roles = set(fields.get("roles") or ())
    if not roles:
        errors["roles"] = "roles_required"
    elif not roles <= ROLE_KEYS:
        errors["roles"] = "roles_unknown"
    return errors


def _apply(user: User, fields: dict) -> None:
    user.full_name = fields["full_name"].strip()[:200]
    user.title = (fields.get("title") or "").strip()[:200] or None
    user.email = (fields.get("email") or "").strip()[:200] or None
    user.org_id = fields["org_id"]
    wanted = set(fields["roles"])
    user.role_rows = [r for r in user.role_rows if r.role in wanted]
    user.role_rows += [UserRole(role=role) for role in sorted(wanted - user.roles)]


def add_user(user: User | None, fields: dict) -> tuple[User, str]:
    """Stage a new person with a one-time password (no commit: shared by the form and the import)."""
    password = one_time_password()
    user = User(username=fields["username"], session_token=secrets.token_hex(16), synthetic=False)
    user.set_password(password)
    user.must_change_password = True
    _apply(user, fields)
    db.session.add(user)
    return user, password


def create_user(actor: Actor, fields: dict) -> tuple[int, str]:
    """Add a person; returns their id and the one-time password to hand them.

    :raises InputError: a field is refused (nothing written).
    """
    require_admin(actor)
    errors = check_user_fields(fields)
    if errors:
        raise InputError(errors)
    user, password = add_user(None, fields)
    db.session.flush()
    record_change(actor, "admin.user.create", f"user:{user.username}", None, snapshot(user))
    db.session.commit()
    return user.id, password


def update_user(actor: Actor, user_id: int, fields: dict) -> None:
    """Change a person's name, title, e-mail, organisation and roles.

    :raises InputError: a field is refused (nothing written).
    """
    require_admin(actor)
    user = _user(user_id)
    errors = check_user_fields(fields, user_id=user_id)
    if errors:
        raise InputError(errors)
    before = snapshot(user)
    moved = user.org_id != fields["org_id"]
    _apply(user, fields)
    db.session.flush()
    db.session.expire(user, ["org"])
    if moved:
        _release_claims(user.id)  # their claimed tasks belong to the unit they leave
    record_change(actor, "admin.user.update", f"user:{user.username}", before, snapshot(user))
    db.session.commit()


def set_active(actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (every session ends, claimed tasks return to the unit) or reactivate a person."""
    require_admin(actor)
    user = _user(user_id)
    if user.id == actor.user_id and not active:
        raise InputError({"active": "self"})
    before = snapshot(user)
    user.active = active
    user.end_sessions()
    if not active:
        _release_claims(user.id)
    record_change(
        actor,
        "admin.user.deactivate" if not active else "admin.user.reactivate",
        f"user:{user.username}",
        before,
        snapshot(user),
    )
    db.session.commit()


def reset_password(actor: Actor, user_id: int) -> str:
    """A one-time password for the person, to change at their next login; their sessions end."""
    require_admin(actor)
    user = _user(user_id)
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    user.end_sessions()
    record_change(actor, "admin.user.reset_password", f"user:{user.username}", None, {"one_time": True})
    db.session.commit()
    return password


def create_admin(username: str, full_name: str, org_code: str | None, password: str) -> User:
    """The first administrator (CLI): an account with the admin role, or that role added to an existing one.

    :raises InputError: no such organisation or a bad username.
    :raises PasswordError: the password is too weak.
    """
    check_strength(password, username)
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        query = select(Organisation).where(Organisation.closed_at.is_(None)).order_by(Organisation.id)
        if org_code:
            query = query.where(Organisation.code == org_code)
        org = db.session.scalars(query).first()
        if org is None:
            raise InputError({"org": "org_missing"})
        if not USERNAME.match(username):
            raise InputError({"username": "username_format"})
        user = User(username=username, full_name=full_name, org_id=org.id, synthetic=False)
        db.session.add(user)
    if "admin" not in user.roles:
        user.role_rows.append(UserRole(role="admin"))
    user.active = True
    user.set_password(password)
    user.must_change_password = False
    user.end_sessions()
    db.session.flush()
    record_change(None, "admin.user.create_admin", f"user:{username}", None, {"roles": sorted(user.roles)})
    db.session.commit()
    return user


def set_password(username: str, password: str, *, one_time: bool = False) -> bool:
    """Set a person's password from the CLI (one-time: to change at the next login); False: no such user."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        return False
    check_strength(password, username)
    user.set_password(password)
    user.must_change_password = one_time
    user.failed_logins, user.locked_until = 0, None
    user.end_sessions()
    record_change(None, "admin.user.set_password", f"user:{username}", None, {"one_time": one_time})
    db.session.commit()
    return True


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise InputError({"user": "missing"})
    return user


def _release_claims(user_id: int) -> None:
    """Open tasks the person claimed go back to everyone holding the role in the unit."""
    claimed = select(HumanTask.id).where(HumanTask.assignee_id == user_id, HumanTask.status == "open")
    ids = list(db.session.scalars(claimed))
    if ids:
        db.session.execute(
            update(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id.in_(ids)).values(claimed=False)
        )
        db.session.execute(
            update(HumanTask)
            .where(HumanTask.id.in_(ids))
            .values(assignee_id=None)
            .execution_options(synchronize_session=False)
        )


__all__ = ["create_admin", "create_user", "reset_password", "set_active", "set_password", "update_user"]
