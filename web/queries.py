"""Read-only queries for pages and the API (they never write)."""

from __future__ import annotations

from sqlalchemy import Row, select, union_all
from sqlalchemy.orm import defer, joinedload, selectinload

from engine.core.access import can_see_instance
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
_CANDIDATE_SORTS = {  # the same orders over the inbox rows' copies (served by their partial indexes)
    "due": (HumanTaskCandidate.due_at.asc().nulls_last(), HumanTaskCandidate.human_task_id),
    "created": (HumanTaskCandidate.created_at.desc(), HumanTaskCandidate.human_task_id.desc()),
}


def _inbox_ids(actor: Actor, scope: str, sort: str, limit: int):
    """The ids of the open tasks `actor` may see in this scope (a union of ordered index scans), or None."""
    c = HumanTaskCandidate
    branches = []
    if scope != "mine":
        keys = [(org_id, role) for org_id in sorted(actor.org_scope) for role in sorted(actor.roles)]
        if actor.user_id is not None and actor.org_id is not None:
            keys.append((actor.org_id, f"user:{actor.user_id}"))
        for org_id, role in keys:
            branch = select(c.human_task_id.label("id")).where(c.org_id == org_id, c.role == role, c.is_open)
            if scope == "unclaimed":
                branch = branch.where(c.claimed.is_(False))
            branches.append(branch.order_by(*_CANDIDATE_SORTS[sort]).limit(limit))
    if scope != "unclaimed" and actor.user_id is not None:
        mine = select(HumanTask.id.label("id")).where(
            HumanTask.assignee_id == actor.user_id, HumanTask.status == "open"
        )
        branches.append(mine.order_by(*SORTS[sort]).limit(limit))
    if not branches:
        return None
    return union_all(*(b.subquery().select() for b in branches)).subquery()


def _open_page(stmt, ids, scope: str, sort: str, limit: int):
    """`stmt` restricted to those ids, still open (and unclaimed when asked), in the page's order."""
    stmt = stmt.where(HumanTask.id.in_(select(ids.c.id)), HumanTask.status == "open")
    if scope == "unclaimed":
        stmt = stmt.where(HumanTask.assignee_id.is_(None))
    return stmt.order_by(*SORTS[sort]).limit(limit)


def inbox(actor: Actor, *, scope: str = "all", sort: str = "due", limit: int = 200) -> list[HumanTask]:
    """Open tasks I may do: claimed by me, or offered to one of my roles in my organisation scope, or to me
    by name. Each (organisation, role) I hold is one ordered index scan stopped at `limit`, so an inbox costs
    what its owner may see, never what the whole system holds.

    The tasks, with their process and organisation, come in one round trip and their candidates in a second.
    Only the columns a task list reads are fetched (no JSON decoded per row, no duplicated organisation row
    turned into objects); whatever else is touched later loads on access, like the assignee."""
    sort = sort if sort in SORTS else "due"
    ids = _inbox_ids(actor, scope, sort, limit)
    if ids is None:
        return []
    stmt = _open_page(select(HumanTask), ids, scope, sort, limit).options(
        defer(HumanTask.candidate_users),
        selectinload(HumanTask.candidates).load_only(HumanTaskCandidate.org_id, HumanTaskCandidate.role),
        joinedload(HumanTask.instance).load_only(ProcessInstance.process_key, ProcessInstance.title),
        joinedload(HumanTask.org).load_only(Organisation.name, Organisation.short_name),
    )
    return list(db.session.scalars(stmt).unique())


def inbox_rows(actor: Actor, *, scope: str = "all", sort: str = "due", limit: int = 200) -> list[Row]:
    """The same tasks as `inbox`, in the same order, as plain rows of what the HTML list shows (no ORM
    objects): id, name, due_at, title (the process instance's), org_short_name, assignee_id, assignee_name.
    One query."""
    sort = sort if sort in SORTS else "due"
    ids = _inbox_ids(actor, scope, sort, limit)
    if ids is None:
        return []
    stmt = (
        select(
            HumanTask.id,
            HumanTask.name,
            HumanTask.due_at,
            ProcessInstance.title,
            Organisation.short_name.label("org_short_name"),
            HumanTask.assignee_id,
            User.full_name.label("assignee_name"),
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Organisation, Organisation.id == HumanTask.org_id)
        .outerjoin(User, User.id == HumanTask.assignee_id)
    )
    return list(db.session.execute(_open_page(stmt, ids, scope, sort, limit)))


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
