"""Importing schools or people from a table an office already keeps: every line checked with the same rules as
the forms (check_org_fields, check_user_fields) plus what only a file has (an office, ward or unit named by its
code or name, a role by its Vietnamese label, the same code twice in the file). Nothing is written while any
line has an error; applying writes every line, audited one by one and as a whole, in one commit."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.core.ports import Actor
from models import db
from models.commands.changes import InputError, record_change, require_admin
from models.commands.orgs import SCHOOL_LEVELS, add_org, check_org_fields
from models.commands.orgs import snapshot as org_snapshot
from models.commands.users import add_user, check_user_fields
from models.commands.users import snapshot as user_snapshot
from models.org import Organisation
from models.roles import ROLES

# kind → (column header, field) in the order of the template
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "schools": (
        ("Mã trường", "code"),
        ("Tên trường", "name"),
        ("Tên ngắn", "short_name"),
        ("Cấp học", "school_level"),
        ("Phường/xã", "ward"),
        ("Đơn vị quản lý", "parent"),
    ),
    "people": (
        ("Tên đăng nhập", "username"),
        ("Họ tên", "full_name"),
        ("Chức vụ", "title"),
        ("Đơn vị", "org"),
        ("Vai trò", "roles"),
        ("Email", "email"),
    ),
}
OPTIONAL = {"short_name", "title", "email", "ward"}
MAX_ROWS = {"schools": 1000, "people": 300}  # people: each one-time password is hashed (scrypt) in the request
LEVEL_NAMES = {"mam non": "MN", "tieu hoc": "TH", "trung hoc co so": "THCS", "trung hoc pho thong": "THPT"}
SHORT_PREFIXES = (
    ("truong tieu hoc va trung hoc co so", "TH&THCS"),
    ("truong trung hoc pho thong", "THPT"),
    ("truong trung hoc co so", "THCS"),
    ("truong tieu hoc", "TH"),
    ("truong mam non", "MN"),
)


@dataclass
class Line:
    number: int  # the line in the spreadsheet (the header is line 1)
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


class ImportRefusedError(ValueError):
    """At least one line has an error; nothing was written."""

    def __init__(self, lines: list[Line]):
        super().__init__(f"{sum(1 for line in lines if line.errors)} lines refused")
        self.lines = lines


def fold(text: str) -> str:
    """Lower case without diacritics or extra spaces, for matching names typed by hand ("Đ" → "d")."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def read_lines(kind: str, table: list[list[str]]) -> list[Line]:
    """The table's rows as lines keyed by field, from the header row's column names (in any order).

    :raises InputError: {"columns": "Tên trường, …"} when a required column is missing.
    """
    header = [fold(cell) for cell in table[0]]
    where = {key: header.index(fold(name)) for name, key in COLUMNS[kind] if fold(name) in header}
    missing = [name for name, key in COLUMNS[kind] if key not in where and key not in OPTIONAL]
    if missing:
        raise InputError({"columns": ", ".join(missing)})
    lines = []
    for number, row in enumerate(table[1:], start=2):
        values = {key: (row[i] if i < len(row) else "") for key, i in where.items()}
        lines.append(Line(number, {key: values.get(key, "") for _, key in COLUMNS[kind]}))
    return lines


class _Orgs:
    """Open organisations by code, name and short name (folded), read once per check."""

    def __init__(self):
        self.by_key: dict[tuple[str, str], int] = {}
        for org in db.session.scalars(select(Organisation).where(Organisation.closed_at.is_(None))):
            for key in (org.code, org.name, org.short_name):
                self.by_key.setdefault((org.kind, fold(key or "")), org.id)
                self.by_key.setdefault(("*", fold(key or "")), org.id)
                if org.kind not in ("school", "ward", "ward_police"):
                    self.by_key.setdefault(("office", fold(key or "")), org.id)

    def find(self, kind: str, text: str) -> int | None:
        return self.by_key.get((kind, fold(text))) if text else None


