"""Process instances over the API: start one, read one with its tasks and history."""

from __future__ import annotations

from flask import g, jsonify, request

from models.workflow import ProcessInstance
from web import queries
from web.api import bp
from web.api.auth import error, token_required
from web.api.tasks import task_json
from web.deps import cascade, store
from web.inbox import deliver_pending


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
