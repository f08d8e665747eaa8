"""Incidents: raise one in two clicks, its page (details by who may see them), attachments, the office's
board; and the notification centre."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.core.access import incident_access
from engine.core.clock import VN_TZ
from engine.core.errors import FormValidationError
from engine.incidents import services as incident_services
from engine.incidents.rules import ACTIONS, CATEGORIES, LOCATIONS, ROLES_INVOLVED, SERIOUS, SEVERITIES, UPDATE_KINDS
from models.commands import notifications as notification_commands
from models.incident import Incident
from web.deps import current_actor, store
from web.errors import form_errors
from web.inbox import deliver_pending
from web.incidents import reads
from web.locale import lang
from web.uploads import UploadError, human_size, read_uploads, size_cap

bp = Blueprint("incidents", __name__, template_folder="templates")

PEOPLE_ROWS = 4
TABLES = {
    "categories": CATEGORIES,
    "severities": SEVERITIES,
    "locations": LOCATIONS,
    "actions": ACTIONS,
    "roles": ROLES_INVOLVED,
}


def label(table: dict, code: str) -> str:
    vi, en = table.get(code, (code, code))
    return en if lang() == "en" else vi


@bp.app_context_processor
def header_counts():
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return {"unread_notifications": reads.unread_count(current_user.id), "at_school": current_user.org.kind == "school"}


def _school_only() -> None:
    if current_user.org.kind != "school":
        abort(403)


def _form_page(values: dict, errors: dict):
    return render_template(
        "incidents/new.html",
        errors=errors,
        values=values,
        people_rows=range(PEOPLE_ROWS),
        label=label,
        now=g.now.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M"),
        **TABLES,
    ), (422 if errors else 200)


def _submitted(values: dict) -> dict:
    people = [
        {k: request.form.get(f"person_{k}_{i}", "") for k in ("class", "role", "name")} for i in range(PEOPLE_ROWS)
    ]
    return dict(values, actions=request.form.getlist("actions"), people=people)


def _refused(values: dict, errors: dict):
    flash(_("Biểu mẫu có lỗi, vui lòng kiểm tra các trường được đánh dấu."), "error")
    return _form_page(values, errors)


@bp.route("/incidents/new")
@login_required
def new():
    _school_only()
    return _form_page({}, {})


@bp.route("/incidents/new", methods=["POST"])
@login_required
def raise_new():
    actor = current_actor()
    _school_only()
    values = request.form.to_dict()
    try:
        files = read_uploads(request.files.getlist("attachments"))
    except UploadError:
        limit = human_size(size_cap())
        return _refused(
            values,
            {"attachments": _("Tệp đính kèm phải là ảnh, PDF, Word hoặc văn bản, tối đa %(limit)s.", limit=limit)},
        )
    s, data = store(), _submitted(values)
    try:
        incident_id = incident_services.raise_incident(s, actor, data, files)
    except FormValidationError as exc:  # the form again, with each field's message and what was typed
        return _refused(values, form_errors(exc))
    deliver_pending()
    flash(_("Đã ghi nhận sự việc và thông báo theo quy trình."), "success")
    return redirect(url_for("incidents.show", incident_id=incident_id)), 303


def _orgs_by_id():
    return {o.id: o for o in store().orgs()}


def _load(incident_id: int) -> tuple[Incident, str]:
    incident = reads.incident(incident_id)
    if incident is None:
        abort(404)
    orgs = _orgs_by_id()
    access = incident_access(current_actor(), incident, orgs[incident.school_id], orgs)
    if access not in ("full", "no_names"):
        abort(404)  # counts-only viewers see the board, never a case
    return incident, access


@bp.route("/incidents/<int:incident_id>")
@login_required
def show(incident_id: int):
    incident, access = _load(incident_id)
    return render_template(
        "incidents/show.html",
        incident=incident,
        access=access,
        tasks=reads.tasks_of(incident),
        label=label,
        involved=reads.involved(incident),
        update_kinds=UPDATE_KINDS,
        **TABLES,
    )


@bp.route("/incidents/<int:incident_id>/attachments/<int:attachment_id>")
@login_required
def attachment(incident_id: int, attachment_id: int):
    incident, access = _load(incident_id)
    row = reads.attachment(incident, attachment_id) if access == "full" else None
    if row is None:
        abort(404)
    disposition = f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(row.data, mimetype=row.content_type, headers=headers)


@bp.route("/incidents")
@login_required
def board():
    """Open incidents by severity and age for those handling them; counts for the organisations above."""
    orgs = _orgs_by_id()
    filters = {k: request.args.get(k, "") for k in ("ward", "level", "category", "status")}
    return render_template(
        "incidents/board.html",
        filters=filters,
        wards=sorted({o for o in orgs.values() if o.kind == "ward"}, key=lambda o: o.name),
        categories=CATEGORIES,
        severities=SEVERITIES,
        label=label,
        serious=SERIOUS,
        levels=("MN", "TH", "THCS", "TH&THCS"),
        **reads.board(current_actor(), orgs, filters, g.now),
    )


@bp.route("/notifications")
@login_required
def notifications():
    return render_template("incidents/notifications.html", rows=reads.notifications(current_user.id))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    row = notification_commands.mark_read(current_user.id, notification_id, g.now)
    if row is None:
        abort(404)
    if row.url and request.form.get("open"):
        return redirect(row.url), 303
    return redirect(url_for("incidents.notifications")), 303


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    notification_commands.mark_all_read(current_user.id, g.now)
    return redirect(url_for("incidents.notifications")), 303
