"""Read-only queries for pages and the API (they never write)."""

from __future__ import annotations

from sqlalchemy import and_, select, union
from sqlalchemy.orm import joinedload

from engine.ports import Actor
from models import db
from models.document import Document, DocumentRecipient
from models.workflow import AuditEvent, HumanTask, HumanTaskCandidate, ProcessInstance

SORTS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id),
    "created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
}


def inbox(actor: Actor, *, scope: str = "all", sort: str = "due", limit: int = 200) -> list[HumanTask]:
    """Open tasks I may do: claimed by me, or offered to one of my roles in my organisation scope."""
    # Each branch is answered from its own index (assignee; candidate org/role), never by testing every open
    # task: an inbox costs what its owner may see, not what the whole system holds.
    mine = select(HumanTask.id).where(HumanTask.assignee_id == actor.user_id)
    offered = select(HumanTaskCandidate.human_task_id).where(
        HumanTaskCandidate.org_id.in_(actor.org_scope), HumanTaskCandidate.role.in_(actor.roles)
    )
    if scope == "mine":
        condition = HumanTask.id.in_(mine)
    elif scope == "unclaimed":
        condition = and_(HumanTask.id.in_(offered), HumanTask.assignee_id.is_(None))
    else:
        condition = HumanTask.id.in_(union(mine, offered).subquery().select())
    stmt = (
        select(HumanTask)
        .where(HumanTask.status == "open", condition)
        .options(joinedload(HumanTask.instance), joinedload(HumanTask.assignee), joinedload(HumanTask.org))
        .order_by(*SORTS.get(sort, SORTS["due"]))
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


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
    from models.document import DocumentRelation

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
