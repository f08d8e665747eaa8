"""Read queries on documents, shared by the pages and the API: a document's NĐ 30 layout, an organisation's
registers (each document once), its files and its incoming register."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.documents.layout import DocumentLayout, LayoutInput, Recipient, build_layout
from models import db
from models.document import Document, DocumentFile, DocumentRecipient
from models.org import Organisation


class RegisterRow(NamedTuple):
    document: Document
    direction: str  # "out" (issued) or "in" (received)
    purpose: str | None
    incoming_number: int | None


def _area_kind(issuer: Organisation | None) -> str | None:
    parent = db.session.get(Organisation, issuer.parent_id) if issuer is not None and issuer.parent_id else None
    return parent.kind if parent is not None else None


def layout_input(document: Document) -> LayoutInput:
    """The plain values of a document's layout (recipients in the order they were chosen)."""
    issuer = document.issuer
    recipients = [
        Recipient(r.org.short_name, r.org.kind, r.purpose, r.org_id == document.issuer_id)
        for r in document.recipients
        if r.incoming_number is None or r.purpose != "luu"
    ]
    return LayoutInput(
        issuer_name=issuer.name if issuer is not None else (document.issuer_name or ""),
        issuer_short_name=issuer.short_name if issuer is not None else (document.issuer_name or ""),
        issuer_kind=issuer.kind if issuer is not None else "outside",
        managing_body=issuer.managing_body if issuer is not None else None,
        area_kind=_area_kind(issuer),
        grammar=document.grammar,
        doc_type=document.doc_type,
        symbol=document.symbol,
        place=document.place,
        issued_on=document.issued_on,
        summary=document.summary,
        body=document.body or "",
        signing_mode=document.signing_mode,
        authority_title=document.authority_title,
        signer_title=document.signer_title,
        signer_name=document.signer_name,
        drafting_unit=document.drafting_unit,
        recipients=tuple(recipients),
        leaders_purpose=(document.extra or {}).get("leaders"),
    )


def layout_of(document: Document) -> DocumentLayout:
    """The document as its page and its Word/PDF files show it."""
    return build_layout(layout_input(document))


def layout_digest(layout: DocumentLayout) -> str:
    """A short fingerprint of what the document says (the PDF cache's key)."""
    text = json.dumps(asdict(layout), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def register(org_scope, limit: int = 200) -> list[RegisterRow]:
    """Documents my organisation issued (Đi) and received (Đến), each once, newest first: a document it issued
    is not also listed as received, and a document received by several of its units appears once."""
    scope = set(org_scope)
    issued = db.session.scalars(
        select(Document).where(Document.issuer_id.in_(scope)).options(joinedload(Document.issuer))
    ).all()
    received = db.session.execute(
        select(Document, DocumentRecipient)
        .join(DocumentRecipient, DocumentRecipient.document_id == Document.id)
        .where(DocumentRecipient.org_id.in_(scope))
        .where((DocumentRecipient.delivered_at.is_not(None)) | (DocumentRecipient.incoming_number.is_not(None)))
        .options(joinedload(Document.issuer))
        .order_by(DocumentRecipient.id)
    ).all()
    rows = {d.id: RegisterRow(d, "out", None, None) for d in issued}
    for document, recipient in received:
        known = rows.get(document.id)
        if known is None or (known.direction == "in" and known.purpose == "luu"):
            rows[document.id] = RegisterRow(document, "in", recipient.purpose, recipient.incoming_number)
    ordered = sorted(rows.values(), key=lambda r: (r.document.issued_on or r.document.created_at.date(), r.document.id))
    return list(reversed(ordered))[:limit]


def files_of(document_id: int) -> list[DocumentFile]:
    """The document's files, oldest first, without their bytes loaded more than needed."""
    stmt = select(DocumentFile).where(DocumentFile.document_id == document_id).order_by(DocumentFile.id)
    return list(db.session.scalars(stmt))


def file_of(document_id: int, file_id: int) -> DocumentFile | None:
    row = db.session.get(DocumentFile, file_id)
    return row if row is not None and row.document_id == document_id else None


def incoming_entry(document_id: int, org_scope) -> DocumentRecipient | None:
    """My organisation's incoming-register entry for the document, if it registered it."""
    stmt = select(DocumentRecipient).where(
        DocumentRecipient.document_id == document_id,
        DocumentRecipient.org_id.in_(set(org_scope)),
        DocumentRecipient.incoming_number.is_not(None),
    )
    return db.session.scalars(stmt).first()


def assignable_units(org_id: int) -> list[Organisation]:
    """Who an incoming document may be assigned to: the organisation itself and its units (not its sections)."""
    own = db.session.get(Organisation, org_id)
    children = db.session.scalars(
        select(Organisation)
        .where(Organisation.parent_id == org_id, Organisation.kind != "section")
        .order_by(Organisation.name)
    ).all()
    return [own, *children] if own is not None else list(children)
