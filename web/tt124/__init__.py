"""Circular 124 ("An toàn về an ninh, trật tự"): the year's overview with roll-ups per ward, level and year,
one school's year (registration, evidence and the files attached to it, checklist, meeting, dossier files,
decision), opening a year, and the administrator's eligibility page. Who sees what: `engine/core/access.py`."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.access import can_attach_tt124_evidence, can_see_tt124_dossier, can_see_tt124_year
from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.core.orgs import resolve_scope
from engine.tt124.rules import (
    CRITERIA,
    DISQUALIFIERS,
    EVIDENCE_OPEN_STATUSES,
    MAX_FILES_PER_EVIDENCE,
    STATUSES,
    calendar,
    eligibility,
    openable_year,
    rollup,
)
from models import db
from models.org import Organisation
from models.tt124 import Tt124Cycle, Tt124Evidence, Tt124File, Tt124Override, Tt124Participation
from web.deps import cascade, current_actor, store
from web.inbox import deliver_pending
from web.uploads import ACCEPT, DOCX, UploadError, human_size, read_uploads, size_cap

bp = Blueprint("tt124", __name__, template_folder="templates")
OPENER_ROLES = {"specialist", "leader", "deputy"}
LEVEL_ORDER = ("MN", "TH", "TH&THCS", "THCS", "THPT")


def _city_bodies(receiver_id: int) -> set[int]:
    """The city police (appraisal) and UBND TP (decision) for the receiver's schools."""
    s = store()
    receiver, orgs = s.org(receiver_id), s.orgs()
    return {i for i in (resolve_scope(k, receiver, orgs) for k in ("city_police", "city_committee")) if i}


def _can_see_cycle(cycle: Tt124Cycle) -> bool:
    return can_see_tt124_year(current_actor(), cycle.receiver_id, _city_bodies(cycle.receiver_id))


def _can_see(p: Tt124Participation) -> bool:
    """The school's page, its evidence and their attachments, its dossier files: one rule for all of them."""
    s = store()
    ward_police = resolve_scope("ward_police", s.org(p.school_id), s.orgs())
    receiver_id = p.cycle.receiver_id
    return can_see_tt124_dossier(current_actor(), p.school_id, receiver_id, _city_bodies(receiver_id), ward_police)


def _visible_cycles() -> list[Tt124Cycle]:
    cycles = db.session.scalars(select(Tt124Cycle).order_by(Tt124Cycle.year.desc(), Tt124Cycle.id)).all()
    return [c for c in cycles if _can_see_cycle(c)]


def _participations(cycle_ids: list[int]) -> list[Tt124Participation]:
    return db.session.scalars(
        select(Tt124Participation)
        .where(Tt124Participation.cycle_id.in_(cycle_ids))
        .options(
            joinedload(Tt124Participation.school).joinedload(Organisation.ward), joinedload(Tt124Participation.cycle)
        )
    ).all()


def rollup_row(p: Tt124Participation) -> dict:
    school = p.school
    return {
        "school": school.name,
        "ward": school.ward.name if school.ward else "—",
        "level": school.school_level or "—",
        "year": p.cycle.year,
        "eligible": p.eligible,
        "registered": p.registered_at is not None,
        "registered_on_time": bool(p.registered_on_time),
        "recognised": p.status == "recognised",
        "status": p.status,
    }


def _level_rank(level: str | None) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def _sorted(rows: list[Tt124Participation]) -> list[Tt124Participation]:
    return sorted(rows, key=lambda p: (not p.eligible, _level_rank(p.school.school_level), p.school.name))


def _can_open(receiver_id: int | None = None) -> bool:
    actor = current_actor()
    if actor.is_admin:
        return True
    return bool(actor.roles & OPENER_ROLES) and (receiver_id is None or receiver_id in actor.org_scope)


def _receiver_id() -> int | None:
    actor = current_actor()
    org = db.session.get(Organisation, actor.org_id) if actor.org_id else None
    if org is None:
        return None
    return org.parent_id if org.kind == "section" else org.id


