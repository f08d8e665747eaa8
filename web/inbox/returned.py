"""A task sent back ("trả lại") tells the person who drafted it, with the comment's first line.

Done after the completion has committed, from the audit row the step wrote (the decision, the comment, and the
earlier completion that holds the draft): the engine's completion is not slowed and knows nothing of it. The
notification is its own small write, committed once here; if it fails the completion stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import db
from models.workflow import HumanTask
from web import queries
from web.deps import store
from web.filters import comment_of, decision_of
from web.inbox.subject import is_draft


def _data(event) -> dict:
    return (event.detail or {}).get("data") or {}


def _vi(name: str | None) -> str:
    return (name or "").split(" | ", 1)[0]


def _reopened(instance_id: int, bpmn_id: str) -> HumanTask | None:
    stmt = select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
    )
    return db.session.scalars(stmt.order_by(HumanTask.id.desc())).first()


def tell_drafter(task_id: int, user_id: int, now: datetime, submitted: dict) -> bool:
    """If the completion of `task_id` by `user_id` returned a draft, notify its drafter; True when told. Nothing
    is read unless the submitted form itself decided "return" (most completions cost nothing here)."""
    if decision_of(submitted) != "return":
        return False
    task = queries.task_row(task_id)
    events = queries.completions([task.instance_id]) if task is not None else []
    newest = events[0] if events else None
    if newest is None or newest.user_id != user_id or (newest.detail or {}).get("task") != task.bpmn_id:
        return False
    if decision_of(_data(newest)) != "return":
        return False
    draft = next((e for e in events[1:] if is_draft(_data(e))), None)
    if draft is None or draft.user_id is None or draft.user_id == user_id:
        return False
    comment = (comment_of(_data(newest)).strip().splitlines() or [""])[0].strip()
    summary = str(_data(draft).get("trich_yeu") or "").strip()
    who = newest.user.full_name if newest.user else ""
    step = _vi((draft.detail or {}).get("name"))
    reopened = _reopened(task.instance_id, (draft.detail or {}).get("task", ""))
    body = f"{who} đã trả lại" + (f" «{summary}»" if summary else "") + (f": {comment}" if comment else ".")
    url = f"/tasks/{reopened.id}" if reopened else f"/instances/{task.instance_id}"
    s = store()
    s.notify([draft.user_id], f"Bị trả lại: {step}", body, url, now)
    s.commit()
    return True
