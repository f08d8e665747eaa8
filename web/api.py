"""JSON API with personal bearer tokens (see docs/api.md)."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.access import can_see_instance
from engine.clock import clock
from engine.errors import (
    FormValidationError,
    NotAllowedError,
    TaskAlreadyCompletedError,
    TaskNotFoundError,
    UnknownProcessError,
)
from engine.forms import message as field_message
from models import db
from models.org import ApiToken, User
from models.store import instance_record
from models.workflow import HumanTask, ProcessInstance
from web import queries
from web.deps import actor_for, cascade, store

bp = Blueprint("api", __name__, url_prefix="/api")
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error(401, "missing bearer token")
        token = db.session.scalars(
            select(ApiToken)
            .options(  # the actor, its organisation and roles in one round trip
                joinedload(ApiToken.user).joinedload(User.org), joinedload(ApiToken.user).joinedload(User.role_rows)
            )
            .where(ApiToken.token_hash == ApiToken.hash(header[7:].strip()), ApiToken.revoked.is_(False))
        ).first()
        if token is None or not token.user.active:
            return error(401, "invalid token")
        now = clock.now()
        if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
            token.last_used_at = now  # "last used" to the minute: no write on every request
            db.session.commit()
        g.actor = actor_for(token.user)
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
    try:
        cascade().task_for(s, g.actor, task_id)
    except TaskNotFoundError:
        return error(404, "task not found")
    row = db.session.get(HumanTask, task_id)
    fields = cascade().form_for(s, g.actor, task_id)[0] if row.status == "open" else []
    return jsonify(task_json(row, fields))


@bp.post("/tasks/<int:task_id>/complete")
@token_required
def complete(task_id: int):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error(400, "expected a JSON object of form values")
    s = store()
    try:
        instance_id = cascade().complete_task(s, g.actor, task_id, data)
    except TaskNotFoundError:
        s.rollback()
        return error(404, "task not found")
    except TaskAlreadyCompletedError:
        s.rollback()
        return error(409, "task already completed")
    except NotAllowedError as exc:
        s.rollback()
        return error(403, str(exc) or "not allowed")
    except FormValidationError as exc:
        s.rollback()
        return error(
            422,
            "invalid form data",
            fields={
                k: {"code": v.code, "message": field_message(v, "en"), "message_vi": field_message(v, "vi")}
                for k, v in exc.errors.items()
            },
        )
    from web.inbox import deliver_pending

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
    s = store()
    try:
        (cascade().unclaim if release else cascade().claim)(s, g.actor, task_id)
    except TaskNotFoundError:
        s.rollback()
        return error(404, "task not found")
    except TaskAlreadyCompletedError:
        s.rollback()
        return error(409, "task already completed")
    except NotAllowedError as exc:
        s.rollback()
        return error(403, str(exc) or "not allowed")
    return jsonify({"status": "released" if release else "claimed", "task_id": task_id})


@bp.post("/processes/<key>/instances")
@token_required
def start(key: str):
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        return error(400, "expected a JSON object")
    s = store()
    try:
        instance_id = cascade().start_process(s, g.actor, key, {})
    except UnknownProcessError:
        s.rollback()
        return error(404, "unknown process")
    except NotAllowedError as exc:
        s.rollback()
        return error(403, str(exc))
    from web.inbox import deliver_pending

    deliver_pending()
    return jsonify({"id": instance_id}), 201


@bp.get("/instances/<int:instance_id>")
@token_required
def instance(instance_id: int):
    row = db.session.get(ProcessInstance, instance_id)
    if row is None or not can_see_instance(g.actor, instance_record(row)):
        return error(404, "instance not found")
    return jsonify(
        {
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
    )
