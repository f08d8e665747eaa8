"""Incidents: raise one in two clicks, its page (details by who may see them), attachments, the office's
board; and the notification centre."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engine.core.access import incident_access
from engine.core.clock import VN_TZ
from engine.core.errors import FormValidationError, NotAllowedError
from engine.core.forms import message as field_message
from engine.incidents.rules import ACTIONS, CATEGORIES, LOCATIONS, ROLES_INVOLVED, SERIOUS, SEVERITIES, UPDATE_KINDS
from models import db
from models.incident import Incident, IncidentAttachment, Notification
from models.org import Organisation
from models.workflow import HumanTask
from web.deps import cascade, current_actor, store
from web.inbox import deliver_pending
from web.locale import lang
from web.uploads import UploadError, human_size, read_uploads, size_cap

bp = Blueprint("incidents", __name__, template_folder="templates")

PEOPLE_ROWS = 4


def label(table: dict, code: str) -> str:
    vi, en = table.get(code, (code, code))
    return en if lang() == "en" else vi


@bp.app_context_processor
def header_counts():
    if not getattr(current_user, "is_authenticated", False):
        return {}
    unread = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    )
    return {"unread_notifications": unread, "at_school": current_user.org.kind == "school"}


@bp.route("/incidents/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    if current_user.org.kind != "school":
        abort(403)
    errors, values = {}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        data = dict(
            values,
            actions=request.form.getlist("actions"),
            people=[
                {
                    "class": request.form.get(f"person_class_{i}", ""),
                    "role": request.form.get(f"person_role_{i}", ""),
                    "name": request.form.get(f"person_name_{i}", ""),
                }
                for i in range(PEOPLE_ROWS)
            ],
        )
        files = []
        try:
            files = read_uploads(request.files.getlist("attachments"))
        except UploadError:
            errors["attachments"] = _(
                "Tệp đính kèm phải là ảnh, PDF, Word hoặc văn bản, tối đa %(limit)s.", limit=human_size(size_cap())
            )
        if not errors:
            s = store()
            try:
                incident_id = cascade().raise_incident(s, actor, data, files)
            except FormValidationError as exc:
                s.rollback()
                errors = {k: field_message(v, lang()) for k, v in exc.errors.items()}
            except NotAllowedError:
                s.rollback()
                abort(403)
            else:
                deliver_pending()
                flash(_("Đã ghi nhận sự việc và thông báo theo quy trình."), "success")
                return redirect(url_for("incidents.show", incident_id=incident_id)), 303
        flash(_("Biểu mẫu có lỗi, vui lòng kiểm tra các trường được đánh dấu."), "error")
    return render_template(
        "incidents/new.html",
        errors=errors,
        values=values,
        categories=CATEGORIES,
        severities=SEVERITIES,
        locations=LOCATIONS,
        actions=ACTIONS,
        roles=ROLES_INVOLVED,
        people_rows=range(PEOPLE_ROWS),
        label=label,
        now=g.now.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M"),
    ), (422 if errors else 200)


def _orgs_by_id():
    return {o.id: o for o in store().orgs()}


def _load(incident_id: int) -> tuple[Incident, str]:
    incident = db.session.get(Incident, incident_id)
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
    tasks = []
    if incident.instance_id:
        tasks = db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == incident.instance_id)
            .order_by(HumanTask.created_at, HumanTask.id)
        ).all()
    involved = [db.session.get(Organisation, o) for o in incident.involved_org_ids or []]
    return render_template(
        "incidents/show.html",
        incident=incident,
        access=access,
        tasks=tasks,
        label=label,
        categories=CATEGORIES,
        severities=SEVERITIES,
        locations=LOCATIONS,
        actions=ACTIONS,
        roles=ROLES_INVOLVED,
        involved=[o for o in involved if o],
        update_kinds=UPDATE_KINDS,
    )


@bp.route("/incidents/<int:incident_id>/attachments/<int:attachment_id>")
@login_required
def attachment(incident_id: int, attachment_id: int):
    incident, access = _load(incident_id)
    if access != "full":
        abort(404)
    row = db.session.get(IncidentAttachment, attachment_id)
    if row is None or row.incident_id != incident.id:
        abort(404)
    return Response(
        row.data,
        mimetype=row.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@bp.route("/incidents")
@login_required
def board():
    """Open incidents by severity and age for those handling them; counts for the organisations above."""
    actor = current_actor()
    orgs = _orgs_by_id()
    filters = {k: request.args.get(k, "") for k in ("ward", "level", "category", "status")}
    stmt = select(Incident).options(joinedload(Incident.school)).order_by(Incident.created_at.desc())
    if filters["category"]:
        stmt = stmt.where(Incident.category == filters["category"])
    status = filters["status"] or "open"
    if status == "open":
        stmt = stmt.where(Incident.status.in_(("open", "acknowledged")))
    elif status != "all":
        stmt = stmt.where(Incident.status == status)
    rows, counts = [], {}
    for incident in db.session.scalars(stmt.limit(2000)):
        school = orgs[incident.school_id]
        if filters["ward"] and str(school.ward_id) != filters["ward"]:
            continue
        if filters["level"] and school.school_level != filters["level"]:
            continue
        access = incident_access(actor, incident, school, orgs)
        if access in ("full", "no_names"):
            rows.append(incident)
        if access is not None:
            key = (incident.category, incident.severity)
            counts[key] = counts.get(key, 0) + 1
    breached = _breaches([i.instance_id for i in rows if i.instance_id])
    rows.sort(key=lambda i: (-list(SEVERITIES).index(i.severity), i.created_at))
    wards = sorted({o for o in orgs.values() if o.kind == "ward"}, key=lambda o: o.name)
    return render_template(
        "incidents/board.html",
        rows=rows,
        counts=counts,
        breached=breached,
        filters=filters,
        wards=wards,
        categories=CATEGORIES,
        severities=SEVERITIES,
        label=label,
        serious=SERIOUS,
        levels=("MN", "TH", "THCS", "TH&THCS"),
    )


def _breaches(instance_ids: list[int]) -> dict[int, list[HumanTask]]:
    """Open tasks past their due time, per incident instance: the SLA breaches."""
    if not instance_ids:
        return {}
    out: dict[int, list[HumanTask]] = {}
    for task in db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open", HumanTask.due_at < g.now
        )
    ):
        out.setdefault(task.instance_id, []).append(task)
    return out


@bp.route("/notifications")
@login_required
def notifications():
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(200)
    ).all()
    return render_template("incidents/notifications.html", rows=rows)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    row.read_at = row.read_at or g.now
    db.session.commit()
    if row.url and request.form.get("open"):
        return redirect(row.url), 303
    return redirect(url_for("incidents.notifications")), 303


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    for row in db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    ):
        row.read_at = g.now
    db.session.commit()
    return redirect(url_for("incidents.notifications")), 303
