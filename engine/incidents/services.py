"""Incidents in the engine: raising one (saved at once, its path started from the outbox) and the service tasks
of `workflows/incident.bpmn` (who is told, the incident's status). Categories and severities: `rules`."""

from __future__ import annotations

from typing import Any

from engine.core.cascade import Cascade
from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.core.ports import Actor, InstanceRecord, MessageRecord, NewMessage, Store
from engine.core.registry import Feature
from engine.core.runtime import ServiceCall
from engine.incidents.rules import CATEGORIES, SEVERITIES, validate_incident


def raise_incident(store: Store, actor: Actor, data: dict, attachments=()) -> int:
    """Save an incident the moment a school raises it; its path starts from the outbox right after."""
    org = store.org(actor.org_id) if actor.org_id else None
    if org is None or org.kind != "school":
        raise NotAllowedError("only people at a school raise incidents")
    now = clock.now()
    clean = validate_incident(data, now)
    incident_id = store.create_incident(org.id, actor.user_id, clean, now)
    for filename, content_type, content in attachments:
        store.add_attachment(incident_id, filename, content_type, content, actor.user_id)
    store.add_incident_update(incident_id, actor.user_id, "raised", clean["description"][:500], now)
    store.add_message(
        NewMessage(
            name="incident_raised",
            source_instance_id=None,
            target_org_id=org.id,
            payload={
                "incident_id": incident_id,
                "category": clean["category"],
                "severity": clean["severity"],
                "by_principal": "principal" in actor.roles,
                "directive_id": None,
                "sender_org_id": None,
            },
        )
    )
    store.audit(
        actor,
        "incident.raise",
        detail={"incident_id": incident_id, "category": clean["category"], "severity": clean["severity"]},
        at=now,
    )
    store.commit()
    return incident_id


def _incident_id(call: ServiceCall) -> int:
    started = call.data.get("incident_raised") or {}
    if not started.get("incident_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no incident")
    return int(started["incident_id"])


def notify(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Tell people (in-app and e-mail) about the incident: `targets` lists `role@scope`, e.g.
    `specialist@parent,police@ward_police`. Police units told become involved (they may then open it)."""
    incident_id = _incident_id(call)
    incident = store.incident(incident_id)
    school = store.org(incident.school_id)
    now = clock.now()
    pairs = engine.candidates(store, instance, [t for t in (call.properties.get("targets") or "").split(",") if t])
    users = [u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)]
    category = CATEGORIES.get(incident.category, (incident.category,))[0]
    severity = SEVERITIES.get(incident.severity, (incident.severity,))[0]
    title = (call.properties.get("title") or "Sự việc tại {school}: {category}").format(
        school=school.name, category=category, severity=severity
    )
    body = f"{school.name} — {category} — mức độ: {severity}. {call.properties.get('note', '')}".strip()
    store.notify(users, title, body, f"/incidents/{incident_id}", now)
    involved = set(incident.involved_org_ids) | {
        o for o, _ in pairs if store.org(o).kind in ("police", "ward_police", "office")
    }
    store.set_incident(incident_id, involved_org_ids=sorted(involved))
    names = ", ".join(sorted({store.org(o).short_name for o, _ in pairs}))
    store.add_incident_update(incident_id, None, call.properties.get("kind", "notified"), f"Đã thông báo: {names}", now)
    return {}


def incident_status(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Record the incident's state from the diagram: `status` = open | acknowledged | closed | false_alarm."""
    incident_id = _incident_id(call)
    status = call.properties.get("status", "open")
    now = clock.now()
    fields: dict[str, Any] = {"instance_id": instance.id}
    if status in ("acknowledged", "closed", "false_alarm"):  # "open", "report", "update" only add to the thread
        fields["status"] = status
    if status == "acknowledged":
        fields["acknowledged_at"] = now
    if status in ("closed", "false_alarm"):
        fields["closed_at"] = now
        fields["outcome"] = str(call.data.get("ket_qua") or call.data.get("ly_do") or "")
    store.set_incident(incident_id, **fields)
    text = call.properties.get("note") or str(call.data.get(call.properties.get("textField", ""), "") or "")
    store.add_incident_update(incident_id, None, status, text, now)
    return {}


def incident_subject(message: MessageRecord) -> str | None:
    incident_id = message.payload.get("incident_id")
    return f"incident:{incident_id}" if message.name == "incident_raised" and incident_id else None


FEATURE = Feature(
    name="incidents", services={"notify": notify, "incident_status": incident_status}, subject=incident_subject
)
