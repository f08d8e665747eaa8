"""Read-only queries of the API's lists and records (they never write): organisations, documents, incidents,
reports and Circular 124 years, each filtered to what the actor may see as the pages do."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from engine.core.access import incident_access
from engine.core.ports import Actor
from models import db
from models.document import Document, DocumentRecipient, DocumentRelation
from models.incident import Incident
from models.org import Organisation, User
from web import queries


def _contains(text: str, *columns):
    like = f"%{text.lower()}%"
    return or_(*(func.lower(c).like(like) for c in columns))


def organisations(kind: str | None, parent_id: int | None, text: str | None, only: frozenset[int] | None):
    """The organisations matching the filters (`only`: restricted to these ids), as a statement to page."""
    stmt = select(Organisation)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if parent_id is not None:
        stmt = stmt.where(Organisation.parent_id == parent_id)
    if text:
        stmt = stmt.where(_contains(text, Organisation.name, Organisation.short_name, Organisation.code))
    if only is not None:
        stmt = stmt.where(Organisation.id.in_(only))
    return stmt


def organisation(org_id: int) -> tuple[Organisation | None, list[int]]:
    """The organisation and its children's ids."""
    row = db.session.get(Organisation, org_id)
    children = select(Organisation.id).where(Organisation.parent_id == org_id).order_by(Organisation.id)
    return row, (list(db.session.scalars(children)) if row else [])


def user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def documents(actor: Actor, filters: dict):
    """The register as the documents page has it (what my organisations issued, or received once delivered;
    everything for an administrator), filtered by issuer, type, year, direction and text."""
    received = exists().where(
        DocumentRecipient.document_id == Document.id,
        DocumentRecipient.org_id.in_(actor.org_scope),
        DocumentRecipient.delivered_at.is_not(None),
    )
    issued = Document.issuer_id.in_(actor.org_scope)
    stmt = select(Document).options(joinedload(Document.issuer))
    direction = filters.get("direction")
    if direction == "issued":
        stmt = stmt.where(issued)
    elif direction == "received":
        stmt = stmt.where(received)
    elif not actor.is_admin:
        stmt = stmt.where(or_(issued, received))
    for column, key in ((Document.issuer_id, "issuer"), (Document.doc_type, "type"), (Document.year, "year")):
        if filters.get(key) not in (None, ""):
            stmt = stmt.where(column == filters[key])
    if filters.get("q"):
        stmt = stmt.where(_contains(filters["q"], Document.summary, Document.symbol))
    return stmt


def implemented_by(document: Document) -> list[tuple[str, Document]]:
    """Relations pointing at the document (the plans that implement it), oldest first."""
    stmt = (
        select(DocumentRelation)
        .where(DocumentRelation.to_id == document.id)
        .options(joinedload(DocumentRelation.from_))
        .order_by(DocumentRelation.id)
    )
    return [(rel.kind, rel.from_) for rel in db.session.scalars(stmt)]


def may_follow(actor: Actor, document: Document) -> bool:
    """The cascade's progress: the issuer, a directive's issuer above it, the administrator (recipients see the
    document, not how the others are doing), as on the follow-up page."""
    return (
        actor.is_admin
        or document.issuer_id in actor.org_scope
        or any(d.issuer_id in actor.org_scope for d in queries.directive_chain(document))
    )


def incidents(actor: Actor, orgs: dict, filters: dict) -> list[tuple[Incident, str]]:
    """The cases the actor may open (as on the incident pages: "full" or "no_names"), newest first, with the
    access each one gives; filtered by status, category and school."""
    stmt = select(Incident).order_by(Incident.id.desc())
    for column, key in ((Incident.status, "status"), (Incident.category, "category"), (Incident.school_id, "school")):
        if filters.get(key) not in (None, ""):
            stmt = stmt.where(column == filters[key])
    out = []
    for row in db.session.scalars(stmt):
        access = incident_access(actor, row, orgs[row.school_id], orgs)
        if access in ("full", "no_names"):
            out.append((row, access))
    return out


def visible_incident(actor: Actor, orgs: dict, incident_id: int) -> tuple[Incident | None, str | None]:
    row = db.session.get(Incident, incident_id)
    access = incident_access(actor, row, orgs[row.school_id], orgs) if row is not None else None
    return (row, access) if access in ("full", "no_names") else (None, None)
