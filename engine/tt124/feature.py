"""What the Circular 124 year plugs into the engine: the service tasks of `workflows/tt124_cycle.bpmn` and the
incident check of `workflows/incident.bpmn`."""

from __future__ import annotations

from engine.core.ports import MessageRecord
from engine.core.registry import Feature
from engine.tt124.common import FIELD_ERRORS
from engine.tt124.services import HANDLERS


def cycle_subject(message: MessageRecord) -> str | None:
    cycle_id = message.payload.get("cycle_id")
    return (
        f"tt124:{cycle_id}" if cycle_id and message.target_org_id and not message.payload.get("to_instance") else None
    )


FEATURE = Feature(name="tt124", services=HANDLERS, field_errors=FIELD_ERRORS, subject=cycle_subject)
