"""The inbox projection: human tasks and their candidate rows."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from engine.core.ports import HumanTaskRecord, NewHumanTask
from models import deferred
from models.org import User
from models.store.base import StoreBase
from models.store.pieces import _CLOSE_PIECE, _NEW_TASKS_PIECE, _utc
from models.store.records import _tasks_from_rows, task_record
from models.store.statements import (
    _CLOSE_CANDIDATES,
    _CLOSE_TASK,
    _INSERT_CANDIDATES,
    _INSERT_TASK,
    _INSERT_TASK_WITH_ID,
    _OPEN_TASKS,
)
from models.workflow import HumanTask, HumanTaskCandidate


class InboxStore(StoreBase):
    """Human tasks and their (organisation, role) candidate rows, kept in step with this transaction's facts."""

    # inbox ------------------------------------------------------------------------------------------
    def human_task(self, task_id: int) -> HumanTaskRecord | None:
        t = self.session.get(HumanTask, task_id, populate_existing=True, options=[joinedload(HumanTask.candidates)])
        return task_record(t) if t else None

    def open_human_tasks(self, instance_id: int) -> list[HumanTaskRecord]:
        facts = self._facts()
        known = facts._open.get(instance_id)
        if known is None:
            known = _tasks_from_rows(self._exec(_OPEN_TASKS, {"i": instance_id}))
            if instance_id in facts._locked:  # no one else can change them until this transaction ends
                facts._open[instance_id] = known
        return list(known.values())

    def open_task_guids(self, instance_id: int) -> dict[str, int]:
        """guid -> id of the instance's open tasks: known from its lock (or its creation) in this transaction,
        else read."""
        facts = self._facts()
        known = facts._open_guids.get(instance_id)
        if known is None or instance_id not in facts._locked:
            return {t.guid: t.id for t in self.open_human_tasks(instance_id)}
        return dict(known)

    def add_human_task(self, instance_id: int, task: NewHumanTask, at: datetime) -> int:
        return self.add_human_tasks(instance_id, [task], at)[0]

    def add_human_tasks(self, instance_id: int, tasks: list[NewHumanTask], at: datetime) -> list[int]:
        """New open tasks of an instance with their inbox rows; their ids, in the order given. PostgreSQL: one
        statement (with whatever waits in front of it), however many tasks; SQLite: one executemany for the tasks
        and one for their candidate rows."""
        if not tasks:
            return []
        named = self._named_candidates({u for t in tasks for u in t.candidate_users})
        rows = [
            [{"org_id": o, "role": r} for o, r in t.candidates]
            + [{"org_id": named[u], "role": f"user:{u}"} for u in t.candidate_users if u in named]
            for t in tasks
        ]
        if self._pg:
            ids = self._insert_tasks_pg(instance_id, tasks, rows, at)
        else:
            values = [
                {
                    "instance_id": instance_id,
                    "guid": t.guid,
                    "bpmn_id": t.bpmn_id,
                    "name": t.name[:300],
                    "org_id": t.org_id,
                    "candidate_users": list(t.candidate_users),
                    "due_at": t.due_at,
                    "created_at": at,
                    "document_id": t.document_id,
                    "status": "open",
                }
                for t in tasks
            ]
            # the first insert takes the database's write lock and the next id; no one else can insert until this
            # transaction ends, so the others take the ids after it (one executemany, in the order given)
            first = self._exec(_INSERT_TASK, values[0]).scalar_one()
            ids = list(range(first, first + len(values)))
            if len(values) > 1:
                self._exec(_INSERT_TASK_WITH_ID, [{**v, "id": i} for i, v in zip(ids[1:], values[1:], strict=True)])
            candidates = [
                {"human_task_id": i, "is_open": True, "claimed": False, "due_at": t.due_at, "created_at": at, **row}
                for i, t, task_rows in zip(ids, tasks, rows, strict=True)
                for row in task_rows
            ]
            if candidates:
                self._exec(_INSERT_CANDIDATES, candidates)
        facts = self._facts()
        guids, known = facts._open_guids.get(instance_id), facts._open.get(instance_id)
        for task_id, t, task_rows in zip(ids, tasks, rows, strict=True):
            if guids is not None:
                guids[t.guid] = task_id
            if known is not None:
                known[task_id] = HumanTaskRecord(
                    id=task_id,
                    instance_id=instance_id,
                    guid=t.guid,
                    bpmn_id=t.bpmn_id,
                    name=t.name[:300],
                    status="open",
                    assignee_id=None,
                    candidates=tuple((r["org_id"], r["role"]) for r in task_rows),
                    candidate_users=tuple(t.candidate_users),
                    due_at=t.due_at,
                    org_id=t.org_id,
                    created_at=at,
                )
        return ids

    def _insert_tasks_pg(self, instance_id: int, tasks: list[NewHumanTask], rows: list[list[dict]], at) -> list[int]:
        """One statement with whatever waits in front of it, answering the new tasks' ids."""
        dues = [_utc(t.due_at) for t in tasks]
        params = {
            "instance_id": instance_id,
            "created_at": _utc(at),
            "guids": [t.guid for t in tasks],
            "bpmn_ids": [t.bpmn_id for t in tasks],
            "names": [t.name[:300] for t in tasks],
            "org_ids": [t.org_id for t in tasks],
            "users": [json.dumps(list(t.candidate_users)) for t in tasks],
            "due_ats": dues,
            "document_ids": [t.document_id for t in tasks],
            "c_guids": [t.guid for t, task_rows in zip(tasks, rows, strict=True) for _ in task_rows],
            "c_orgs": [r["org_id"] for task_rows in rows for r in task_rows],
            "c_roles": [r["role"] for task_rows in rows for r in task_rows],
            "c_dues": [due for due, task_rows in zip(dues, rows, strict=True) for _ in task_rows],
        }
        piece = deferred.Piece(_NEW_TASKS_PIECE, params)
        connection = self.session.connection()
        answered = dict(deferred.execute_with_waiting(connection, piece, "SELECT guid, id FROM {p}tasks"))
        return [answered[t.guid] for t in tasks]

    def _add_candidates(self, task_id, candidates, candidate_users, due_at, created_at, *, claimed: bool) -> list:
        """Inbox rows of a task: its (organisation, role) pairs and, for people named on it, "user:<id>"."""
        rows = self._candidate_rows(candidates, candidate_users)
        if rows:
            common = {"human_task_id": task_id, "is_open": True, "claimed": claimed, "due_at": due_at}
            self._exec(_INSERT_CANDIDATES, [{**common, "created_at": created_at, **row} for row in rows])
        return rows

    def _candidate_rows(self, candidates, candidate_users) -> list[dict]:
        rows = [{"org_id": o, "role": r} for o, r in candidates]
        named = self._named_candidates(set(candidate_users))
        return rows + [{"org_id": named[u], "role": f"user:{u}"} for u in candidate_users if u in named]

    def _named_candidates(self, user_ids: set[int]) -> dict[int, int]:
        """user id -> organisation of the people named on tasks (their inbox rows are "user:<id>")."""
        if not user_ids:
            return {}
        return dict(self.session.execute(select(User.id, User.org_id).where(User.id.in_(sorted(user_ids)))).all())

    def close_human_task(self, task_id: int, status: str, by_user: int | None, at: datetime) -> None:
        params = {"t": task_id, "status": status, "at": at, "by": by_user}
        if self._pg:
            params["at"] = _utc(at)
            deferred.defer(self.session.connection(), deferred.Piece(_CLOSE_PIECE, params, ("task", task_id)))
        else:
            self._exec(_CLOSE_TASK, params)
            self._exec(_CLOSE_CANDIDATES, {"t": task_id})
        for known in self._facts()._open.values():
            known.pop(task_id, None)
        for guids in self._facts()._open_guids.values():
            for guid in [g for g, i in guids.items() if i == task_id]:
                del guids[guid]

    def set_assignee(self, task_id: int, user_id: int | None) -> None:
        self._facts()._open.clear()  # reread on next use
        self.session.get(HumanTask, task_id).assignee_id = user_id
        self.session.execute(
            update(HumanTaskCandidate)
            .where(HumanTaskCandidate.human_task_id == task_id)
            .values(claimed=user_id is not None)
        )

    def update_human_task(self, task_id, *, name, org_id, candidates, candidate_users, due_at, release_claim) -> None:
        self._facts()._open.clear()  # reread on next use
        row = self.session.get(HumanTask, task_id)
        row.name, row.org_id, row.candidate_users, row.due_at = name[:300], org_id, list(candidate_users), due_at
        if release_claim:
            row.assignee_id = None
        self.session.flush()
        self.session.execute(delete(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id == task_id))
        self.session.expire(row, ["candidates"])
        self._add_candidates(
            task_id, candidates, candidate_users, due_at, row.created_at, claimed=row.assignee_id is not None
        )

    def last_completion(self, instance_id: int, bpmn_id: str) -> int | None:
        return self.session.scalars(
            select(HumanTask.completed_by_id)
            .where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "completed")
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
            .limit(1)
        ).first()
