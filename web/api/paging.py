"""Paging and filters shared by every API list: `limit` (1–200, default 50), `after` (the `next` of the page
before: keyset paging, stable while rows are added) and the total of rows the filters match."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select

from engine.core.errors import FormValidationError
from engine.core.forms import FieldError
from models import db

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    next: int | None

    def json(self, key: str, items: list) -> dict:
        return {key: items, "total": self.total, "next": self.next}


def _int_arg(name: str, errors: dict, low: int, high: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = FieldError("not_integer")
        return None
    if value < low:
        errors[name] = FieldError.of("too_small", min=low)
    elif high is not None and value > high:
        errors[name] = FieldError.of("too_large", max=high)
    return value


def int_filters(*names: str) -> dict[str, int | None]:
    """Integer query arguments (ids, years), or 422 with a message per argument in both languages."""
    errors: dict = {}
    values = {name: _int_arg(name, errors, 0) for name in names}
    if errors:
        raise FormValidationError(errors)
    return values


def page_args() -> tuple[int, int | None]:
    """(limit, after) from the query string; 422 (field messages) when they are not whole numbers in range."""
    errors: dict = {}
    limit = _int_arg("limit", errors, 1, MAX_LIMIT)
    after = _int_arg("after", errors, 0)
    if errors:
        raise FormValidationError(errors)
    return limit or DEFAULT_LIMIT, after


def keyset(stmt, key, *, descending: bool = False) -> Page:
    """One page of `stmt` (one entity) ordered by its unique integer column `key`, with the total the filters
    match."""
    limit, after = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if after is not None:
        stmt = stmt.where(key < after if descending else key > after)
    stmt = stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows = list(db.session.scalars(stmt).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, total or 0, _key_of(rows[-1], key) if more and rows else None)


def _key_of(row, key) -> int:
    return getattr(row, key.key)


def keyset_list(rows: list, key) -> Page:
    """The same page over rows filtered in Python, ordered by `key(row)` (a unique integer) descending."""
    limit, after = page_args()
    total = len(rows)
    if after is not None:
        rows = [r for r in rows if key(r) < after]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, total, key(rows[-1]) if more and rows else None)
