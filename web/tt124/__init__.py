"""Circular 124 ("An toàn về an ninh, trật tự"): the year's overview with roll-ups per ward, level and year
(`pages`), one school's year (registration, evidence and the files attached to it, checklist, meeting, dossier,
decision and certificate), its files (`files`), opening a year, and the administrator's eligibility page
(`admin`). Who sees what: `engine/core/access.py`. The views only read: every write goes through an engine use
case that commits, or rolls back and raises."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tt124", __name__, template_folder="templates")

from web.tt124 import admin, files, pages  # noqa: E402  (the views register themselves on `bp`)

__all__ = ["admin", "bp", "files", "pages"]
