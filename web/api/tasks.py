"""Tasks over the API: list, show with the form, complete, claim and release."""

from __future__ import annotations

from dataclasses import replace

from flask import g, jsonify, request

from engine.core.clock import clock
from models.workflow import HumanTask
from web import queries, queries_tasks
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
    """Open tasks I may do, filtered as the inbox page is (q, process, org, document, overdue, returned) or to one
    instance, a page of `limit` (≤ 200) after the task `after` (keyset: `next` of the page before), with the
    filter's total (exact up to 1,000: `total_exact`; counted apart only when this is not the first and last
    page). Bad `limit`, `after`, `instance`, `org` or `document`: 400 naming it."""
    scope, sort = request.args.get("scope", "all"), request.args.get("sort", "due")
    try:
        limit, filters = _list_args()
        rows = queries_tasks.task_page(g.actor, scope=scope, sort=sort, limit=limit + 1, filters=filters)
    except BadArgument as exc:
        return error(400, f"invalid `{exc.name}`: {exc.expected}", argument=exc.name)
    except queries_tasks.UnknownCursor:
        return error(400, f"invalid `after`: {BadArgument.EXPECTED['after']}", argument="after")
    more, rows = len(rows) > limit, rows[:limit]
    if more or filters.after is not None:
        total, exact = queries_tasks.task_total(g.actor, scope=scope, filters=filters)
    else:
        total, exact = len(rows), True
    offered = queries_tasks.candidates([r.id for r in rows])
    listed = [row_json(r, offered[r.id]) for r in rows]
    return jsonify({"tasks": listed, "total": total, "total_exact": exact, "next": rows[-1].id if more else None})


class BadArgument(ValueError):
    """A query argument of the task list that is not what it must be."""

    EXPECTED = {
        "limit": "a whole number from 1 to 200",
        "after": "the id of a task (the `next` of the page before)",
        "instance": "the id of a process instance",
        "org": "the id of an organisation",
        "document": "the id of a document",
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name, self.expected = name, self.EXPECTED[name]


def _whole(name: str, high: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or (high is not None and int(raw) > high):
        raise BadArgument(name)
    return int(raw)


def _list_args() -> tuple[int, queries.TaskFilter]:
    """(limit, filter) of the task list; BadArgument when a number is not one."""
    numbers = {name: _whole(name) for name in ("after", "instance", "org", "document")}
    limit = _whole("limit", 200) or 200
    filters = replace(
        queries.task_filter(request.args),
        after=numbers["after"],
        instance_id=numbers["instance"],
        org_id=numbers["org"],
        document_id=numbers["document"],
    )
    return limit, filters


def row_json(r, candidates: list[dict]) -> dict:
    """A listed task (a row of queries_tasks.task_page): the same keys as task_json."""
    return {
        "id": r.id,
        "name": r.name,
        "bpmn_id": r.bpmn_id,
        "status": r.status,
        "instance_id": r.instance_id,
        "process": r.process_key,
        "organisation": r.organisation,
        "candidates": candidates,
        "assignee_id": r.assignee_id,
        "due_at": r.due_at.isoformat() if r.due_at else None,
        "created_at": r.created_at.isoformat(),
        "overdue": bool(r.due_at and r.status == "open" and r.due_at < clock.now()),
    }


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
