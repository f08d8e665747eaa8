"""Administering organisations: add a school (or any unit) under its office, rename it, give it a short name,
school level and ward, move it, close it. The organisation cache stamp moves in the same transaction (the ORM
events in models/org.py), so every process rereads the tree at its next use. Every change is audited."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.core.ports import Actor
from models import db
from models.commands.changes import InputError, record_change, require_admin
from models.commands.logins import real_now
from models.org import Organisation, User

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
SCHOOL_LEVELS = ("MN", "TH", "THCS", "TH&THCS", "THPT")
KINDS = ("school", "section", "office", "ward", "ward_police", "police", "department", "people_committee")
FIELDS = ("code", "name", "short_name", "kind", "parent_id", "ward_id", "school_level", "symbol")


def snapshot(org: Organisation) -> dict:
    return {
        "code": org.code,
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "parent": org.parent.code if org.parent else None,
        "ward": org.ward.code if org.ward else None,
        "school_level": org.school_level,
        "symbol": org.symbol,
        "closed": org.closed_at is not None,
    }


def check_org_fields(fields: dict, *, org_id: int | None = None) -> dict[str, str]:
    """Problems with an organisation's fields (message codes per field); empty when they may be saved."""
    errors: dict[str, str] = {}
    if org_id is None:
        code = fields.get("code") or ""
        if not CODE.match(code):
            errors["code"] = "code_format"
        elif db.session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
            errors["code"] = "code_taken"
    for name in ("name", "short_name"):
        if not (fields.get(name) or "").strip():
            errors[name] = "required"
    if fields.get("kind") not in KINDS:
        errors["kind"] = "kind_unknown"
    parent = db.session.get(Organisation, fields["parent_id"]) if fields.get("parent_id") else None
    if parent is None:
        errors["parent_id"] = "required"
    elif parent.closed_at is not None:
        errors["parent_id"] = "org_closed"
    elif org_id is not None and _is_within(parent.id, org_id):
        errors["parent_id"] = "parent_cycle"
    if fields.get("ward_id") and _kind(fields["ward_id"]) != "ward":
        errors["ward_id"] = "ward_unknown"
    if fields.get("kind") == "school" and fields.get("school_level") not in SCHOOL_LEVELS:
        errors["school_level"] = "level_required"
    return errors


def _kind(org_id: int) -> str | None:
    return db.session.scalar(select(Organisation.kind).where(Organisation.id == org_id))


def _is_within(candidate_id: int, org_id: int) -> bool:
    """Whether `candidate_id` is `org_id` or below it (moving an organisation under itself is refused)."""
    seen = set()
    current: int | None = candidate_id
    while current is not None and current not in seen:
        if current == org_id:
            return True
        seen.add(current)
        current = db.session.scalar(select(Organisation.parent_id).where(Organisation.id == current))
    return False


def _apply(org: Organisation, fields: dict) -> None:
    parent = db.session.get(Organisation, fields["parent_id"])
    org.name = fields["name"].strip()[:300]
    org.short_name = fields["short_name"].strip()[:120]
    org.kind = fields["kind"]
    org.parent_id = parent.id
    org.ward_id = fields.get("ward_id") or None
    org.school_level = fields.get("school_level") or None if fields["kind"] == "school" else None
    org.symbol = (fields.get("symbol") or "").strip()[:40] or org.symbol
    org.place = org.place or parent.place
    org.managing_body = parent.name.upper()[:200] if fields["kind"] == "school" else org.managing_body


def add_org(fields: dict) -> Organisation:
    """Stage a new organisation (no commit: shared by the form and the import)."""
    org = Organisation(code=fields["code"], grammar="state", counter_scope="year_shared", aliases=[])
    org.synthetic = False
    _apply(org, fields)
    db.session.add(org)
    return org


def create_org(actor: Actor, fields: dict) -> int:
    """Add an organisation under its parent.

    :raises InputError: a field is refused (nothing written).
    """
    require_admin(actor)
    errors = check_org_fields(fields)
    if errors:
        raise InputError(errors)
    org = add_org(fields)
    db.session.flush()
    record_change(actor, "admin.org.create", f"org:{org.code}", None, snapshot(org))
    db.session.commit()
    return org.id


def update_org(actor: Actor, org_id: int, fields: dict) -> None:
    """Rename, re-label or move an organisation.

    :raises InputError: a field is refused (nothing written).
    """
    require_admin(actor)
    org = _org(org_id)
    errors = check_org_fields({**fields, "kind": fields.get("kind") or org.kind}, org_id=org_id)
    if errors:
        raise InputError(errors)
    before = snapshot(org)
    _apply(org, {**fields, "kind": fields.get("kind") or org.kind})
    db.session.flush()
    db.session.expire(org, ["parent", "ward"])
    record_change(actor, "admin.org.update", f"org:{org.code}", before, snapshot(org))
    db.session.commit()


def close_org(actor: Actor, org_id: int) -> None:
    """Close an organisation that no longer has active people or open units under it (history is kept).

    :raises InputError: people or units remain.
    """
    require_admin(actor)
    org = _org(org_id)
    people = select(func.count()).where(User.org_id == org.id, User.active.is_(True))
    units = select(func.count()).where(Organisation.parent_id == org.id, Organisation.closed_at.is_(None))
    if db.session.scalar(people):
        raise InputError({"close": "has_people"})
    if db.session.scalar(units):
        raise InputError({"close": "has_units"})
    before = snapshot(org)
    org.closed_at = real_now()
    record_change(actor, "admin.org.close", f"org:{org.code}", before, snapshot(org))
    db.session.commit()


def _org(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise InputError({"org": "missing"})
    return org


__all__ = ["KINDS", "SCHOOL_LEVELS", "check_org_fields", "close_org", "create_org", "update_org"]
