"""The task inbox: my tasks and my unit's, one task's form, claim, release and complete."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.core.access import can_act_on_task
from engine.core.errors import FormValidationError
from engine.documents.dates import format_date
from models import db
from models.store import task_record
from web import queries
from web.deps import cascade, current_actor, store
from web.errors import form_errors
from web.forms import parse_submission, recipient_choices
from web.inbox.listing import listing
from web.inbox.returned import tell_drafter
from web.inbox.subject import subject_for

bp = Blueprint("inbox", __name__, template_folder="templates")


@bp.route("/")
@login_required
def index():
    scope = request.args.get("scope", "all")
    sort = request.args.get("sort", "due")
    filters = queries.task_filter(request.args)
    page = listing(current_actor(), scope, sort, filters)
    return render_template("inbox/list.html", page=page, tasks=page.lines, scope=scope, sort=sort, f=filters)


@bp.route("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    cascade().task_for(store(), current_actor(), task_id)
    return _task_page(task_id)


@bp.route("/tasks/<int:task_id>", methods=["POST"])
@login_required
def complete(task_id: int):
    actor, s = current_actor(), store()
    current, _instance = cascade().task_for(s, actor, task_id)
    fields, _values = cascade().form_for(s, actor, task_id)
    submitted = parse_submission(fields, request.form)
    before = {d.id for d in queries.issued_by_instance(current.instance_id)}
    try:
        cascade().complete_task(s, actor, task_id, submitted)
    except FormValidationError as exc:  # the form again, with each field's message and what was typed
        errors = form_errors(exc)
        flash(_("Biểu mẫu có lỗi, vui lòng kiểm tra các trường được đánh dấu."), "error")
        return _task_page(task_id, submitted, errors)
    tell_drafter(task_id, current_user.id, g.now, submitted)  # after the commit: the completion is not slowed
    deliver_pending()
    flash(_done_message(current.instance_id, before), "success")
    return redirect(url_for("inbox.index")), 303


def _done_message(instance_id: int, before: set[int]) -> str:
    """What the person is told once the completion committed: the number and date of a document the step issued
    (the clerk's numbering step), else that the task is done."""
    issued = [d for d in queries.issued_by_instance(instance_id) if d.id not in before and d.symbol]
    if not issued:
        return _("Đã hoàn thành nhiệm vụ.")
    parts = [
        _("%(symbol)s ngày %(date)s", symbol=d.symbol, date=format_date(d.issued_on)) if d.issued_on else d.symbol
        for d in issued
    ]
    return _("Đã ban hành %(documents)s", documents=", ".join(parts))


def _task_page(task_id: int, submitted: dict | None = None, errors: dict | None = None):
    row = queries.task_row(task_id)
    is_open = row.status == "open"
    fields, values = cascade().form_for(store(), current_actor(), task_id) if is_open else ([], {"__data__": {}})
    data = values.pop("__data__", {})
    values.update(submitted or {})
    return render_template(
        "inbox/task.html",
        task=row,
        fields=fields,
        values=values,
        errors=errors or {},
        data=data,
        documents=queries.documents((row.instance.directive_id, data.get("document_id"))),
        subject=subject_for(row),
        recipient_choices=recipient_choices(row.instance.org_id),
        can_act=is_open and can_act_on_task(current_actor(), task_record(row)),
    ), (422 if errors else 200)


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    return _claim_action(task_id, release=False)


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: int):
    return _claim_action(task_id, release=True)


def _claim_action(task_id: int, release: bool):
    (cascade().unclaim if release else cascade().claim)(store(), current_actor(), task_id)
    flash(_("Đã trả lại nhiệm vụ cho đơn vị.") if release else _("Bạn đã nhận xử lý nhiệm vụ."), "success")
    back = request.referrer
    if not (back and back.startswith(request.host_url)):
        back = url_for("inbox.task", task_id=task_id)
    return redirect(back), 303


def deliver_pending() -> None:
    """Deliver the messages the request just committed (the worker retries whatever fails here). A request
    that wrote nothing to the outbox skips the look."""
    if db.session.info.pop("outbox_written", False) and current_app.config.get("DELIVER_INLINE"):
        cascade().deliver_messages(store())
