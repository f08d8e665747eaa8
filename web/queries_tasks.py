"""The task list of the API (`GET /api/tasks`): a page of plain rows and a capped total, read-only.

Every (organisation, role) an actor holds is one ordered scan of the candidate rows' partial index, stopped at
the page size; filters on the task or its instance (process, organisation, directive, instance, text, returned)
are joined into each scan, so a page stops as soon as it is full instead of reading every task the actor may
see. The total is counted to a cap: above it the answer says "more than the cap", never reads the rest. A filter that
picks few tasks (`org=`, `q=`: `web/queries_selective.py`) is read from its own side instead, with the same
answer."""

from __future__ import annotations

from dataclasses import replace

from flask import has_request_context, request
from sqlalchemy import Integer, Row, String, and_, bindparam, exists, func, or_, select, union, union_all

from engine.core.clock import clock
from engine.core.ports import Actor
from models import db
from models.org import Organisation
from models.workflow import HumanTask, HumanTaskCandidate, ProcessInstance
from web import queries_selective as selective
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
    params["like"] = selective.like(f) if f.q else None
    return params


def _literal(f: TaskFilter, way: tuple | None) -> bool:
    """Whether the statement matches text or "came back" through `_narrow` (literal values: not kept)."""
    return bool(f.returned or (f.q and way in (None, ("org",))))


def _shape(kind: str, actor: Actor, scope: str, sort: str | None, f: TaskFilter, cursor, way) -> tuple:
    """What decides a statement's SQL (never the values): the cache key of `_STATEMENTS`."""
    return (
        kind,
        way,
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


def _driven(actor: Actor, scope: str, sort: str | None, f: TaskFilter, cursor, way: tuple):
    """The tasks the filter's sources pick (`web/queries_selective.py`), each kept when a candidate row of one of
    my (organisation, role) pairs offers it (open, and unclaimed when asked) or I claimed it: the same tasks as
    the walk's scans, read from the filter's side, in the page's order, stopped at `:lim`, with how many there are
    before the cut (`found`)."""
    t, c = HumanTask, HumanTaskCandidate
    ways = []
    keys = _keys(actor, scope)
    if keys:
        pairs = [
            and_(c.org_id == bindparam(f"org{i}", type_=Integer()), c.role == bindparam(f"role{i}", type_=String()))
            for i in range(len(keys))
        ]
        offered = select(c.id).where(c.human_task_id == t.id, or_(*pairs), OPEN_COPY)
        if scope == "unclaimed":
            offered = offered.where(c.claimed.is_(False))
        ways.append(exists(offered))
    if scope != "unclaimed" and actor.user_id is not None:
        ways.append(t.assignee_id == _P["user_id"])
    b = select(t.id.label("id"), func.count().over().label("found"))
    b = b.where(selective.picks(way), selective.OPEN_TASK, or_(*ways))
    if f.overdue:
        b = b.where(t.due_at < _P["now"])
    if cursor is not None:
        mark = (None if cursor[0] is None else _P["c_due"], _P["c_created"], _P["c_id"])
        b = b.where(_keyset(sort, t.due_at, t.created_at, t.id, mark))
    rest = selective.rest(replace(f, overdue=False, after=None), way)
    b = _narrowed(b, rest, sort, _literal(f, way))
    return (b.order_by(*SORTS[sort]) if sort else b).limit(bindparam("lim", type_=Integer()))


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
    """The statement of this shape, built by `build(branches)` once and kept (unless text is matched literally)."""
    way = selective.way(f)
    key = _shape(kind, actor, scope, sort, f, cursor, way)
    stmt = _STATEMENTS.get(key) if not _literal(f, way) else None
    if stmt is None:
        branches = _branches(actor, scope, sort, f, cursor)
        if branches and way is not None:
            branches = [_driven(actor, scope, sort, f, cursor, way)]
        stmt = build(branches, way is not None) if branches else False
        if not _literal(f, way):
            _STATEMENTS[key] = stmt
    return stmt


_PAGE_COLUMNS = (
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


def _page_statement(scope: str, sort: str):
    def build(branches, driven: bool):
        if driven:  # one branch, which counted its tasks before the cut: the page carries that count
            (ids,) = (b.subquery() for b in branches)
            stmt = select(*_PAGE_COLUMNS, ids.c.found).join(ids, ids.c.id == HumanTask.id)
        else:
            ids = union_all(*(b.subquery().select() for b in branches)).subquery()
            stmt = select(*_PAGE_COLUMNS).where(HumanTask.id.in_(select(ids.c.id)))
        stmt = (
            stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .join(Organisation, Organisation.id == HumanTask.org_id)
            .where(HumanTask.status == "open")
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
    rows = list(db.session.execute(stmt, _params(actor, scope, limit, filters, cursor)))
    if rows and cursor is None and "found" in rows[0]._fields and has_request_context():
        request.environ[_FOUND] = (_found_key(actor, scope, filters), rows[0].found)
    return rows


_FOUND = "cascade.tasks_found"  # a first page read from the filter's side counted its tasks: the request's total


def _found_key(actor: Actor, scope: str, f: TaskFilter) -> tuple:
    return (actor.user_id, actor.org_id, actor.org_scope, actor.roles, scope, replace(f, after=None))


def _count_statement(branches, driven: bool):
    ids = union(*(b.subquery().select() for b in branches)).subquery()
    capped = select(ids.c.id).limit(bindparam("lim", type_=Integer())).subquery()
    return select(func.count()).select_from(capped)


def task_total(actor: Actor, *, scope: str, filters: TaskFilter, cap: int | None = None) -> tuple[int, bool]:
    """(how many open tasks match the filter, whether that is exact): counted to `cap` (TOTAL_CAP) + 1 at
    most, so the cost is bounded however many tasks there are; above the cap the answer is (cap, False)."""
    cap = TOTAL_CAP if cap is None else cap
    f = replace(filters, after=None)
    counted = request.environ.get(_FOUND) if has_request_context() else None
    if counted is not None and counted[0] == _found_key(actor, scope, f):
        found = counted[1]  # this request's first page counted them (read from the filter's side)
    else:
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
