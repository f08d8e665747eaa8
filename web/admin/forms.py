"""The administration forms read into plain dicts for models/commands (users, orgs)."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def user_fields(form: MultiDict) -> dict:
    return {
        "username": (form.get("username") or "").strip().lower(),
        "full_name": form.get("full_name") or "",
        "title": form.get("title") or "",
        "email": (form.get("email") or "").strip(),
        "org_id": _int(form.get("org_id")),
        "roles": form.getlist("roles"),
    }


def org_fields(form: MultiDict) -> dict:
    return {
        "code": (form.get("code") or "").strip().lower(),
        "name": form.get("name") or "",
        "short_name": form.get("short_name") or "",
        "kind": form.get("kind") or "school",
        "parent_id": _int(form.get("parent_id")),
        "ward_id": _int(form.get("ward_id")),
        "school_level": form.get("school_level") or None,
        "symbol": form.get("symbol") or "",
    }


def user_values(user) -> dict:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "title": user.title or "",
        "email": user.email or "",
        "org_id": user.org_id,
        "roles": sorted(user.roles),
    }


def org_values(org) -> dict:
    return {
        "code": org.code,
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "parent_id": org.parent_id,
        "ward_id": org.ward_id,
        "school_level": org.school_level,
        "symbol": org.symbol or "",
    }
