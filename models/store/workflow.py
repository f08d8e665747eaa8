"""Definitions, instances and their stored state: the hot path's lock, state read and state write."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import URL

from engine.core.ports import DefinitionRecord, HumanTaskRecord, InstanceRecord
from engine.core.state import StateChanges, StoredState, TaskRow
from models import deferred
from models.base import utcnow
from models.store.base import _UNREAD, StoreBase
from models.store.pieces import _NEW_INSTANCE_PIECE, _state_piece, _utc
from models.store.records import _tasks_from_rows, definition_record, instance_record
from models.store.statements import (
    _BUMP_BY_ID,
    _BUMP_BY_TASK,
    _FINISH,
    _INSERT_DATA,
    _INSERT_INSTANCE,
    _LOCK_BY_ID,
    _LOCK_TASK,
    _PART,
    _PD,
    _ROW,
    _SET_STAMP,
    _SET_STAMP_AND_SUMMARY,
    _SET_SUMMARY,
    _STATE,
    _UPDATE_PART,
    _UPDATE_ROW,
)
from models.workflow import ProcessDefinition, ProcessInstance, WorkflowPart, WorkflowTaskRow

_definitions: dict[tuple[URL, int, str | None], DefinitionRecord] = {}  # (database, id, sha256) -> record


class WorkflowStore(StoreBase):
    """Deployed definitions (cached per process), instances, their locks and their state."""

    # definitions ------------------------------------------------------------------------------------
    def definition(self, definition_id: int) -> DefinitionRecord:
        """A deployed version never changes: kept per process, re-read only if its content hash differs."""
        digest = self._facts()._sha.get(definition_id)
        if digest is None:
            digest = self.session.scalar(select(_PD.c.sha256).where(_PD.c.id == definition_id))
        key = (self.session.get_bind().url, definition_id, digest)
        record = _definitions.get(key)
        if record is None:
            record = definition_record(self.session.get(ProcessDefinition, definition_id))
            _definitions[key] = record
        return record

    def latest_definition(self, process_key: str) -> DefinitionRecord | None:
        d = self.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).first()
        return definition_record(d) if d else None

    def latest_definitions(self) -> list[DefinitionRecord]:
        latest = (
            select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("v"))
            .group_by(ProcessDefinition.process_key)
            .subquery()
        )
        rows = self.session.scalars(
            select(ProcessDefinition)
            .join(
                latest,
                (ProcessDefinition.process_key == latest.c.process_key) & (ProcessDefinition.version == latest.c.v),
            )
            .order_by(ProcessDefinition.process_key)
        )
        return [definition_record(d) for d in rows]

    def latest_definition_heads(self) -> list[tuple[int, str, datetime]]:
        """(id, sha256, deployed_at) of each process's latest version, without the XML: the worker's round."""
        latest = select(_PD.c.process_key, func.max(_PD.c.version).label("v")).group_by(_PD.c.process_key).subquery()
        rows = self.session.execute(
            select(_PD.c.id, _PD.c.sha256, _PD.c.deployed_at).join(
                latest, (_PD.c.process_key == latest.c.process_key) & (_PD.c.version == latest.c.v)
            )
        )
        return [(r.id, r.sha256, r.deployed_at) for r in rows]

    def add_definition(
        self, process_key, name, xml, sha256, start_messages, start_properties, deployed_by, source
    ) -> DefinitionRecord:
        # Two deploys of one process at once: the no-op update locks its versions (PostgreSQL: their rows;
        # SQLite: the database's write lock) so the second counts after the first commits, and gets the next
        # number instead of a duplicate.
        self.session.execute(
            update(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .values(version=ProcessDefinition.version)
            .execution_options(synchronize_session=False)
        )
        current = (
            self.session.scalar(
                select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == process_key)
            )
            or 0
        )
        row = ProcessDefinition(
            process_key=process_key,
            version=current + 1,
            name=name,
            xml=xml,
            sha256=sha256,
            start_messages=start_messages,
            start_properties=start_properties,
            deployed_by_id=deployed_by,
            source=source,
        )
        self.session.add(row)
        self.session.flush()
        return definition_record(row)

    def definition_version(self, process_key: str, version: int) -> DefinitionRecord | None:
        d = self.session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.process_key == process_key, ProcessDefinition.version == version
            )
        ).first()
        return definition_record(d) if d else None

    def definition_versions(self, process_key: str) -> list[DefinitionRecord]:
        rows = self.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .order_by(ProcessDefinition.version)
        )
        return [definition_record(d) for d in rows]

    # instances --------------------------------------------------------------------------------------
    def create_instance(
        self,
        definition,
        org_id,
        title,
        *,
        directive_id,
        sender_org_id,
        parent_instance_id,
        started_by,
        serializer_version,
        subject=None,
    ) -> InstanceRecord:
        values = dict(
            definition_id=definition.id,
            process_key=definition.process_key,
            org_id=org_id,
            title=title[:500],
            directive_id=directive_id,
            sender_org_id=sender_org_id,
            parent_instance_id=parent_instance_id,
            started_by_id=started_by,
            serializer_version=serializer_version,
            summary={},
            status="running",
            subject=subject,
        )
        facts = self._facts()
        if self._pg:  # its id taken ahead, the insert waits for the step's next statement (models.deferred)
            instance_id = self._defer_new_instance(values)
        else:
            instance_id = self.session.execute(_INSERT_INSTANCE, values).scalar_one()
        # no one else sees the new instance before commit: it is as good as locked, and has no tasks yet
        facts._locked.add(instance_id)
        facts._open[instance_id] = {}
        facts._open_guids[instance_id] = {}
        facts._summaries[instance_id] = {}
        return InstanceRecord(
            id=instance_id,
            definition_id=definition.id,
            process_key=definition.process_key,
            org_id=org_id,
            status="running",
            directive_id=directive_id,
            sender_org_id=sender_org_id,
            parent_instance_id=parent_instance_id,
            title=values["title"],
        )

    def _defer_new_instance(self, values: dict) -> int:
        session = self.session
        if session.new or session.dirty or session.deleted:
            session.flush()  # rows it refers to (a directive just issued) go first, as `_exec` does
        connection = session.connection()
        (instance_id,) = deferred.next_ids(connection, "process_instance")
        params = {
            **values,
            "id": instance_id,
            "started_at": _utc(utcnow()),
            "summary": json.dumps(values["summary"]),
            "stamp": None,
        }
        del params["status"]
        piece = deferred.Piece(_NEW_INSTANCE_PIECE, params, ("instance", instance_id))
        deferred.defer(connection, piece)
        self._facts()._new_instances[instance_id] = piece
        return instance_id

    def instance(self, instance_id: int) -> InstanceRecord:
        inst = self.session.get(ProcessInstance, instance_id)
        if inst is None:
            raise LookupError(f"instance {instance_id}")
        return instance_record(inst)

    def lock_instance(self, instance_id: int) -> InstanceRecord:
        """Hold the instance until commit (PostgreSQL: its row lock; SQLite: the database's write lock)."""
        if not self._pg:
            self._exec(_BUMP_BY_ID, {"i": instance_id})
        row = self._exec(_LOCK_BY_ID[self._pg], {"i": instance_id}).first()
        if row is None:
            raise LookupError(f"instance {instance_id}")
        return self._hold(row)

    def lock_task(self, task_id: int) -> tuple[InstanceRecord, HumanTaskRecord] | None:
        """Lock the instance a task belongs to, then read the task (whatever its status) and the guids of the
        instance's open tasks, which stay known to this transaction. None when there is no such task."""
        if not self._pg:
            self._exec(_BUMP_BY_TASK, {"t": task_id})
        rows = self._exec(_LOCK_TASK[self._pg], {"t": task_id}).all()
        if not rows:
            return None
        mine = [r for r in rows if r.t_id == task_id]
        instance = self._hold(mine[0] if mine else rows[0])  # the task's rows carry the summary
        self._open_guids[instance.id] = {r.t_guid: r.t_id for r in rows if r.t_id is not None and r.t_status == "open"}
        task = _tasks_from_rows(mine, prefix="t_").get(task_id)
        return (instance, task) if task is not None else None

    def _hold(self, row) -> InstanceRecord:
        facts = self._facts()
        facts._locked.add(row.id)
        facts._summaries[row.id] = row.summary
        facts._sha[row.definition_id] = row.definition_sha256
        facts._org_generation = row.org_generation or 0
        return instance_record(row)

    def load_state(self, instance_id: int) -> StoredState:
        parts, rows, data = {}, [], {}
        for kind, key, part_key, props, digest, task_data in self._exec(_STATE, {"i": instance_id}):
            if kind == "r":
                rows.append(TaskRow(key, part_key, props, digest))
                data[digest] = task_data
            else:
                parts[key] = props
        return StoredState(parts=parts, rows=rows, data=data)

    def save_state(self, instance_id: int, changes: StateChanges, stamp: int, summary: dict | None = None) -> None:
        """Write what a step changed, the instance's new state stamp and, if it changed, its summary."""
        facts = self._facts()
        if summary is not None and facts._summaries.get(instance_id, _UNREAD) == summary:
            summary = None  # read under this transaction's lock: nothing to write
        if summary is not None:
            facts._summaries[instance_id] = summary
        if self._pg:
            connection = self.session.connection()
            new_row = facts._new_instances.pop(instance_id, None)
            if new_row is not None and any(p is new_row for p in deferred.waiting(connection)):
                new_row.params["stamp"] = stamp  # the new row is written with its first stamp and summary
                if summary is not None:
                    new_row.params["summary"] = json.dumps(summary)
                deferred.defer(connection, _state_piece(instance_id, changes, stamp, summary, stamped=False))
            else:
                deferred.defer(connection, _state_piece(instance_id, changes, stamp, summary))
            return
        s = self.session
        if summary is None:
            self._exec(_SET_STAMP, {"i": instance_id, "stamp": stamp})
        else:
            self._exec(_SET_STAMP_AND_SUMMARY, {"i": instance_id, "stamp": stamp, "summary": summary})
        if changes.data:
            self._exec(_INSERT_DATA[self._pg], [{"hash": h, "data": d} for h, d in changes.data.items()])
        if changes.deleted_parts:
            s.execute(
                delete(WorkflowPart).where(
                    WorkflowPart.instance_id == instance_id, WorkflowPart.key.in_(changes.deleted_parts)
                )
            )
        if changes.deleted_rows:
            s.execute(
                delete(WorkflowTaskRow).where(
                    WorkflowTaskRow.instance_id == instance_id, WorkflowTaskRow.guid.in_(changes.deleted_rows)
                )
            )
        # the snapshot tells which rows exist already: updates go by (instance, key/guid), no lookups
        part_updates, part_inserts = [], []
        for k, props in changes.parts.items():
            if k in changes.new_parts:
                part_inserts.append({"instance_id": instance_id, "key": k, "props": props})
            else:
                part_updates.append({"i": instance_id, "k": k, "p": props})
        if part_updates:
            self._exec(_UPDATE_PART, part_updates)
        if part_inserts:
            s.execute(insert(_PART), part_inserts)
        row_updates, row_inserts = [], []
        for r in changes.rows:
            if r.guid in changes.new_rows:
                row_inserts.append(
                    {
                        "instance_id": instance_id,
                        "guid": r.guid,
                        "part_key": r.part_key,
                        "props": r.props,
                        "data_hash": r.data_hash,
                    }
                )
            else:
                row_updates.append(
                    {"i": instance_id, "g": r.guid, "props": r.props, "data_hash": r.data_hash, "part_key": r.part_key}
                )
        if row_updates:
            self._exec(_UPDATE_ROW, row_updates)
        if row_inserts:
            s.execute(insert(_ROW), row_inserts)

    def finish_instance(self, instance_id: int, status: str, at: datetime) -> None:
        self._exec(_FINISH, {"i": instance_id, "status": status, "at": at})

    def set_instance_summary(self, instance_id: int, summary: dict) -> None:
        if self._facts()._summaries.get(instance_id, _UNREAD) == summary:
            return  # read under this transaction's lock: nothing to write
        self._exec(_SET_SUMMARY, {"i": instance_id, "summary": summary})
        self._summaries[instance_id] = summary

    def instance_by_subject(self, process_key: str, org_id: int, subject: str) -> int | None:
        """The instance with this business key, if any (the unique key `uq_instance_subject` allows one)."""
        stmt = select(ProcessInstance.id).where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.org_id == org_id,
            ProcessInstance.subject == subject,
        )
        return self.session.scalars(stmt).first()

    def find_instance(self, org_id: int, directive_id: int, process_key: str | None = None) -> int | None:
        stmt = select(ProcessInstance.id).where(
            ProcessInstance.org_id == org_id, ProcessInstance.directive_id == directive_id
        )
        if process_key:
            stmt = stmt.where(ProcessInstance.process_key == process_key)
        return self.session.scalars(stmt.order_by(ProcessInstance.id).limit(1)).first()

    def running_instances(self, process_key: str) -> list[InstanceRecord]:
        rows = self.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.process_key == process_key, ProcessInstance.status == "running")
            .order_by(ProcessInstance.id)
        )
        return [instance_record(i) for i in rows]

    def set_instance_definition(self, instance_id: int, definition_id: int) -> None:
        self.session.get(ProcessInstance, instance_id).definition_id = definition_id
        self.session.flush()
