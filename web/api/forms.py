"""A task's form over the API: each field with its current value as the task page shows it (the task's data,
else the feature's proposal, e.g. the usual recipients), and completing it with the fields the client left out
kept at that value."""

from __future__ import annotations

from typing import Any

from engine.core.errors import FormValidationError
from engine.core.forms import FieldDef
from engine.core.ports import Actor
from models import db
from web.deps import cascade, store


def field_json(f: FieldDef, values: dict[str, Any]) -> dict:
    return {
        "id": f.id,
        "label": f.label,
        "label_vi": f.label_vi,
        "label_en": f.label_en,
        "type": f.type,
        "required": f.required,
        "readonly": f.readonly,
        "multiline": f.multiline,
        "options": [{"id": o[0], "label": o[1]} for o in f.options],
        "value": values.get(f.id),
        "default": f.default,
        "min": f.min,
        "max": f.max,
        "minlength": f.minlength,
        "maxlength": f.maxlength,
    }


def form(actor: Actor, task_id: int) -> tuple[list[FieldDef], dict[str, Any]]:
    """The open task's fields and current values (read, never written)."""
    fields, values = cascade().form_for(store(), actor, task_id)
    values.pop("__data__", None)
    return fields, values


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def complete_keeping_values(actor: Actor, task_id: int, submitted: dict[str, Any]) -> int:
    """Complete the task; a required field the client left out (not sent empty) keeps its current value.
    The prefill is read only when the first try names such a field: a client sending every field costs what it
    always did. The refused try changed nothing (the engine validates before it touches the workflow)."""
    try:
        return cascade().complete_task(store(), actor, task_id, submitted)
    except FormValidationError as exc:
        missing = {k for k, e in exc.errors.items() if e.code == "required" and k not in submitted}
        if not missing:
            raise
        db.session.rollback()  # release the instance's lock before reading the form as the page does
        _, values = form(actor, task_id)
        kept = {k: values[k] for k in missing if _present(values.get(k))}
        if not kept:
            raise
        return cascade().complete_task(store(), actor, task_id, {**kept, **submitted})
