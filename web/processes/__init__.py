"""Start a process at my organisation, and an instance's page with its history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core.access import can_see_instance, can_start
from engine.core.errors import NotAllowedError, UnknownProcessError
from models import db
from models.document import Document
from models.store import instance_record
from models.workflow import ProcessInstance
from web import queries
from web.deps import cascade, current_actor, store
from web.inbox import deliver_pending

bp = Blueprint("processes", __name__, template_folder="templates")


def startable(actor):
    """Processes this actor may start at their organisation (from each start event's `orgKinds`)."""
    from engine.core.cascade import home_org, manually_startable, org_kinds

    s = store()
    if actor.org_id is None:
        return []
    org = s.org(home_org(s, actor))
    return [d for d in s.latest_definitions() if manually_startable(d) and can_start(actor, org.kind, org_kinds(d))]


@bp.route("/processes/start", methods=["GET", "POST"])
@login_required
def start():
    actor = current_actor()
    definitions = startable(actor)
    if request.method == "POST":
        key = request.form.get("process_key", "")
        if key not in {d.process_key for d in definitions}:
            abort(403)
        s = store()
        try:
            instance_id = cascade().start_process(s, actor, key, {})
        except (NotAllowedError, UnknownProcessError):
            s.rollback()
            abort(403)
        deliver_pending()
        flash(_("Đã khởi tạo quy trình."), "success")
        return redirect(url_for("processes.instance", instance_id=instance_id)), 303
    return render_template("processes/start.html", definitions=definitions)


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int):
    row = db.session.get(ProcessInstance, instance_id)
    if row is None or not can_see_instance(current_actor(), instance_record(row)):
        abort(404)
    directive = db.session.get(Document, row.directive_id) if row.directive_id else None
    issued = db.session.scalars(db.select(Document).where(Document.issuing_instance_id == row.id)).all()
    return render_template(
        "processes/instance.html",
        instance=row,
        directive=directive,
        issued=issued,
        tasks=queries.instance_tasks(row.id),
        history=queries.instance_history(row.id),
    )