@bp.route("/tt124")
@login_required
def index():
    cycles = _visible_cycles()
    home = _receiver_id()
    home_offers_schools = home is not None and db.session.scalar(
        select(Organisation.id).where(Organisation.parent_id == home, Organisation.kind == "school").limit(1)
    )
    can_open = bool(home_offers_schools) and _can_open(home)
    if not cycles and not can_open and current_user.org.kind == "school":
        return redirect(url_for("tt124.mine"))
    cycle = next((c for c in cycles if str(c.id) == request.args.get("cycle")), cycles[0] if cycles else None)
    rows = _sorted(_participations([cycle.id])) if cycle else []
    data = [rollup_row(p) for p in rows]
    same_office = [c.id for c in cycles if cycle and c.receiver_id == cycle.receiver_id]
    by_year_rows = [rollup_row(p) for p in _participations(same_office)]
    return render_template(
        "tt124/index.html",
        cycles=cycles,
        cycle=cycle,
        rows=rows,
        by_ward=rollup(data, "ward"),
        by_level=rollup(data, "level"),
        by_year=rollup(by_year_rows, "year"),
        statuses=STATUSES,
        can_open=can_open,
        next_year=clock.today().year,
        cal=calendar(cycle.year) if cycle else None,
    )


@bp.route("/tt124/cycles/<int:cycle_id>/rollups.json")
@login_required
def rollups_json(cycle_id: int):
    cycle = db.session.get(Tt124Cycle, cycle_id)
    if cycle is None or not _can_see_cycle(cycle):
        abort(404)
    data = [rollup_row(p) for p in _sorted(_participations([cycle.id]))]
    return jsonify(
        {
            "cycle": {
                "id": cycle.id,
                "year": cycle.year,
                "start": cycle.start.isoformat(),
                "end": cycle.end.isoformat(),
            },
            "schools": data,
            "by_ward": rollup(data, "ward"),
            "by_level": rollup(data, "level"),
        }
    )


