"""The task list of the API (`GET /api/tasks`): a page of plain rows and a capped total, read-only.

Every (organisation, role) an actor holds is one ordered scan of the candidate rows' partial index, stopped at
the page size; filters on the task or its instance (process, organisation, directive, instance, text, returned)
are joined into each scan, so a page stops as soon as it is full instead of reading every task the actor may
see. The total is counted to a cap: above it the answer says "more than the cap", never reads the rest."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Row, func, select, union, union_all

from engine.core.clock import clock
from engine.core.ports import Actor
from models import db
from models.org import Organisation
from models.workflow import HumanTask, HumanTaskCandidate, ProcessInstance
from web.queries import _CANDIDATE_SORTS, SORTS, TaskFilter, _cursor, _keyset, _narrow

TOTAL_CAP = 1_000  # the total is exact up to this many tasks; beyond, "more than 1,000"


def _branches(actor: Actor, scope: str, sort: str | None, limit: int, f: TaskFilter, cursor) -> list:
    """One select of task ids per (organisation, role) I hold, and one of the tasks claimed by me, each with
    the filter applied and stopped at `limit` (in the page's order when `sort` is given)."""
    c, now = HumanTaskCandidate, clock.now()
    joined = f.narrows
    rest = replace(f, overdue=False)  # the date filter and the cursor apply to the candidate rows' copies
    out = []
    if scope != "mine":
        keys = [(org_id, role) for org_id in sorted(actor.org_scope) for role in sorted(actor.roles)]
        if actor.user_id is not None and actor.org_id is not None:
            keys.append((actor.org_id, f"user:{actor.user_id}"))
        for org_id, role in keys:
            b = select(c.human_task_id.label("id")).where(c.org_id == org_id, c.role == role, c.is_open)
            if scope == "unclaimed":
                b = b.where(c.claimed.is_(False))
            if f.overdue:
                b = b.where(c.due_at < now)
            if cursor is not None:
                b = b.where(_keyset(sort, c.due_at, c.created_at, c.human_task_id, cursor))
            if joined:
                b = _joined(b.join(HumanTask, HumanTask.id == c.human_task_id), rest, sort)
            out.append((b.order_by(*_CANDIDATE_SORTS[sort]) if sort else b).limit(limit))
    if scope != "unclaimed" and actor.user_id is not None:
        mine = select(HumanTask.id.label("id")).where(
            HumanTask.assignee_id == actor.user_id, HumanTask.status == "open"
        )
        mine = _narrow(mine, f, cursor, sort or "due", joined=False)
        out.append((mine.order_by(*SORTS[sort]) if sort else mine).limit(limit))
    return out


class UnknownCursor(LookupError):
    """`after` names no task."""


def _joined(stmt, f: TaskFilter, sort: str | None):
    """A candidate scan narrowed by what its task and instance carry, joining only what the filter reads."""
    if f.q or f.returned:
        return _narrow(stmt, f, None, sort or "due", joined=False)
    if f.instance_id:
        stmt = stmt.where(HumanTask.instance_id == f.instance_id)
    if f.process or f.org_id or f.document_id:
        stmt = stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    if f.process:
        stmt = stmt.where(ProcessInstance.process_key == f.process)
    if f.org_id:
        stmt = stmt.where(ProcessInstance.org_id == f.org_id)
    if f.document_id:
        stmt = stmt.where(ProcessInstance.directive_id == f.document_id)
    return stmt


def task_page(actor: Actor, *, scope: str, sort: str, limit: int, filters: TaskFilter) -> list[Row]:
    """Up to `limit` open tasks after `filters.after` in the page's order, as rows of id, name, bpmn_id,
    status, instance_id, process_key, organisation (the task's), assignee_id, due_at, created_at. One query
    (and one for the cursor's dates); UnknownCursor when `after` is no task's id."""
    sort = sort if sort in SORTS else "due"
    cursor = _cursor(filters.after)
    if filters.after is not None and cursor is None:
        raise UnknownCursor(filters.after)
    branches = _branches(actor, scope, sort, limit, filters, cursor)
    if not branches:
        return []
    ids = union_all(*(b.subquery().select() for b in branches)).subquery()
    stmt = (
        select(
            HumanTask.id,
            HumanTask.name,
            HumanTask.bpmn_id,
            HumanTask.status,
            HumanTask.instance_id,
            ProcessInstance.process_key,
            Organisation.name.label("organisation"),
            HumanTask.assignee_id,
            HumanTask.due_at,
            HumanTask.created_at,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Organisation, Organisation.id == HumanTask.org_id)
        .where(HumanTask.id.in_(select(ids.c.id)), HumanTask.status == "open")
    )
    if scope == "unclaimed":
        stmt = stmt.where(HumanTask.assignee_id.is_(None))
    return list(db.session.execute(stmt.order_by(*SORTS[sort]).limit(limit)))


def candidates(task_ids: list[int]) -> dict[int, list[dict]]:
    """Who may take each of these tasks: {task id: [{org_id, role}, …]} in the order they were offered."""
    c = HumanTaskCandidate
    out: dict[int, list[dict]] = {t: [] for t in task_ids}
    if task_ids:
        stmt = select(c.human_task_id, c.org_id, c.role).where(c.human_task_id.in_(task_ids)).order_by(c.id)
        for task_id, org_id, role in db.session.execute(stmt):
            out[task_id].append({"org_id": org_id, "role": role})
    return out


def task_total(actor: Actor, *, scope: str, filters: TaskFilter, cap: int | None = None) -> tuple[int, bool]:
    """(how many open tasks match the filter, whether that is exact): counted to `cap` (TOTAL_CAP) + 1 at
    most, so the cost is bounded however many tasks there are; above the cap the answer is (cap, False)."""
    cap = TOTAL_CAP if cap is None else cap
    f = replace(filters, after=None)
    branches = _branches(actor, scope, None, cap + 1, f, None)
    if not branches:
        return 0, True
    ids = union(*(b.subquery().select() for b in branches)).subquery()
    found = db.session.scalar(select(func.count()).select_from(select(ids.c.id).limit(cap + 1).subquery())) or 0
    return (cap, False) if found > cap else (found, True)
