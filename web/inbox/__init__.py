"""The task inbox: my tasks and my unit's, one task's form, claim, release and complete."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core.errors import FormValidationError, NotAllowedError, TaskAlreadyCompletedError, TaskNotFoundError
from engine.core.forms import message as field_message
from models import db
from models.document import Document
from models.workflow import HumanTask
from web import queries
from web.deps import cascade, current_actor, store
from web.filters import bilingual, vn_datetime
from web.forms import parse_submission, recipient_choices
from web.locale import lang

bp = Blueprint("inbox", __name__, template_folder="templates")


@bp.route("/")
@login_required
def index():
    scope = request.args.get("scope", "all")
    sort = request.args.get("sort", "due")
    tasks = _lines(queries.inbox_rows(current_actor(), scope=scope, sort=sort))
    return render_template("inbox/list.html", tasks=tasks, scope=scope, sort=sort)


class Line(NamedTuple):
    """One line of the inbox list, ready to print (the template escapes it)."""

    url: str
    name: str
    title: str
    org: str
    due: str
    overdue: bool
    assignee: str | None  # None: nobody has claimed it


def _lines(rows) -> list[Line]:
    """The list's lines from `queries.inbox_rows`. A busy inbox repeats the same few task names and many due
    times, so each distinct name and date is turned into text once per request (the dictionaries live only in
    this call: nothing is kept between requests or users), and the task links are the one URL `url_for` builds
    for the route with the id put at its end."""
    now = g.now
    base = url_for("inbox.task", task_id=0)
    prefix = base[:-1] if base.endswith("/0") else None
    names: dict[str, str] = {}
    dates: dict = {}
    lines = []
    for r in rows:
        name = names.get(r.name)
        if name is None:
            name = names[r.name] = bilingual(r.name)
        due = r.due_at
        if due is None:
            due_text, overdue = "", False
        else:
            due_text = dates.get(due)
            if due_text is None:
                due_text = dates[due] = vn_datetime(due)
            overdue = due < now
        lines.append(
            Line(
                prefix + str(r.id) if prefix is not None else url_for("inbox.task", task_id=r.id),
                name,
                r.title,
                r.org_short_name,
                due_text,
                overdue,
                r.assignee_name if r.assignee_id is not None else None,
            )
        )
    return lines


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    actor = current_actor()
    s = store()
    try:
        record, instance = cascade().task_for(s, actor, task_id)
    except TaskNotFoundError:
        abort(404)
    errors: dict = {}
    submitted: dict = {}
    if request.method == "POST":
        fields, _values = cascade().form_for(s, actor, task_id)
        submitted = parse_submission(fields, request.form)
        try:
            cascade().complete_task(s, actor, task_id, submitted)
        except FormValidationError as exc:
            s.rollback()
            errors = {k: field_message(v, lang()) for k, v in exc.errors.items()}
            flash(_("Biểu mẫu có lỗi, vui lòng kiểm tra các trường được đánh dấu."), "error")
        except TaskAlreadyCompletedError:
            s.rollback()
            flash(_("Nhiệm vụ này đã được hoàn thành trước đó; không có thay đổi nào được lưu."), "warning")
            return redirect(url_for("processes.instance", instance_id=instance.id)), 303
        except NotAllowedError:
            s.rollback()
            abort(403)
        else:
            deliver_pending()
            flash(_("Đã hoàn thành nhiệm vụ."), "success")
            return redirect(url_for("inbox.index")), 303
    row = db.session.get(HumanTask, task_id)
    fields, values = cascade().form_for(s, actor, task_id) if row.status == "open" else ([], {"__data__": {}})
    data = values.pop("__data__", {})
    if submitted:
        values.update({k: v for k, v in submitted.items()})
    documents = _documents(row, data)
    return render_template(
        "inbox/task.html",
        task=row,
        fields=fields,
        values=values,
        errors=errors,
        data=data,
        documents=documents,
        recipient_choices=recipient_choices(row.instance.org_id),
        can_act=row.status == "open" and _can_act(row),
    ), (422 if errors else 200)


def _can_act(row: HumanTask) -> bool:
    from engine.core.access import can_act_on_task
    from models.store import task_record

    return can_act_on_task(current_actor(), task_record(row))


def _documents(row: HumanTask, data: dict) -> list[Document]:
    ids = [i for i in (row.instance.directive_id, data.get("document_id")) if i]
    return [d for d in (db.session.get(Document, i) for i in ids) if d is not None]


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    return _claim_action(task_id, release=False)


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: int):
    return _claim_action(task_id, release=True)


def _claim_action(task_id: int, release: bool):
    s = store()
    try:
        (cascade().unclaim if release else cascade().claim)(s, current_actor(), task_id)
    except TaskNotFoundError:
        abort(404)
    except TaskAlreadyCompletedError:
        s.rollback()
        flash(_("Nhiệm vụ này đã được hoàn thành trước đó."), "warning")
    except NotAllowedError:
        s.rollback()
        flash(_("Nhiệm vụ đã được người khác nhận xử lý."), "warning")
    else:
        flash(_("Đã trả lại nhiệm vụ cho đơn vị.") if release else _("Bạn đã nhận xử lý nhiệm vụ."), "success")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("inbox.task", task_id=task_id)
    ), 303


def deliver_pending() -> None:
    """Deliver the messages the request just committed (the worker retries whatever fails here). A request
    that wrote nothing to the outbox skips the look."""
    from flask import current_app

    if db.session.info.pop("outbox_written", False) and current_app.config.get("DELIVER_INLINE"):
        cascade().deliver_messages(store())
