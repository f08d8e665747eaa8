"""Periodic reports: the office's dashboard (schools × periods, on-time rates, indicator trends), a period's
page, one school's report with its extension request, opening a period, and the holiday calendar. Reads come
from web.reports.reads; writes go through engine.reporting.services and models.reporting, which commit or roll
back themselves."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.documents.dates import parse_date
from engine.reporting import services as reporting_services
from models import db
from models import reporting as reporting_writes
from models.report import ReportPeriod, ReportSubmission
from web.deps import cascade, current_actor, db_int, store
from web.inbox import deliver_pending
from web.reports import reads

bp = Blueprint("reports", __name__, template_folder="templates")


@bp.route("/reports")
@login_required
def dashboard():
    regimes = reads.receiver_regimes(current_actor())
    if not regimes:
        if current_user.org.kind == "school":
            return redirect(url_for("reports.my_reports"))
        abort(403)
    return render_template("reports/dashboard.html", **reads.dashboard(regimes, request.args.get("regime")))


@bp.route("/reports/open", methods=["POST"])
@login_required
def open_period():
    regime_id = request.form.get("regime", type=db_int)
    year, index = request.form.get("year", type=db_int), request.form.get("index", type=db_int) or 1
    if regime_id not in {r.id for r in reads.receiver_regimes(current_actor())} or not year:
        abort(403 if regime_id else 400)
    back = redirect(url_for("reports.dashboard", regime=regime_id)), 303
    try:  # the service commits, or rolls back and re-raises
        period_id = reporting_services.open_period(cascade(), store(), current_actor(), regime_id, year, index)
    except NotAllowedError:
        abort(403)
    except (EngineError, ValueError) as exc:
        flash(_("Không mở được kỳ báo cáo: %(reason)s", reason=str(exc)), "error")
        return back
    except Exception:  # the same period twice: the unique constraint refuses it
        flash(_("Kỳ báo cáo này đã được mở."), "warning")
        return back
    deliver_pending()
    flash(_("Đã mở kỳ báo cáo; các trường đã nhận nhiệm vụ."), "success")
    return redirect(url_for("reports.period", period_id=period_id)), 303


@bp.route("/reports/periods/<int:period_id>")
@login_required
def period(period_id: int):
    row = db.session.get(ReportPeriod, period_id)
    if row is None:
        abort(404)
    if not reads.period_visible(current_actor(), row):
        own = reads.own_submission(period_id, current_user.org_id)
        if own is None:
            abort(404)
        return redirect(url_for("reports.submission", submission_id=own.id))
    return render_template("reports/period.html", **reads.period_page(row))


@bp.route("/reports/submissions/<int:submission_id>", methods=["GET", "POST"])
@login_required
def submission(submission_id: int):
    row, actor = db.session.get(ReportSubmission, submission_id), current_actor()
    if row is None or not reads.submission_visible(actor, row):
        abort(404)
    errors = {}
    if request.method == "POST":
        if row.school_id not in actor.org_scope:
            abort(403)
        errors = _ask_extension(row)
        if errors is None:
            return redirect(url_for("reports.submission", submission_id=row.id)), 303
    page = reads.submission_page(actor, row, errors)
    return render_template("reports/submission.html", **page), (422 if errors else 200)


def _ask_extension(row: ReportSubmission) -> dict | None:
    """The school's extension request: None when sent, otherwise the form's errors (empty when refused)."""
    messages = {
        "until": _("Hạn mới phải là một ngày (dd/mm/yyyy) sau hạn hiện tại."),
        "reason": _("Vui lòng nêu lý do."),
    }
    until, reason, errors = reads.extension_request(request.form, row, messages)
    if errors:
        return errors
    try:  # the service commits, or rolls back and re-raises
        reporting_services.request_extension(cascade(), store(), current_actor(), row.period_id, until, reason)
    except EngineError as exc:
        flash(_("Không gửi được đề nghị gia hạn: %(reason)s", reason=str(exc)), "error")
        return {}
    flash(_("Đã gửi đề nghị gia hạn đến Phòng GDĐT."), "success")
    return None


@bp.route("/reports/mine")
@login_required
def my_reports():
    rows = reads.my_reports(current_user.org_id)
    return render_template("reports/mine.html", rows=rows, today=clock.today(), cell_status=reads.cell_status)


@bp.route("/reports/holidays", methods=["GET", "POST"])
@login_required
def holidays():
    if not current_actor().is_admin:
        abort(403)
    error = _change_holidays(request.form) if request.method == "POST" else None
    if request.method == "POST" and not error:
        return redirect(url_for("reports.holidays")), 303
    return render_template("reports/holidays.html", rows=reads.holidays(), error=error), (422 if error else 200)


def _change_holidays(form) -> str | None:
    """Add or delete a holiday (the models functions commit); the error to show, if any."""
    try:
        if form.get("delete"):
            reporting_writes.delete_holiday(parse_date(form["delete"]))
            return None
        name = (form.get("name") or "").strip()
        if not name:
            raise ValueError
        reporting_writes.add_holiday(parse_date(form.get("day", "")), name)
    except ValueError:
        return None if form.get("delete") else _("Nhập ngày dd/mm/yyyy và tên ngày nghỉ.")
    return None


@bp.app_context_processor
def nav():
    return {"sees_reports": getattr(current_user, "is_authenticated", False)}
