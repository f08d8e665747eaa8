"""Tasks over the API: list, show with the form, complete, claim and release."""

from __future__ import annotations

from flask import g, jsonify, request

from engine.core.clock import clock
from models.workflow import HumanTask
from web import queries
from web.api import bp, forms
from web.api.auth import error, token_required
from web.api.forms import field_json
from web.deps import cascade, store
from web.inbox import deliver_pending
from web.inbox.returned import tell_drafter


def task_json(t: HumanTask, fields=None, values: dict | None = None) -> dict:
    out = {
        "id": t.id,
        "name": t.name,
        "bpmn_id": t.bpmn_id,
        "status": t.status,
        "instance_id": t.instance_id,
        "process": t.instance.process_key,
        "organisation": t.org.name,
        "candidates": [{"org_id": c.org_id, "role": c.role} for c in t.candidates],
        "assignee_id": t.assignee_id,
        "due_at": t.due_at.isoformat() if t.due_at else None,
        "created_at": t.created_at.isoformat(),
        "overdue": bool(t.due_at and t.status == "open" and t.due_at < clock.now()),
    }
    if fields is not None:
        out["form"] = [field_json(f, values or {}) for f in fields]
    return out


@bp.get("/tasks")
@token_required
def tasks():
    """Open tasks I may do, filtered as the inbox page is (q, process, org, document, overdue, returned), a page
    of `limit` (≤ 200) after the task `after` (keyset: `next` of the page before), with the filter's total
    (counted apart only when this is not the first and last page)."""
    filters, args = queries.task_filter(request.args), request.args
    limit = min(queries.positive_int(args.get("limit")) or 200, 200)
    scope, sort = args.get("scope", "all"), args.get("sort", "due")
    rows = queries.inbox(g.actor, scope=scope, sort=sort, limit=limit + 1, filters=filters)
    more, rows = len(rows) > limit, rows[:limit]
    whole = not more and filters.after is None
    return jsonify(
        {
            "tasks": [task_json(t) for t in rows],
            "total": len(rows) if whole else queries.inbox_total(g.actor, scope=scope, filters=filters),
            "next": rows[-1].id if more else None,
        }
    )


@bp.get("/tasks/<int:task_id>")
@token_required
def task(task_id: int):
    cascade().task_for(store(), g.actor, task_id)
    row = queries.task_row(task_id)
    fields, values = forms.form(g.actor, task_id) if row.status == "open" else ([], {})
    return jsonify(task_json(row, fields, values))


@bp.post("/tasks/<int:task_id>/complete")
@token_required
def complete(task_id: int):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error(400, "expected a JSON object of form values")
    instance_id = forms.complete_keeping_values(g.actor, task_id, data)
    tell_drafter(task_id, g.actor.user_id, g.now, data)  # after the commit, as the inbox's form does
    deliver_pending()
    return jsonify({"status": "completed", "instance_id": instance_id})


@bp.post("/tasks/<int:task_id>/claim")
@token_required
def claim(task_id: int):
    return _claim(task_id, release=False)


@bp.post("/tasks/<int:task_id>/unclaim")
@token_required
def unclaim(task_id: int):
    return _claim(task_id, release=True)


def _claim(task_id: int, release: bool):
    (cascade().unclaim if release else cascade().claim)(store(), g.actor, task_id)
    return jsonify({"status": "released" if release else "claimed", "task_id": task_id})
