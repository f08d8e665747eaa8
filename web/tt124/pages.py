"""The year's overview with roll-ups per ward, level and year, opening a year, a school's year, and a school's own
list of years."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.access import can_attach_tt124_evidence
from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.tt124 import services as tt124_services
from engine.tt124.rules import (
    CRITERIA,
    DISQUALIFIERS,
    EVIDENCE_OPEN_STATUSES,
    MAX_FILES_PER_EVIDENCE,
    STATUSES,
    calendar,
    openable_year,
    rollup,
)
from models import db
from models.tt124 import Tt124Cycle, Tt124Participation
from web.deps import cascade, current_actor, db_int, store
from web.inbox import deliver_pending
from web.tt124 import bp
from web.tt124.common import (
    DECISION_KINDS,
    can_open,
    can_see,
    can_see_cycle,
    offers_schools,
    participations,
    receiver_id,
    rollup_row,
    sorted_rows,
    visible_cycles,
)
from web.uploads import ACCEPT, human_size, size_cap


def _overview(cycles: list[Tt124Cycle], cycle: Tt124Cycle | None) -> dict:
    rows = sorted_rows(participations([cycle.id])) if cycle else []
    data = [rollup_row(p) for p in rows]
    same_office = [c.id for c in cycles if cycle and c.receiver_id == cycle.receiver_id]
    by_year = [rollup_row(p) for p in participations(same_office)]
    return {"rows": rows, "by_ward": rollup(data, "ward"), "by_level": rollup(data, "level")} | {
        "by_year": rollup(by_year, "year"),
        "cal": calendar(cycle.year) if cycle else None,
    }


@bp.route("/tt124")
@login_required
def index():
    cycles = visible_cycles()
    home = receiver_id()
    may_open = offers_schools(home) and can_open(home)
    if not cycles and not may_open and current_user.org.kind == "school":
        return redirect(url_for("tt124.mine"))
    cycle = next((c for c in cycles if str(c.id) == request.args.get("cycle")), cycles[0] if cycles else None)
    return render_template(
        "tt124/index.html",
        cycles=cycles,
        cycle=cycle,
        statuses=STATUSES,
        can_open=may_open,
        next_year=clock.today().year,
        **_overview(cycles, cycle),
    )


@bp.route("/tt124/cycles/<int:cycle_id>/rollups.json")
@login_required
def rollups_json(cycle_id: int):
    cycle = db.session.get(Tt124Cycle, cycle_id)
    if cycle is None or not can_see_cycle(cycle):
        abort(404)
    data = [rollup_row(p) for p in sorted_rows(participations([cycle.id]))]
    window = {"id": cycle.id, "year": cycle.year, "start": cycle.start.isoformat(), "end": cycle.end.isoformat()}
    return jsonify(
        {"cycle": window, "schools": data, "by_ward": rollup(data, "ward"), "by_level": rollup(data, "level")}
    )


@bp.route("/tt124/open", methods=["POST"])
@login_required
def open_cycle():
    year, home = request.form.get("year", type=db_int), receiver_id()
    if home is None or not can_open(home):
        abort(403)
    if not year or not openable_year(year, clock.today()):
        flash(_("Năm không hợp lệ."), "error")
        return redirect(url_for("tt124.index")), 303
    try:
        cycle_id = tt124_services.open_cycle(cascade(), store(), current_actor(), home, year)
    except NotAllowedError:
        abort(403)
    except EngineError as exc:
        flash(_("Không mở được năm đánh giá: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("tt124.index")), 303
    deliver_pending()
    flash(_("Đã mở năm đánh giá %(year)s; các trường thuộc diện đã nhận nhiệm vụ đăng ký.", year=year), "success")
    return redirect(url_for("tt124.index", cycle=cycle_id)), 303


def render_school(p: Tt124Participation, upload_errors: dict[int, str] | None = None):
    """A school's year: registration, evidence and attachments, checklist, meeting, dossier, decision files."""
    return render_template(
        "tt124/school.html",
        p=p,
        cal=calendar(p.cycle.year),
        criteria=CRITERIA,
        statuses=STATUSES,
        disqualifiers=DISQUALIFIERS,
        evidence_by={n: [e for e in p.evidence if e.criterion == n] for n in CRITERIA},
        dossier_files=[f for f in p.files if f.kind not in DECISION_KINDS],
        decision_files=[f for f in p.files if f.kind in DECISION_KINDS],
        can_attach=p.status in EVIDENCE_OPEN_STATUSES and can_attach_tt124_evidence(current_actor(), p.school_id),
        upload_errors=upload_errors or {},
        accept=ACCEPT,
        max_size=human_size(size_cap()),
        max_files=MAX_FILES_PER_EVIDENCE,
    )


@bp.route("/tt124/schools/<int:participation_id>")
@login_required
def school(participation_id: int):
    p = db.session.get(Tt124Participation, participation_id)
    if p is None or not can_see(p):
        abort(404)
    return render_school(p)


@bp.route("/tt124/mine")
@login_required
def mine():
    rows = db.session.scalars(
        select(Tt124Participation)
        .where(Tt124Participation.school_id == current_user.org_id)
        .options(joinedload(Tt124Participation.cycle))
        .order_by(Tt124Participation.id.desc())
    ).all()
    if len(rows) == 1:
        return redirect(url_for("tt124.school", participation_id=rows[0].id))
    return render_template("tt124/mine.html", rows=rows, statuses=STATUSES)
