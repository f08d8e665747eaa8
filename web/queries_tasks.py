"""The task list of the API (`GET /api/tasks`): a page of plain rows and a capped total, read-only.

Every (organisation, role) an actor holds is one ordered scan of the candidate rows' partial index, stopped at
the page size; filters on the task or its instance (process, organisation, directive, instance, text, returned)
are joined into each scan, so a page stops as soon as it is full instead of reading every task the actor may
see. The total is counted to a cap: above it the answer says "more than the cap", never reads the rest."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Integer, Row, String, bindparam, func, select, union, union_all

from engine.core.clock import clock
from engine.core.ports import Actor
from models import db
from models.org import Organisation
from models.workflow import HumanTask, HumanTaskCandidate, ProcessInstance
from web.queries import _CANDIDATE_SORTS, OPEN_COPY, SORTS, TaskFilter, _cursor, _keyset, _narrow

TOTAL_CAP = 1_000  # the total is exact up to this many tasks; beyond, "more than 1,000"
_STATEMENTS: dict[tuple, object] = {}  # built once per shape (values are named parameters): no rebuild per request
_P = {
    name: bindparam(name, type_=kind)
    for name, kind in (
        ("now", HumanTask.due_at.type),
        ("c_due", HumanTask.due_at.type),
        ("c_created", HumanTask.created_at.type),
        ("c_id", Integer()),
        ("user_id", Integer()),
        ("user_role", String()),
        ("home", Integer()),
        ("instance", Integer()),
        ("process", String()),
        ("org", Integer()),
        ("document", Integer()),
    )
}


class UnknownCursor(LookupError):
    """`after` names no task."""


def _keys(actor: Actor, scope: str) -> list[tuple[int, str]]:
    """The (organisation, role) pairs whose candidate rows I read: my roles in my scope, and me by name."""
    if scope == "mine":
        return []
    keys = [(org_id, role) for org_id in sorted(actor.org_scope) for role in sorted(actor.roles)]
    if actor.user_id is not None and actor.org_id is not None:
        keys.append((actor.org_id, f"user:{actor.user_id}"))
    return keys


def _params(actor: Actor, scope: str, limit: int, f: TaskFilter, cursor) -> dict:
    params = {"lim": limit, "now": clock.now(), "user_id": actor.user_id}
    for i, (org_id, role) in enumerate(_keys(actor, scope)):
        params[f"org{i}"], params[f"role{i}"] = org_id, role
    if cursor is not None:
        params["c_due"], params["c_created"], params["c_id"] = cursor
    params.update(instance=f.instance_id, process=f.process, org=f.org_id, document=f.document_id)
    return params


def _shape(kind: str, actor: Actor, scope: str, sort: str | None, f: TaskFilter, cursor) -> tuple:
    """What decides a statement's SQL (never the values): the cache key of `_STATEMENTS`."""
    return (
        kind,
        scope,
        sort,
        len(_keys(actor, scope)),
        scope != "unclaimed" and actor.user_id is not None,
        None if cursor is None else cursor[0] is None,
        f.overdue,
        bool(f.instance_id),
        bool(f.process),
        bool(f.org_id),
        bool(f.document_id),
    )


def _filtered(stmt, f: TaskFilter):
    """A scan narrowed by what its task (joined) and instance carry, joining the instance only when needed."""
    if f.instance_id:
        stmt = stmt.where(HumanTask.instance_id == _P["instance"])
    if f.process or f.org_id or f.document_id:
        stmt = stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    if f.process:
        stmt = stmt.where(ProcessInstance.process_key == _P["process"])
    if f.org_id:
        stmt = stmt.where(ProcessInstance.org_id == _P["org"])
    if f.document_id:
        stmt = stmt.where(ProcessInstance.directive_id == _P["document"])
    return stmt


def _narrowed(stmt, f: TaskFilter, sort: str | None, text_filter: bool):
    """Text and "came back" filters through the inbox's `_narrow` (literal values), the others as parameters."""
    return _narrow(stmt, f, None, sort or "due", joined=False) if text_filter else _filtered(stmt, f)


