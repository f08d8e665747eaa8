"""The administrator's page: which schools are in the Circular's scope (the level rule, or an override with its
reason)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.errors import EngineError, NotAllowedError
from engine.tt124 import services as tt124_services
from engine.tt124.rules import eligibility
from models import db
from models.org import Organisation
from models.tt124 import Tt124Override
from web.deps import current_actor, db_int, store
from web.tt124 import bp
from web.tt124.common import level_rank


def _rows() -> list[tuple]:
    schools = db.session.scalars(
        select(Organisation).where(Organisation.kind == "school").options(joinedload(Organisation.parent))
    ).all()
    overrides = {
        o.school_id: o for o in db.session.scalars(select(Tt124Override).options(joinedload(Tt124Override.set_by)))
    }
    rows = []
    for o in sorted(schools, key=lambda o: (level_rank(o.school_level), o.name)):
        override = overrides.get(o.id)
        effective = eligibility(o.school_level, (override.eligible, override.reason) if override else None)
        rows.append((o, eligibility(o.school_level), override, effective))
    return rows


def _save(target: Organisation, choice: str, reason: str) -> str | None:
    """Store the choice through the engine (which commits, or rolls back and raises); the error, if any."""
    if choice != "level" and not reason:
        return _("Vui lòng nêu lý do.")
    try:
        eligible = None if choice == "level" else choice == "yes"
        tt124_services.set_eligibility(store(), current_actor(), target.id, eligible, reason)
    except (NotAllowedError, EngineError) as exc:
        return str(exc)
    return None


@bp.route("/tt124/eligibility", methods=["GET", "POST"])
@login_required
def eligibility_page():
    if not current_actor().is_admin:
        abort(403)
    errors: dict[int, str] = {}
    if request.method == "POST":
        school_id = request.form.get("school", type=db_int)
        choice, reason = request.form.get("eligible", ""), (request.form.get("reason") or "").strip()
        target = db.session.get(Organisation, school_id) if school_id else None
        if target is None or target.kind != "school" or choice not in ("level", "yes", "no"):
            abort(400)
        error = _save(target, choice, reason)
        if error is None:
            flash(_("Đã lưu phạm vi áp dụng của %(school)s.", school=target.name), "success")
            return redirect(url_for("tt124.eligibility_page") + f"#s{target.id}"), 303
        errors[target.id] = error
    return render_template("tt124/eligibility.html", rows=_rows(), errors=errors), (422 if errors else 200)
