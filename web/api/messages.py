"""Message start events from outside: `POST /api/messages/<name>` starts, at the caller's organisation, the process
whose start event catches that message, with the JSON body as the message's payload. The engine's own start
(`Cascade.start_process`) decides: the process must allow a manual start (`manualStart`) and the caller must be
allowed to start it there (`engine.core.access.can_start`: role and `orgKinds`), else 403."""

from __future__ import annotations

from flask import g, jsonify, request

from engine.core.cascade import home_org
from engine.core.delivery import org_kinds
from engine.core.errors import FormValidationError
from engine.core.forms import FieldError
from engine.core.ports import Actor, DefinitionRecord
from web.api import bp
from web.api.auth import error, token_required
from web.deps import cascade, store
from web.inbox import deliver_pending

# what the engine's delivery puts in a start message's payload itself: never taken from a client
RESERVED = frozenset(
    {"directive_id", "directive_symbol", "directive_summary", "sender_org_id", "purpose", "response_due"}
)


def catching(actor: Actor, name: str) -> DefinitionRecord | None:
    """The latest process whose first start event catches `name`, preferring one that serves the kind of the
    caller's organisation (as delivery chooses); None: no process starts on that message."""
    found = [d for d in store().latest_definitions() if (d.start_messages or [None])[0] == name]
    if not found or actor.org_id is None:
        return found[0] if found else None
    kind = store().org(home_org(store(), actor)).kind
    return next((d for d in found if (org_kinds(d) is None or kind in org_kinds(d))), found[0])


def payload() -> dict:
    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise FormValidationError({"body": FieldError("invalid")})
    return {k: v for k, v in data.items() if k not in RESERVED}


@bp.post("/messages/<name>")
@token_required
def start_by_message(name: str):
    data = payload()
    definition = catching(g.actor, name)
    if definition is None:
        return error(404, "no process starts on this message")
    instance_id = cascade().start_process(store(), g.actor, definition.process_key, data)
    deliver_pending()
    return jsonify({"id": instance_id, "process": definition.process_key, "message": name}), 201
