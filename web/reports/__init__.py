"""Periodic reports: the office's dashboard (schools × periods, on-time rates, indicator trends), a period's
page, one school's report with its extension request, opening a period, and the holiday calendar."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.documents.nd30 import parse_date
from engine.reporting.rules import FREQUENCIES
from models import db
from models.org import Organisation
from models.report import Holiday, ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission
from web.deps import cascade, current_actor, store
from web.inbox import deliver_pending

bp = Blueprint("reports", __name__, template_folder="templates")
OFFICE_ROLES = {"specialist", "leader", "deputy", "clerk"}
TREND_FIELDS = ("b_sessions", "b_participants_students", "d_fights", "d_traffic_violations", "d_school_violence")


def cell_status(s: ReportSubmission, today: date) -> str:
    """on_time | late | returned | extended | pending | missing — what a dashboard cell shows."""
    if s.status == "accepted":
        return "on_time" if s.on_time else "late"
    if s.status == "returned":
        return "returned"
    if s.extended_until and today <= s.extended_until:
        return "extended"
    if today > (s.extended_until or s.due):
        return "missing"
    return "pending"


def _receiver_regimes():
    actor = current_actor()
    if not actor.roles & OFFICE_ROLES and not actor.is_admin:
        return []
    return db.session.scalars(
        select(ReportingRegime).where(ReportingRegime.receiver_id.in_(actor.org_scope)).order_by(ReportingRegime.id)
    ).all()


@bp.route("/reports")
@login_required
def dashboard():
    regimes = _receiver_regimes()
    if not regimes:
        if current_user.org.kind == "school":
            return redirect(url_for("reports.my_reports"))
        abort(403)
    regime = next((r for r in regimes if str(r.id) == request.args.get("regime")), regimes[0])
    periods = db.session.scalars(
        select(ReportPeriod).where(ReportPeriod.regime_id == regime.id).order_by(ReportPeriod.start)
    ).all()
    subs = db.session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.period_id.in_([p.id for p in periods]))
        .options(joinedload(ReportSubmission.school))
    ).all()
    today = clock.today()
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    matrix: dict[int, dict[int, ReportSubmission]] = {}
    for s in subs:
        matrix.setdefault(s.school_id, {})[s.period_id] = s
    schools = sorted((orgs[i] for i in matrix), key=lambda o: (o.school_level or "", o.name))

    def rate(items):
        closed = [s for s in items if cell_status(s, today) in ("on_time", "late", "missing")]
        return round(100 * sum(cell_status(s, today) == "on_time" for s in closed) / len(closed)) if closed else None

    by_school = {o.id: rate(matrix[o.id].values()) for o in schools}
    by_ward: dict[str, list] = {}
    by_level: dict[str, list] = {}
    for s in subs:
        school = orgs[s.school_id]
        by_ward.setdefault(orgs[school.ward_id].name if school.ward_id else "—", []).append(s)
        by_level.setdefault(school.school_level or "—", []).append(s)
    compilations = {
        c.period_id: c
        for c in db.session.scalars(
            select(ReportCompilation).where(ReportCompilation.period_id.in_([p.id for p in periods]))
        )
    }
    trends = []
    for field in TREND_FIELDS:
        values = [
            (
                p.label,
                sum(int(s.values.get(field) or 0) for s in subs if s.period_id == p.id and s.status == "accepted"),
            )
            for p in periods
        ]
        top = max([v for _, v in values] + [1])
        trends.append((field, [(label, v, round(100 * v / top)) for label, v in values]))
    labels = _field_labels()
    return render_template(
        "reports/dashboard.html",
        regimes=regimes,
        regime=regime,
        periods=periods,
        schools=schools,
        matrix=matrix,
        today=today,
        cell_status=cell_status,
        by_school=by_school,
        by_ward={k: rate(v) for k, v in sorted(by_ward.items())},
        by_level={k: rate(v) for k, v in sorted(by_level.items())},
        trends=trends,
        labels=labels,
        compilations=compilations,
        frequencies=FREQUENCIES,
        orgs=orgs,
    )


def _field_labels() -> dict[str, str]:
    from engine.core.forms import form_fields

    definition = store().latest_definition("school_report")
    if definition is None:
        return {}
    spec, subs = cascade().runtime.specs(definition)
    for process in [spec, *subs.values()]:
        task = process.task_specs.get("fill_report")
        if task is not None:
            return {f.id: f.label for f in form_fields(task)}
    return {}


@bp.route("/reports/open", methods=["POST"])
@login_required
def open_period():
    regime_id = request.form.get("regime", type=int)
    year, index = request.form.get("year", type=int), request.form.get("index", type=int) or 1
    if regime_id not in {r.id for r in _receiver_regimes()} or not year:
        abort(403 if regime_id else 400)
    s = store()
    try:
        period_id = cascade().open_period(s, current_actor(), regime_id, year, index)
    except NotAllowedError:
        s.rollback()
        abort(403)
    except (EngineError, ValueError) as exc:
        s.rollback()
        flash(_("Không mở được kỳ báo cáo: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("reports.dashboard", regime=regime_id)), 303
    except Exception:  # the same period twice: the unique constraint refuses it
        s.rollback()
        flash(_("Kỳ báo cáo này đã được mở."), "warning")
        return redirect(url_for("reports.dashboard", regime=regime_id)), 303
    deliver_pending()
    flash(_("Đã mở kỳ báo cáo; các trường đã nhận nhiệm vụ."), "success")
    return redirect(url_for("reports.period", period_id=period_id)), 303


def _period_visible(period: ReportPeriod) -> bool:
    actor = current_actor()
    return actor.is_admin or period.regime.receiver_id in actor.org_scope


@bp.route("/reports/periods/<int:period_id>")
@login_required
def period(period_id: int):
    row = db.session.get(ReportPeriod, period_id)
    if row is None:
        abort(404)
    if not _period_visible(row):
        own = db.session.scalars(
            select(ReportSubmission).where(
                ReportSubmission.period_id == period_id, ReportSubmission.school_id == current_user.org_id
            )
        ).first()
        if own is None:
            abort(404)
        return redirect(url_for("reports.submission", submission_id=own.id))
    subs = db.session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.period_id == period_id)
        .options(joinedload(ReportSubmission.school))
        .order_by(ReportSubmission.id)
    ).all()
    compilation = db.session.scalars(select(ReportCompilation).where(ReportCompilation.period_id == period_id)).first()
    return render_template(
        "reports/period.html",
        period=row,
        subs=subs,
        compilation=compilation,
        today=clock.today(),
        cell_status=cell_status,
    )


def _submission_visible(s: ReportSubmission) -> bool:
    actor = current_actor()
    return s.school_id in actor.org_scope or _period_visible(s.period)


@bp.route("/reports/submissions/<int:submission_id>", methods=["GET", "POST"])
@login_required
def submission(submission_id: int):
    row = db.session.get(ReportSubmission, submission_id)
    if row is None or not _submission_visible(row):
        abort(404)
    errors = {}
    if request.method == "POST":
        if row.school_id not in current_actor().org_scope:
            abort(403)
        try:
            until = parse_date(request.form.get("until", ""))
        except ValueError:
            until = None
        reason = (request.form.get("reason") or "").strip()
        if until is None or until <= (row.extended_until or row.due):
            errors["until"] = _("Hạn mới phải là một ngày (dd/mm/yyyy) sau hạn hiện tại.")
        if not reason:
            errors["reason"] = _("Vui lòng nêu lý do.")
        if not errors:
            s = store()
            try:
                cascade().request_extension(s, current_actor(), row.period_id, until, reason)
            except (NotAllowedError, EngineError) as exc:
                s.rollback()
                flash(_("Không gửi được đề nghị gia hạn: %(reason)s", reason=str(exc)), "error")
            else:
                flash(_("Đã gửi đề nghị gia hạn đến Phòng GDĐT."), "success")
                return redirect(url_for("reports.submission", submission_id=row.id)), 303
    return render_template(
        "reports/submission.html",
        s=row,
        labels=_field_labels(),
        errors=errors,
        today=clock.today(),
        cell_status=cell_status,
        can_request=row.school_id in current_actor().org_scope
        and row.status != "accepted"
        and row.extended_until is None
        and not row.extension_refused,
    ), (422 if errors else 200)


@bp.route("/reports/mine")
@login_required
def my_reports():
    rows = db.session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.school_id == current_user.org_id)
        .options(joinedload(ReportSubmission.period))
        .order_by(ReportSubmission.id.desc())
    ).all()
    return render_template("reports/mine.html", rows=rows, today=clock.today(), cell_status=cell_status)


@bp.route("/reports/holidays", methods=["GET", "POST"])
@login_required
def holidays():
    if not current_actor().is_admin:
        abort(403)
    error = None
    if request.method == "POST":
        if request.form.get("delete"):
            try:
                row = db.session.get(Holiday, parse_date(request.form["delete"]))
            except ValueError:
                row = None
            if row is not None:
                db.session.delete(row)
                db.session.commit()
        else:
            try:
                day = parse_date(request.form.get("day", ""))
                name = (request.form.get("name") or "").strip()[:200]
                if not name:
                    raise ValueError
                if db.session.get(Holiday, day) is None:
                    db.session.add(Holiday(day=day, name=name))
                    db.session.commit()
            except ValueError:
                error = _("Nhập ngày dd/mm/yyyy và tên ngày nghỉ.")
        if not error:
            return redirect(url_for("reports.holidays")), 303
    rows = db.session.scalars(select(Holiday).order_by(Holiday.day)).all()
    return render_template("reports/holidays.html", rows=rows, error=error), (422 if error else 200)


@bp.app_context_processor
def nav():
    return {"sees_reports": getattr(current_user, "is_authenticated", False)}
