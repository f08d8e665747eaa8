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
from models.store.pieces import _CLOSE_PIECE, _NEW_TASK_PIECE, _utc
from models.store.records import _tasks_from_rows, task_record
from models.store.statements import _CLOSE_CANDIDATES, _CLOSE_TASK, _INSERT_CANDIDATES, _INSERT_TASK, _OPEN_TASKS
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
        name = task.name[:300]
        values = {
            "instance_id": instance_id,
            "guid": task.guid,
            "bpmn_id": task.bpmn_id,
            "name": name,
            "org_id": task.org_id,
            "candidate_users": list(task.candidate_users),
            "due_at": task.due_at,
            "created_at": at,
            "document_id": task.document_id,
            "status": "open",
        }
        if self._pg:
            rows = self._candidate_rows(task.candidates, task.candidate_users)
            params = {
                **values,
                "candidate_users": json.dumps(values["candidate_users"]),
                "due_at": _utc(task.due_at),
                "created_at": _utc(at),
                "c_orgs": [r["org_id"] for r in rows],
                "c_roles": [r["role"] for r in rows],
            }
            del params["status"]
            piece = deferred.Piece(_NEW_TASK_PIECE, params)
            ((task_id,),) = deferred.execute_with_waiting(self.session.connection(), piece, "SELECT id FROM {p}task")
        else:
            task_id = self._exec(_INSERT_TASK, values).scalar_one()
            rows = self._add_candidates(task_id, task.candidates, task.candidate_users, task.due_at, at, claimed=False)
        guids = self._facts()._open_guids.get(instance_id)
        if guids is not None:
            guids[task.guid] = task_id
        known = self._facts()._open.get(instance_id)
        if known is not None:
            known[task_id] = HumanTaskRecord(
                id=task_id,
                instance_id=instance_id,
                guid=task.guid,
                bpmn_id=task.bpmn_id,
                name=name,
                status="open",
                assignee_id=None,
                candidates=tuple((r["org_id"], r["role"]) for r in rows),
                candidate_users=tuple(task.candidate_users),
                due_at=task.due_at,
                org_id=task.org_id,
                created_at=at,
            )
        return task_id

    def _add_candidates(self, task_id, candidates, candidate_users, due_at, created_at, *, claimed: bool) -> list:
        """Inbox rows of a task: its (organisation, role) pairs and, for people named on it, "user:<id>"."""
        rows = self._candidate_rows(candidates, candidate_users)
        if rows:
            common = {"human_task_id": task_id, "is_open": True, "claimed": claimed, "due_at": due_at}
            self._exec(_INSERT_CANDIDATES, [{**common, "created_at": created_at, **row} for row in rows])
        return rows

    def _candidate_rows(self, candidates, candidate_users) -> list[dict]:
        rows = [{"org_id": o, "role": r} for o, r in candidates]
        if candidate_users:
            named = self.session.execute(select(User.id, User.org_id).where(User.id.in_(list(candidate_users))))
            rows += [{"org_id": org_id, "role": f"user:{user_id}"} for user_id, org_id in named]
        return rows

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
