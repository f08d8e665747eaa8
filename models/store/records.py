"""Plain records (engine.core.ports) from rows and Core rows, and the per-process organisation cache (its one
instance is `base._org_cache`; definitions are cached in `workflow`)."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.engine import URL

from engine.core.orgs import OrgList
from engine.core.ports import DefinitionRecord, HumanTaskRecord, InstanceRecord, MessageRecord, Org
from models.org import Organisation, generation
from models.store.statements import _TASK_COLUMNS
from models.workflow import HumanTask, ProcessDefinition


def org_record(o: Organisation) -> Org:
    return Org(
        id=o.id,
        code=o.code,
        name=o.name,
        short_name=o.short_name,
        kind=o.kind,
        parent_id=o.parent_id,
        symbol=o.symbol,
        grammar=o.grammar,
        counter_scope=o.counter_scope,
        place=o.place,
        school_level=o.school_level,
        ward_id=o.ward_id,
        managing_body=o.managing_body,
        closed=o.closed_at is not None,
    )


def definition_record(d: ProcessDefinition) -> DefinitionRecord:
    return DefinitionRecord(
        id=d.id,
        process_key=d.process_key,
        version=d.version,
        name=d.name,
        xml=d.xml,
        start_messages=list(d.start_messages or []),
        start_properties=dict(d.start_properties or {}),
        source=d.source,
    )


def instance_record(i) -> InstanceRecord:
    """From a ProcessInstance or a Core row of its columns (attribute access alike)."""
    return InstanceRecord(
        id=i.id,
        definition_id=i.definition_id,
        process_key=i.process_key,
        org_id=i.org_id,
        status=i.status,
        directive_id=i.directive_id,
        sender_org_id=i.sender_org_id,
        parent_instance_id=i.parent_instance_id,
        title=i.title,
        state_stamp=i.state_stamp,
    )


def task_record(t: HumanTask) -> HumanTaskRecord:
    return HumanTaskRecord(
        id=t.id,
        instance_id=t.instance_id,
        guid=t.guid,
        bpmn_id=t.bpmn_id,
        name=t.name,
        status=t.status,
        assignee_id=t.assignee_id,
        candidates=tuple((c.org_id, c.role) for c in t.candidates),
        candidate_users=tuple(t.candidate_users or ()),
        due_at=t.due_at,
        org_id=t.org_id,
        created_at=t.created_at,
    )


class _OrgIndex(dict):
    """Organisations by id, with the list and its lookups built once (`all`, an engine.core.orgs.OrgList)."""

    def __init__(self, items):
        super().__init__(items)
        self.all = OrgList(self.values())


class _OrgCache:
    """Organisations kept per process and database, reread only when their generation counter moved."""

    def __init__(self):
        self._entries: dict[URL, tuple[int, _OrgIndex]] = {}
        self._lock = threading.Lock()

    def get(self, session, known_generation: int | None = None) -> _OrgIndex:
        """`known_generation`: the counter as this transaction already read it (the instance lock reads it
        alongside the instance), saving the round trip."""
        connection = session.connection()
        key = connection.engine.url  # URLs hash by value: one entry per database
        current = (
            known_generation if known_generation is not None else generation(connection, Organisation.__tablename__)
        )
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == current:
            return entry[1]
        orgs = _OrgIndex((o.id, org_record(o)) for o in session.scalars(select(Organisation)))
        with self._lock:
            self._entries[key] = (current, orgs)
        return orgs


def _message_record(m) -> MessageRecord:
    return MessageRecord(
        id=m.id,
        name=m.name,
        payload=dict(m.payload),
        source_instance_id=m.source_instance_id,
        target_org_id=m.target_org_id,
        directive_id=m.directive_id,
        attempts=m.attempts,
    )


def _tasks_from_rows(rows, prefix: str = "") -> dict[int, HumanTaskRecord]:
    """Rows of task columns (named with `prefix`) and one candidate each, folded into one record per task."""
    names = [prefix + c.name for c in _TASK_COLUMNS]
    columns: dict[int, dict] = {}
    candidates: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        m = r._mapping
        task_id = m[names[0]]
        if task_id not in columns:
            columns[task_id] = {c.name: m[n] for c, n in zip(_TASK_COLUMNS, names, strict=True)}
            candidates[task_id] = []
        if r.c_org is not None:
            candidates[task_id].append((r.c_org, r.c_role))
    return {
        task_id: HumanTaskRecord(
            **dict(c, candidate_users=tuple(c["candidate_users"] or ())), candidates=tuple(candidates[task_id])
        )
        for task_id, c in columns.items()
    }