def _branches(actor: Actor, scope: str, sort: str | None, f: TaskFilter, cursor) -> list:
    """One select of task ids per (organisation, role) I hold, and one of the tasks claimed by me, each with
    the filter applied and stopped at `:lim` (in the page's order when `sort` is given). Filters the candidate
    rows do not carry join their task (and instance) into the ordered scan, so it still stops at a page."""
    c, lim = HumanTaskCandidate, bindparam("lim", type_=Integer())
    mark = None if cursor is None else (None if cursor[0] is None else _P["c_due"], _P["c_created"], _P["c_id"])
    text_filter = bool(f.q or f.returned)  # matched by `_narrow` on literal values: such statements are not kept
    rest = replace(f, overdue=False, after=None)
    out = []
    for i, _ in enumerate(_keys(actor, scope)):
        org_id, role = bindparam(f"org{i}", type_=Integer()), bindparam(f"role{i}", type_=String())
        b = select(c.human_task_id.label("id")).where(c.org_id == org_id, c.role == role, OPEN_COPY)
        if scope == "unclaimed":
            b = b.where(c.claimed.is_(False))
        if f.overdue:
            b = b.where(c.due_at < _P["now"])
        if mark is not None:
            b = b.where(_keyset(sort, c.due_at, c.created_at, c.human_task_id, mark))
        if f.narrows:
            b = _narrowed(b.join(HumanTask, HumanTask.id == c.human_task_id), rest, sort, text_filter)
        out.append((b.order_by(*_CANDIDATE_SORTS[sort]) if sort else b).limit(lim))
    if scope != "unclaimed" and actor.user_id is not None:
        t = HumanTask
        # my claimed tasks are few (ix_human_task_claimed): read whole, the page's order and cut come after
        mine = select(t.id.label("id")).where(t.assignee_id == _P["user_id"], t.status == "open")
        if f.overdue:
            mine = mine.where(t.due_at < _P["now"])
        if mark is not None:
            mine = mine.where(_keyset(sort, t.due_at, t.created_at, t.id, mark))
        mine = _narrowed(mine, rest, sort, text_filter)
        out.append(mine)
    return out


def _statement(kind: str, actor: Actor, scope: str, sort: str | None, f: TaskFilter, cursor, build):
    """The statement of this shape, built by `build(branches)` once and kept (unless a text filter is in it)."""
    key = _shape(kind, actor, scope, sort, f, cursor)
    stmt = _STATEMENTS.get(key) if not (f.q or f.returned) else None
    if stmt is None:
        branches = _branches(actor, scope, sort, f, cursor)
        stmt = build(branches) if branches else False
        if not (f.q or f.returned):
            _STATEMENTS[key] = stmt
    return stmt


def _page_statement(scope: str, sort: str):
    def build(branches):
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
        return stmt.order_by(*SORTS[sort]).limit(bindparam("lim", type_=Integer()))

    return build


def task_page(actor: Actor, *, scope: str, sort: str, limit: int, filters: TaskFilter) -> list[Row]:
    """Up to `limit` open tasks after `filters.after` in the page's order, as rows of id, name, bpmn_id,
    status, instance_id, process_key, organisation (the task's), assignee_id, due_at, created_at. One query
    (and one for the cursor's dates); UnknownCursor when `after` is no task's id."""
    sort = sort if sort in SORTS else "due"
    cursor = _cursor(filters.after)
    if filters.after is not None and cursor is None:
        raise UnknownCursor(filters.after)
    stmt = _statement("page", actor, scope, sort, filters, cursor, _page_statement(scope, sort))
    if stmt is False:
        return []
    return list(db.session.execute(stmt, _params(actor, scope, limit, filters, cursor)))


def _count_statement(branches):
    ids = union(*(b.subquery().select() for b in branches)).subquery()
    capped = select(ids.c.id).limit(bindparam("lim", type_=Integer())).subquery()
    return select(func.count()).select_from(capped)


def task_total(actor: Actor, *, scope: str, filters: TaskFilter, cap: int | None = None) -> tuple[int, bool]:
    """(how many open tasks match the filter, whether that is exact): counted to `cap` (TOTAL_CAP) + 1 at
    most, so the cost is bounded however many tasks there are; above the cap the answer is (cap, False)."""
    cap = TOTAL_CAP if cap is None else cap
    f = replace(filters, after=None)
    stmt = _statement("total", actor, scope, None, f, None, _count_statement)
    if stmt is False:
        return 0, True
    found = db.session.scalar(stmt, _params(actor, scope, cap + 1, f, None)) or 0
    return (cap, False) if found > cap else (found, True)


def candidates(task_ids: list[int]) -> dict[int, list[dict]]:
    """Who may take each of these tasks: {task id: [{org_id, role}, …]} in the order they were offered."""
    c = HumanTaskCandidate
    out: dict[int, list[dict]] = {t: [] for t in task_ids}
    if task_ids:
        stmt = select(c.human_task_id, c.org_id, c.role).where(c.human_task_id.in_(task_ids)).order_by(c.id)
        for task_id, org_id, role in db.session.execute(stmt):
            out[task_id].append({"org_id": org_id, "role": role})
    return out