@bp.route("/tt124/open", methods=["POST"])
@login_required
def open_cycle():
    year = request.form.get("year", type=int)
    home = _receiver_id()
    if home is None or not _can_open(home):
        abort(403)
    if not year or not openable_year(year, clock.today()):
        flash(_("Năm không hợp lệ."), "error")
        return redirect(url_for("tt124.index")), 303
    s = store()
    try:
        cycle_id = cascade().open_tt124_cycle(s, current_actor(), home, year)
    except NotAllowedError:
        s.rollback()
        abort(403)
    except EngineError as exc:
        s.rollback()
        flash(_("Không mở được năm đánh giá: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("tt124.index")), 303
    except Exception:  # the same year twice: the unique constraint refuses it
        s.rollback()
        flash(_("Năm đánh giá này đã được mở."), "warning")
        return redirect(url_for("tt124.index")), 303
    deliver_pending()
    flash(_("Đã mở năm đánh giá %(year)s; các trường thuộc diện đã nhận nhiệm vụ đăng ký.", year=year), "success")
    return redirect(url_for("tt124.index", cycle=cycle_id)), 303


def _render_school(p: Tt124Participation, upload_errors: dict[int, str] | None = None):
    return render_template(
        "tt124/school.html",
        p=p,
        cal=calendar(p.cycle.year),
        criteria=CRITERIA,
        statuses=STATUSES,
        disqualifiers=DISQUALIFIERS,
        evidence_by={n: [e for e in p.evidence if e.criterion == n] for n in CRITERIA},
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
    if p is None or not _can_see(p):
        abort(404)
    return _render_school(p)


def _send(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/tt124/files/<int:file_id>")
@login_required
def file(file_id: int):
    """A Word file of the recognition dossier (evidence attachments have their own route, with their type)."""
    row = db.session.get(Tt124File, file_id)
    if row is None or row.evidence_id is not None:
        abort(404)
    p = db.session.get(Tt124Participation, row.participation_id)
    if p is None or not _can_see(p):
        abort(404)
    return _send(row.data, DOCX, row.filename)


def _upload_error(exc: UploadError) -> str:
    if exc.reason == "too_big":
        return _(
            "Tệp “%(name)s” vượt quá dung lượng cho phép (tối đa %(limit)s).",
            name=exc.filename,
            limit=human_size(size_cap()),
        )
    if exc.reason == "empty":
        return _("Tệp “%(name)s” không có nội dung.", name=exc.filename)
    return _(
        "Tệp “%(name)s” không thuộc loại được phép: chỉ nhận ảnh (JPEG, PNG, WebP), PDF, Word hoặc văn bản (.txt).",
        name=exc.filename,
    )


@bp.route("/tt124/evidence/<int:evidence_id>/files", methods=["POST"])
@login_required
def attach_evidence_files(evidence_id: int):
    """The school attaches files (minutes, photos, PDFs) to one piece of its evidence; all or none are kept."""
    evidence = db.session.get(Tt124Evidence, evidence_id)
    p = db.session.get(Tt124Participation, evidence.participation_id) if evidence else None
    if p is None or not _can_see(p):
        abort(404)
    actor = current_actor()
    if not can_attach_tt124_evidence(actor, p.school_id):
        abort(403)
    status, error, files = 422, None, []
    if p.status not in EVIDENCE_OPEN_STATUSES:
        status, error = 409, _("Hồ sơ đề nghị công nhận đã gửi; không thể đính kèm thêm tệp vào minh chứng.")
    else:
        try:
            files = read_uploads(request.files.getlist("files"))
        except UploadError as exc:
            status, error = (413 if exc.reason == "too_big" else 422), _upload_error(exc)
        else:
            if not files:
                error = _("Vui lòng chọn ít nhất một tệp để đính kèm.")
            elif len(evidence.attachments) + len(files) > MAX_FILES_PER_EVIDENCE:
                error = _("Mỗi minh chứng có tối đa %(n)s tệp đính kèm.", n=MAX_FILES_PER_EVIDENCE)
    if error is None:
        s = store()
        try:
            cascade().attach_tt124_evidence_files(s, actor, evidence.id, list(files))
        except NotAllowedError:
            s.rollback()
            abort(403)
        except EngineError as exc:
            s.rollback()
            error = _("Không đính kèm được tệp: %(reason)s", reason=str(exc))
        else:
            flash(_("Đã đính kèm %(n)s tệp vào minh chứng.", n=len(files)), "success")
            anchor = f"#evidence-{evidence.id}"
            return redirect(url_for("tt124.school", participation_id=p.id) + anchor), 303
    flash(_("Chưa đính kèm được tệp nào; xem thông báo tại minh chứng."), "error")
    return _render_school(p, {evidence.id: error}), status


@bp.route("/tt124/evidence/<int:evidence_id>/files/<int:file_id>")
@login_required
def evidence_file(evidence_id: int, file_id: int):
    """A file attached to evidence, for those who may see the school's dossier; sent as an attachment with the
    type recognised at upload, never rendered inline."""
    row = db.session.get(Tt124File, file_id)
    if row is None or row.evidence_id != evidence_id:
        abort(404)
    p = db.session.get(Tt124Participation, row.participation_id)
    if p is None or not _can_see(p):
        abort(404)
    return _send(row.data, row.content_type or "application/octet-stream", row.filename)


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


@bp.route("/tt124/eligibility", methods=["GET", "POST"])
@login_required
def eligibility_page():
    actor = current_actor()
    if not actor.is_admin:
        abort(403)
    errors: dict[int, str] = {}
    if request.method == "POST":
        school_id = request.form.get("school", type=int)
        choice = request.form.get("eligible", "")
        reason = (request.form.get("reason") or "").strip()
        target = db.session.get(Organisation, school_id) if school_id else None
        if target is None or target.kind != "school" or choice not in ("level", "yes", "no"):
            abort(400)
        if choice != "level" and not reason:
            errors[target.id] = _("Vui lòng nêu lý do.")
        else:
            s = store()
            try:
                cascade().set_tt124_eligibility(
                    s, actor, target.id, None if choice == "level" else choice == "yes", reason
                )
            except (NotAllowedError, EngineError) as exc:
                s.rollback()
                errors[target.id] = str(exc)
            else:
                flash(_("Đã lưu phạm vi áp dụng của %(school)s.", school=target.name), "success")
                return redirect(url_for("tt124.eligibility_page") + f"#s{target.id}"), 303
    schools = db.session.scalars(
        select(Organisation).where(Organisation.kind == "school").options(joinedload(Organisation.parent))
    ).all()
    overrides = {
        o.school_id: o for o in db.session.scalars(select(Tt124Override).options(joinedload(Tt124Override.set_by)))
    }
    rows = []
    for o in sorted(schools, key=lambda o: (_level_rank(o.school_level), o.name)):
        override = overrides.get(o.id)
        effective = eligibility(o.school_level, (override.eligible, override.reason) if override else None)
        rows.append((o, eligibility(o.school_level), override, effective))
    return render_template("tt124/eligibility.html", rows=rows, errors=errors), (422 if errors else 200)