def _short_name(name: str) -> str:
    folded = fold(name)
    for prefix, short in SHORT_PREFIXES:
        if folded.startswith(prefix + " "):
            return f"{short} {name.strip()[len(prefix) + 1 :].strip()}"
    return name.strip()


def _school_fields(values: dict, orgs: _Orgs) -> dict:
    level = values["school_level"].strip()
    return {
        "code": values["code"].strip().lower(),
        "name": values["name"],
        "short_name": values["short_name"] or _short_name(values["name"]),
        "kind": "school",
        "parent_id": orgs.find("office", values["parent"]),
        "ward_id": orgs.find("ward", values["ward"]),
        "school_level": level.upper() if level.upper() in SCHOOL_LEVELS else LEVEL_NAMES.get(fold(level), level),
        "symbol": "",
    }


def _roles(text: str) -> list[str]:
    """Role keys from labels ("Hiệu trưởng, Văn thư"); a label may hold a comma itself ("Cán bộ, giáo viên")."""
    folded = fold(text)
    for key, (label, _english) in sorted(ROLES.items(), key=lambda item: -len(item[1][0])):
        folded = re.sub(rf"\b{re.escape(fold(label))}\b", key, folded)
    return [part.strip() for part in re.split(r"[,;/]+", folded) if part.strip()]


def _person_fields(values: dict, orgs: _Orgs) -> dict:
    return {
        "username": values["username"].strip().lower(),
        "full_name": values["full_name"],
        "title": values["title"],
        "email": values["email"].strip(),
        "org_id": orgs.find("*", values["org"]),
        "roles": _roles(values["roles"]),
    }


def _check_school(values: dict, fields: dict) -> dict[str, str]:
    errors = check_org_fields(fields)
    if values["parent"] and fields["parent_id"] is None:
        errors["parent_id"] = "parent_missing"
    if values["ward"] and fields["ward_id"] is None:
        errors["ward_id"] = "ward_missing"
    if values["school_level"] and fields["school_level"] not in SCHOOL_LEVELS:
        errors["school_level"] = "level_unknown"
    return errors


def _check_person(values: dict, fields: dict) -> dict[str, str]:
    errors = check_user_fields(fields)
    if values["org"] and fields["org_id"] is None:
        errors["org_id"] = "org_missing"
    return errors


FIELDS = {"schools": (_school_fields, _check_school, "code"), "people": (_person_fields, _check_person, "username")}


def check_lines(actor: Actor, kind: str, lines: list[Line]) -> list[dict]:
    """Fill each line's errors (nothing written); returns each line's fields, ready to stage."""
    require_admin(actor)
    to_fields, check, key = FIELDS[kind]
    orgs, seen, staged = _Orgs(), set(), []
    for line in lines:
        fields = to_fields(line.values, orgs)
        line.errors = check(line.values, fields)
        if fields[key] and fields[key] in seen and key not in line.errors:
            line.errors[key] = "duplicate"
        seen.add(fields[key])
        staged.append(fields)
    return staged


def apply_import(actor: Actor, kind: str, lines: list[Line], source: dict) -> list[tuple[str, str, str]]:
    """Write every line in one transaction, audited; for people, returns (username, full name, one-time password).

    :raises ImportRefusedError: a line has an error (checked again: the database may have changed since the
        preview); nothing written.
    """
    staged = check_lines(actor, kind, lines)
    if not lines or any(line.errors for line in lines):
        raise ImportRefusedError(lines)
    handed = []
    for fields in staged:
        if kind == "schools":
            org = add_org(fields)
            db.session.flush()
            record_change(actor, "admin.org.create", f"org:{org.code}", None, org_snapshot(org))
        else:
            user, password = add_user(None, fields)
            db.session.flush()
            record_change(actor, "admin.user.create", f"user:{user.username}", None, user_snapshot(user))
            handed.append((user.username, user.full_name, password))
    record_change(actor, "admin.import", f"import:{kind}", None, {**source, "kind": kind, "lines": len(lines)})
    db.session.commit()
    return handed


__all__ = ["COLUMNS", "MAX_ROWS", "ImportRefusedError", "Line", "apply_import", "check_lines", "read_lines"]
