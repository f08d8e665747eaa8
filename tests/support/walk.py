"""Helpers that walk the cascade through the HTTP app, as the people in it would."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models.org import Organisation, User
from models.workflow import HumanTask, ProcessInstance


def org(code: str) -> Organisation:
    return db.session.scalars(select(Organisation).where(Organisation.code == code)).one()


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def open_task(bpmn_id: str, org_code: str | None = None, instance_id: int | None = None) -> HumanTask:
    """The one open task with this BPMN id at this organisation's instance (or in this instance)."""
    stmt = select(HumanTask).join(ProcessInstance).where(HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open")
    if org_code:
        stmt = stmt.where(ProcessInstance.org_id == org(org_code).id)
    if instance_id:
        stmt = stmt.where(HumanTask.instance_id == instance_id)
    rows = db.session.scalars(stmt.order_by(HumanTask.id)).all()
    assert len(rows) == 1, f"expected one open {bpmn_id} at {org_code or instance_id}, found {len(rows)}"
    return rows[0]


def recipients_form(field: str, chosen: list[tuple[int, str]]) -> dict:
    data: dict = {f"{field}__org": [str(o) for o, _ in chosen]}
    for org_id, purpose in chosen:
        data[f"{field}__purpose__{org_id}"] = purpose
    return data


def complete(client, task: HumanTask, data: dict, expect: int = 303):
    response = client.post_form(f"/tasks/{task.id}", data)
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    return response
