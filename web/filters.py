"""Jinja filters: dates as dd/mm/yyyy in Vietnam time, purpose and role labels."""

from __future__ import annotations

from datetime import date, datetime

from engine.clock import VN_TZ
from engine.documents import PURPOSES
from seed.data import ROLES
from web.locale import lang


def vn_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value  # what the person typed, shown back to them with its error
    return value.strftime("%d/%m/%Y")


def vn_datetime(value) -> str:
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def purpose_label(code: str) -> str:
    p = PURPOSES.get(code)
    if p is None:
        return code
    return p.label_en if lang() == "en" else p.label_vi


def role_label(code: str) -> str:
    vi, en = ROLES.get(code, (code, code))
    return en if lang() == "en" else vi


def bilingual(text: str) -> str:
    """Diagram labels are "Vietnamese | English": show the half for the current language."""
    if not text or " | " not in text:
        return text or ""
    vi, en = text.split(" | ", 1)
    return en if lang() == "en" else vi


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        vn_date=vn_date, vn_datetime=vn_datetime, purpose=purpose_label, role=role_label, bi=bilingual
    )
    app.jinja_env.globals.update(lang=lang)
