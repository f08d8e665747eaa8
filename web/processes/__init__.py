"""Start a process at my organisation, and an instance's page with its history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core.access import can_start
from engine.core.cascade import home_org, manually_startable, org_kinds
from web import queries
from web.deps import cascade, current_actor, store
from web.inbox import deliver_pending
from web.ops.reads import open_failures_of

bp = Blueprint("processes", __name__, template_folder="templates")


def startable(actor):
    """Processes this actor may start at their organisation (from each start event's `orgKinds`)."""
    s = store()
    if actor.org_id is None:
        return []
    org = s.org(home_org(s, actor))
    return [d for d in s.latest_definitions() if manually_startable(d) and can_start(actor, org.kind, org_kinds(d))]


@bp.route("/processes/start")
@login_required
def start():
    return render_template("processes/start.html", definitions=startable(current_actor()))


@bp.route("/processes/start", methods=["POST"])
@login_required
def start_process():
    actor = current_actor()
    key = request.form.get("process_key", "")
    if key not in {d.process_key for d in startable(actor)}:
        abort(403)
    instance_id = cascade().start_process(store(), actor, key, {})
    deliver_pending()
    flash(_("Đã khởi tạo quy trình."), "success")
    return redirect(url_for("processes.instance", instance_id=instance_id)), 303


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int):
    row = queries.visible_instance(current_actor(), instance_id)
    if row is None:
        abort(404)
    return render_template(
        "processes/instance.html",
        instance=row,
        failures=open_failures_of(row.id) if current_actor().is_admin else [],
        directive=queries.document(row.directive_id) if row.directive_id else None,
        issued=queries.issued_by_instance(row.id),
        tasks=queries.instance_tasks(row.id),
        history=queries.instance_history(row.id),
    )
