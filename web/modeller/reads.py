"""The modeller's read-only queries: versions, drafts, instance counts, an instance's open tasks."""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from engine.core.access import can_see_instance
from engine.core.ports import Actor
from models import db
from models.modeller import ProcessDraft
from models.org import Organisation
from models.store import instance_record
from models.workflow import HumanTask, ProcessDefinition, ProcessInstance


def latest_version(process_key: str) -> int | None:
    return db.session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == process_key)
    )


def draft(process_key: str, *, with_xml: bool = True) -> ProcessDraft | None:
    stmt = select(ProcessDraft).where(ProcessDraft.process_key == process_key)
    return db.session.scalars(stmt if with_xml else stmt.options(defer(ProcessDraft.xml))).first()


def definition(process_key: str, version: int | None) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition).where(
            ProcessDefinition.process_key == process_key, ProcessDefinition.version == version
        )
    ).first()


def versions(process_key: str) -> list[ProcessDefinition]:
    return db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_key == process_key)
        .order_by(ProcessDefinition.version)
    ).all()


def overview() -> dict:
    """Every process with its versions (newest first) and draft, instance counts per version and status, and the
    drafts of processes never deployed."""
    definitions = db.session.scalars(
        select(ProcessDefinition)
        .options(defer(ProcessDefinition.xml), joinedload(ProcessDefinition.deployed_by))
        .order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for definition_id, status, count in db.session.execute(
        select(ProcessInstance.definition_id, ProcessInstance.status, func.count()).group_by(
            ProcessInstance.definition_id, ProcessInstance.status
        )
    ):
        counts.setdefault(definition_id, {})[status] = count
    drafts = {d.process_key: d for d in db.session.scalars(select(ProcessDraft).options(defer(ProcessDraft.xml)))}
    processes = []
    for key, rows in groupby(definitions, key=lambda d: d.process_key):
        rows = list(rows)
        processes.append({"key": key, "name": rows[0].name, "versions": rows, "draft": drafts.pop(key, None)})
    new_drafts = sorted(drafts.values(), key=lambda d: d.process_key)
    return {"processes": processes, "counts": counts, "new_drafts": new_drafts}


def running_on_older(process_key: str, version: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.status == "running",
            ProcessDefinition.version < version,
        )
    )


def organisations() -> dict[int, Organisation]:
    return {o.id: o for o in db.session.scalars(select(Organisation))}


def visible_instance(actor: Actor, instance_id: int) -> ProcessInstance | None:
    row = db.session.get(ProcessInstance, instance_id)
    return row if row is not None and can_see_instance(actor, instance_record(row)) else None


def open_tasks(instance_id: int) -> list[tuple[HumanTask, dict[int, str]]]:
    """The instance's open tasks, each with the short names of its candidate organisations."""
    out = []
    for task in db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        .options(joinedload(HumanTask.assignee), joinedload(HumanTask.org))
    ):
        orgs = {c.org_id for c in task.candidates}
        names = {o.id: o.short_name for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(orgs)))}
        out.append((task, names))
    return out
