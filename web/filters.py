"""Jinja filters: dates as dd/mm/yyyy in Vietnam time, purpose and role labels."""

from __future__ import annotations

from datetime import date, datetime

from engine.core.clock import VN_TZ
from engine.documents.nd30 import PURPOSES
from models.roles import ROLES
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


ACTIONS = {
    "instance.start": ("khởi tạo quy trình", "started the process"),
    "task.complete": ("hoàn thành", "completed"),
    "task.claim": ("nhận xử lý", "claimed"),
    "task.unclaim": ("trả lại cho đơn vị", "released"),
    "document.issue": ("cấp số, phát hành", "numbered and issued"),
    "timer.fire": ("đến hạn (hẹn giờ)", "timer fired"),
    "definition.deploy": ("triển khai phiên bản quy trình", "deployed a process version"),
}


def action_label(code: str) -> str:
    vi, en = ACTIONS.get(code, (code, code))
    return en if lang() == "en" else vi


def join_names(ids, names: dict, limit: int = 8) -> str:
    """'A, B, C … (+n)': a readable summary of a long recipient list."""
    shown = [names.get(i, str(i)) for i in ids[:limit]]
    more = len(ids) - len(shown)
    return ", ".join(shown) + (f" … (+{more})" if more > 0 else "")


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        vn_date=vn_date,
        vn_datetime=vn_datetime,
        purpose=purpose_label,
        role=role_label,
        bi=bilingual,
        action=action_label,
        join_names=join_names,
    )
    app.jinja_env.globals.update(lang=lang)
