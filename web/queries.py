"""Read-only queries for pages and the API (they never write)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Row, and_, case, distinct, exists, func, or_, select, text, union_all
from sqlalchemy.orm import aliased, defer, joinedload, selectinload

from engine.core.access import can_see_instance
from engine.core.clock import clock
from engine.core.ports import Actor
from models import db
from models.document import Document, DocumentRecipient, DocumentRelation
from models.org import Organisation, User
from models.report import ReportCompilation
from models.store import instance_record
from models.workflow import AuditEvent, HumanTask, HumanTaskCandidate, ProcessInstance

SORTS = {
    "due": (HumanTask.due_at.asc().nulls_last(), HumanTask.id),
    "created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
}
OPEN_COPY = text("human_task_candidate.is_open")  # the partial indexes' own term (SQLite uses them only then)
_CANDIDATE_SORTS = {  # the same orders over the inbox rows' copies (served by their partial indexes)
    "due": (HumanTaskCandidate.due_at.asc().nulls_last(), HumanTaskCandidate.human_task_id),
    "created": (HumanTaskCandidate.created_at.desc(), HumanTaskCandidate.human_task_id.desc()),
}


@dataclass(frozen=True)
class TaskFilter:
    """What an inbox (page or API) is narrowed to; the defaults mean everything I may do.

    `after` is the id of the last task of the previous page (keyset paging in the page's order)."""

    q: str = ""
    process: str = ""
    org_id: int | None = None  # the organisation the task is about (its instance's)
    document_id: int | None = None  # the directive the instance carries out
    overdue: bool = False
    returned: bool = False
    after: int | None = None
    instance_id: int | None = None  # the tasks of one instance

    @property
    def narrows(self) -> bool:
        """Filters the inbox rows' copies cannot apply: the ordered scans then run to the end, not to a page."""
        return bool(self.q or self.process or self.org_id or self.document_id or self.returned or self.instance_id)


NO_FILTER = TaskFilter()


def positive_int(value) -> int | None:
    """A query argument as a positive whole number, or None."""
    return int(value) if value and str(value).isdigit() and int(value) > 0 else None


def task_filter(args) -> TaskFilter:
    """The filter from a query string (page or API): q, process, org, document, overdue, returned, after, instance."""
    return TaskFilter(
        q=(args.get("q") or "").strip()[:100],
        process=(args.get("process") or "").strip()[:120],
        org_id=positive_int(args.get("org")),
        document_id=positive_int(args.get("document")),
        overdue=args.get("overdue") in ("1", "true", "on"),
        returned=args.get("returned") in ("1", "true", "on"),
        after=positive_int(args.get("after")),
        instance_id=positive_int(args.get("instance")),
    )


_Earlier = aliased(HumanTask)
# A task "came back": the same step of the same instance was done before (a draft returned, a report sent back).
RETURNED = (
    exists()
    .where(
        _Earlier.instance_id == HumanTask.instance_id,
        _Earlier.bpmn_id == HumanTask.bpmn_id,
        _Earlier.status == "completed",
        _Earlier.id < HumanTask.id,
    )
    .correlate(HumanTask)
)


def _keyset(sort: str, due, created, ident, cursor: tuple):
    """Rows after `cursor` (due_at, created_at, id) in the page's order (due: nulls last; created: newest first)."""
    c_due, c_created, c_id = cursor
    if sort == "created":
        return or_(created < c_created, and_(created == c_created, ident < c_id))
    if c_due is None:
        return and_(due.is_(None), ident > c_id)
    return or_(due > c_due, and_(due == c_due, ident > c_id), due.is_(None))


def _cursor(task_id: int | None) -> tuple | None:
    if task_id is None:
        return None
    row = db.session.execute(
        select(HumanTask.due_at, HumanTask.created_at, HumanTask.id).where(HumanTask.id == task_id)
    ).first()
    return tuple(row) if row is not None else None


def _inbox_ids(actor: Actor, scope: str, sort: str, limit: int | None, f: TaskFilter = NO_FILTER, cursor=None):
    """The ids of the open tasks `actor` may see in this scope (a union of ordered index scans), or None.
    Each scan stops at `limit` (None: runs to the end, for counts and for filters the copies do not carry)."""
    c = HumanTaskCandidate
    now = clock.now()
    branches = []
    if scope != "mine":
        keys = [(org_id, role) for org_id in sorted(actor.org_scope) for role in sorted(actor.roles)]
        if actor.user_id is not None and actor.org_id is not None:
            keys.append((actor.org_id, f"user:{actor.user_id}"))
        for org_id, role in keys:
            branch = select(c.human_task_id.label("id")).where(c.org_id == org_id, c.role == role, OPEN_COPY)
            if scope == "unclaimed":
                branch = branch.where(c.claimed.is_(False))
            if f.overdue:
                branch = branch.where(c.due_at < now)
            if cursor is not None:
                branch = branch.where(_keyset(sort, c.due_at, c.created_at, c.human_task_id, cursor))
            branches.append(branch.order_by(*_CANDIDATE_SORTS[sort]).limit(limit))
    if scope != "unclaimed" and actor.user_id is not None:
        t = HumanTask
        mine = select(t.id.label("id")).where(t.assignee_id == actor.user_id, t.status == "open")
        if f.overdue:
            mine = mine.where(t.due_at < now)
        if cursor is not None:
            mine = mine.where(_keyset(sort, t.due_at, t.created_at, t.id, cursor))
        branches.append(mine.order_by(*SORTS[sort]).limit(limit))
    if not branches:
        return None
    return union_all(*(b.subquery().select() for b in branches)).subquery()


def _narrow(stmt, f: TaskFilter, cursor, sort: str, joined: bool):
    """`stmt` narrowed by the filter (joins the instance, its organisation and directive unless `joined`)."""
    if f.overdue:
        stmt = stmt.where(HumanTask.due_at < clock.now())
    if cursor is not None:
        stmt = stmt.where(_keyset(sort, HumanTask.due_at, HumanTask.created_at, HumanTask.id, cursor))
    if f.returned:
        stmt = stmt.where(RETURNED)
    if f.instance_id:
        stmt = stmt.where(HumanTask.instance_id == f.instance_id)
    if not (f.q or f.process or f.org_id or f.document_id):
        return stmt
    if not joined:
        stmt = (
            stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .join(Organisation, Organisation.id == ProcessInstance.org_id)
            .outerjoin(Document, Document.id == ProcessInstance.directive_id)
        )
    if f.process:
        stmt = stmt.where(ProcessInstance.process_key == f.process)
    if f.org_id:
        stmt = stmt.where(ProcessInstance.org_id == f.org_id)
    if f.document_id:
        stmt = stmt.where(ProcessInstance.directive_id == f.document_id)
    if f.q:
        like = f"%{f.q.strip()}%"
        fields = (HumanTask.name, ProcessInstance.title, Organisation.name, Organisation.short_name, Document.symbol)
        stmt = stmt.where(or_(*(col.ilike(like) for col in fields)))
    return stmt


def _open_page(stmt, ids, scope: str, sort: str, limit: int | None):
    """`stmt` restricted to those ids, still open (and unclaimed when asked), in the page's order."""
    stmt = stmt.where(HumanTask.id.in_(select(ids.c.id)), HumanTask.status == "open")
    if scope == "unclaimed":
        stmt = stmt.where(HumanTask.assignee_id.is_(None))
    return stmt.order_by(*SORTS[sort]).limit(limit)


def inbox(
    actor: Actor, *, scope: str = "all", sort: str = "due", limit: int = 200, filters: TaskFilter = NO_FILTER
) -> list[HumanTask]:
    """Open tasks I may do: claimed by me, or offered to one of my roles in my organisation scope, or to me
    by name. Each (organisation, role) I hold is one ordered index scan stopped at `limit`, so an inbox costs
    what its owner may see, never what the whole system holds (filters the scans cannot apply let them run on).

    The tasks, with their process and organisation, come in one round trip and their candidates in a second.
    Only the columns a task list reads are fetched (no JSON decoded per row, no duplicated organisation row
    turned into objects); whatever else is touched later loads on access, like the assignee."""
    sort = sort if sort in SORTS else "due"
    cursor = _cursor(filters.after)
    ids = _inbox_ids(actor, scope, sort, None if filters.narrows else limit, filters, cursor)
    if ids is None:
        return []
    stmt = _narrow(select(HumanTask), filters, cursor, sort, joined=False)
    stmt = _open_page(stmt, ids, scope, sort, limit).options(
        defer(HumanTask.candidate_users),
        selectinload(HumanTask.candidates).load_only(HumanTaskCandidate.org_id, HumanTaskCandidate.role),
        joinedload(HumanTask.instance).load_only(ProcessInstance.process_key, ProcessInstance.title),
        joinedload(HumanTask.org).load_only(Organisation.name, Organisation.short_name),
    )
    return list(db.session.scalars(stmt).unique())


def inbox_rows(
    actor: Actor, *, scope: str = "all", sort: str = "due", limit: int = 200, filters: TaskFilter = NO_FILTER
) -> list[Row]:
    """The same tasks as `inbox`, in the same order, as plain rows of what the HTML list shows (no ORM
    objects): id, name, bpmn_id, due_at, instance_id, title and process_key (the instance's), org_short_name
    (the organisation the task is about: its instance's, e.g. the school whose plan is reviewed), symbol (the
    directive's number), assignee_id, assignee_name, returned (the step was done before: it came back). One query."""
    sort = sort if sort in SORTS else "due"
    cursor = _cursor(filters.after)
    ids = _inbox_ids(actor, scope, sort, None if filters.narrows else limit, filters, cursor)
    if ids is None:
        return []
    stmt = (
        select(
            HumanTask.id,
            HumanTask.name,
            HumanTask.bpmn_id,
            HumanTask.due_at,
            HumanTask.instance_id,
            ProcessInstance.title,
            ProcessInstance.process_key,
            Organisation.short_name.label("org_short_name"),
            Document.symbol,
            HumanTask.assignee_id,
            User.full_name.label("assignee_name"),
            RETURNED.label("returned"),
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Organisation, Organisation.id == ProcessInstance.org_id)
        .outerjoin(Document, Document.id == ProcessInstance.directive_id)
        .outerjoin(User, User.id == HumanTask.assignee_id)
    )
    stmt = _narrow(stmt, filters, cursor, sort, joined=True)
    return list(db.session.execute(_open_page(stmt, ids, scope, sort, limit)))


def inbox_total(actor: Actor, *, scope: str = "all", filters: TaskFilter = NO_FILTER) -> int:
    """How many open tasks match the filter (whatever the page). Without a filter the copies cannot apply, the
    candidate rows' own index is counted (no task row is read): the inbox's scans, distinct ids."""
    f = replace(filters, after=None)
    ids = _inbox_ids(actor, scope, "due", None, f)
    if ids is None:
        return 0
    if not f.narrows:
        return db.session.scalar(select(func.count(distinct(ids.c.id)))) or 0
    stmt = _narrow(select(func.count(HumanTask.id)), f, None, "due", joined=False)
    stmt = stmt.where(HumanTask.id.in_(select(ids.c.id)), HumanTask.status == "open")
    if scope == "unclaimed":
        stmt = stmt.where(HumanTask.assignee_id.is_(None))
    return db.session.scalar(stmt) or 0


def inbox_facets(actor: Actor, *, scope: str = "all", cap: int | None = None) -> list[Row]:
    """My open tasks counted by process, organisation and directive (for the filters' counts): rows of
    process_key, org_id, org_short_name, document_id, symbol, tasks, overdue, returned. One query.

    With `cap`, at most `cap` + 1 tasks are counted (each scan stops there, soonest due first), so the cost is
    bounded however full the inbox is; the counts are whole only when they add up to `cap` or fewer."""
    ids = _inbox_ids(actor, scope, "due", None if cap is None else cap + 1)
    if ids is None:
        return []
    wanted = select(ids.c.id) if cap is None else select(ids.c.id).distinct().limit(cap + 1)
    late = case((HumanTask.due_at < clock.now(), 1), else_=0)
    stmt = (
        select(
            ProcessInstance.process_key,
            ProcessInstance.org_id,
            Organisation.short_name.label("org_short_name"),
            ProcessInstance.directive_id.label("document_id"),
            Document.symbol,
            func.count(HumanTask.id).label("tasks"),
            func.sum(late).label("overdue"),
            func.sum(case((RETURNED, 1), else_=0)).label("returned"),
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Organisation, Organisation.id == ProcessInstance.org_id)
        .outerjoin(Document, Document.id == ProcessInstance.directive_id)
        .where(HumanTask.id.in_(wanted), HumanTask.status == "open")
        .group_by(
            ProcessInstance.process_key,
            ProcessInstance.org_id,
            Organisation.short_name,
            ProcessInstance.directive_id,
            Document.symbol,
        )
    )
    if scope == "unclaimed":
        stmt = stmt.where(HumanTask.assignee_id.is_(None))
    return list(db.session.execute(stmt))


def completions(instance_ids) -> list[AuditEvent]:
    """The task completions of these instances, newest first (what was decided, with the comment)."""
    if not instance_ids:
        return []
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.instance_id.in_(list(instance_ids)), AuditEvent.action == "task.complete")
        .options(joinedload(AuditEvent.user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return list(db.session.scalars(stmt))


def instance_history(instance_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.instance_id == instance_id)
            .options(joinedload(AuditEvent.user))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def instance_tasks(instance_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id)
            .options(joinedload(HumanTask.completed_by), joinedload(HumanTask.assignee))
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    )


def documents_for(actor: Actor, limit: int = 200) -> list[tuple[Document, str | None]]:
    """Documents my organisation issued or received, newest first, with my purpose (None = issued)."""
    received = (
        select(Document, DocumentRecipient.purpose)
        .join(DocumentRecipient, DocumentRecipient.document_id == Document.id)
        .where(DocumentRecipient.org_id.in_(actor.org_scope), DocumentRecipient.delivered_at.is_not(None))
    )
    issued = select(Document, None).where(Document.issuer_id.in_(actor.org_scope))
    rows = list(db.session.execute(received.options(joinedload(Document.issuer))))
    rows += list(db.session.execute(issued.options(joinedload(Document.issuer))))
    rows.sort(key=lambda r: (r[0].issued_on or r[0].created_at.date(), r[0].id), reverse=True)
    return [(r[0], r[1]) for r in rows[:limit]]


def can_see_document(actor: Actor, document: Document) -> bool:
    """Issuer, recipients, and the organisations up the chain whose directives it implements."""
    if actor.is_admin or document.issuer_id in actor.org_scope:
        return True
    if any(r.org_id in actor.org_scope and r.delivered_at for r in document.recipients):
        return True
    return any(d.issuer_id in actor.org_scope for d in directive_chain(document))


def directive_chain(document: Document) -> list[Document]:
    """The directives this document implements, up to the top (bounded)."""
    out, current = [], document
    for _ in range(10):
        parent = db.session.scalars(
            select(Document)
            .join(DocumentRelation, DocumentRelation.to_id == Document.id)
            .where(DocumentRelation.from_id == current.id, DocumentRelation.kind == "implements")
        ).first()
        if parent is None:
            break
        out.append(parent)
        current = parent
    return out


def instances_started_by(document_id: int) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).where(ProcessInstance.directive_id == document_id)))


def task_row(task_id: int) -> HumanTask | None:
    return db.session.get(HumanTask, task_id)


def documents(ids) -> list[Document]:
    """The documents with these ids that exist, in the order given (falsy ids skipped)."""
    return [d for d in (db.session.get(Document, i) for i in ids if i) if d is not None]


def visible_instance(actor: Actor, instance_id: int) -> ProcessInstance | None:
    row = db.session.get(ProcessInstance, instance_id)
    return row if row is not None and can_see_instance(actor, instance_record(row)) else None


def issued_by_instance(instance_id: int) -> list[Document]:
    return list(db.session.scalars(select(Document).where(Document.issuing_instance_id == instance_id)))


def document(document_id: int) -> Document | None:
    return db.session.get(Document, document_id)


def has_compilation(document_id: int) -> bool:
    stmt = select(ReportCompilation.id).where(ReportCompilation.document_id == document_id).limit(1)
    return db.session.scalar(stmt) is not None


def user_by_username(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()
