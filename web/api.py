"""JSON API with personal bearer tokens (see docs/api.md)."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, g, jsonify, request
from sqlalchemy import bindparam, select

from engine.core.clock import clock
from models import db
from models.commands import tokens
from models.org import ApiToken, Organisation, User, UserRole
from models.workflow import HumanTask, ProcessInstance
from web import queries
from web.deps import cascade, make_actor, store
from web.inbox import deliver_pending

bp = Blueprint("api", __name__, url_prefix="/api")
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


# The actor behind a token in one round trip, without ORM objects: one row per role (none: one row, role NULL).
_TOKEN_ACTOR = (
    select(
        ApiToken.id,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.full_name,
        Organisation.id.label("org_id"),
        Organisation.kind,
        Organisation.parent_id,
        UserRole.role,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Organisation, Organisation.id == User.org_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked.is_(False), User.active.is_(True))
)


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error(401, "missing bearer token")
        rows = db.session.execute(_TOKEN_ACTOR, {"h": ApiToken.hash(header[7:].strip())}).all()
        if not rows:
            return error(401, "invalid token")
        first = rows[0]
        now = clock.now()
        if first.last_used_at is None or now - first.last_used_at > TOKEN_USE_RESOLUTION:
            tokens.note_use(first.id, now)  # to the minute: no write per request
        g.actor = make_actor(
            first.user_id,
            first.full_name,
            (r.role for r in rows if r.role),
            first.org_id,
            first.kind,
            first.parent_id,
        )
        return view(*args, **kwargs)

    return wrapper


def task_json(t: HumanTask, fields=None) -> dict:
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
        out["form"] = [
            {
                "id": f.id,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "options": [{"id": o[0], "label": o[1]} for o in f.options],
            }
            for f in fields
        ]
    return out


@bp.get("/tasks")
@token_required
def tasks():
    rows = queries.inbox(g.actor, scope=request.args.get("scope", "all"), sort=request.args.get("sort", "due"))
    return jsonify({"tasks": [task_json(t) for t in rows]})


@bp.get("/tasks/<int:task_id>")
@token_required
def task(task_id: int):
    s = store()
    cascade().task_for(s, g.actor, task_id)
    row = queries.task_row(task_id)
    fields = cascade().form_for(s, g.actor, task_id)[0] if row.status == "open" else []
    return jsonify(task_json(row, fields))


@bp.post("/tasks/<int:task_id>/complete")
@token_required
def complete(task_id: int):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error(400, "expected a JSON object of form values")
    instance_id = cascade().complete_task(store(), g.actor, task_id, data)
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


@bp.post("/processes/<key>/instances")
@token_required
def start(key: str):
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        return error(400, "expected a JSON object")
    instance_id = cascade().start_process(store(), g.actor, key, {})
    deliver_pending()
    return jsonify({"id": instance_id}), 201


def instance_json(row: ProcessInstance) -> dict:
    return {
        "id": row.id,
        "process": row.process_key,
        "version": row.definition.version,
        "title": row.title,
        "status": row.status,
        "organisation": row.org.name,
        "directive_id": row.directive_id,
        "started_at": row.started_at.isoformat(),
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
        "current": (row.summary or {}).get("current", []),
        "tasks": [task_json(t) for t in queries.instance_tasks(row.id)],
        "history": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "user": e.user.full_name if e.user else None,
                "detail": e.detail,
            }
            for e in queries.instance_history(row.id)
        ],
    }


@bp.get("/instances/<int:instance_id>")
@token_required
def instance(instance_id: int):
    row = queries.visible_instance(g.actor, instance_id)
    if row is None:
        return error(404, "instance not found")
    return jsonify(instance_json(row))
