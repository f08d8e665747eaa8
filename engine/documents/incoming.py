"""Incoming documents (văn bản đến): the clerk registers a document that came from outside Cascade (by post, from
another e-office system), it takes the next number of the organisation's incoming register (số đến, per year),
and the clerk assigns it to a unit to implement ("giao xử lý"), which starts the same directive cascade as a plan
issued inside Cascade (the `implement_directive` message of `directive_plan.bpmn` / `school_plan.bpmn`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.core.clock import clock
from engine.core.errors import FormValidationError, NotAllowedError, TaskNotFoundError
from engine.core.forms import FieldError
from engine.core.orgs import org_list
from engine.core.ports import Actor, NewMessage
from engine.documents import nd30
from engine.documents.attachments import IncomingFile, store_files
from engine.documents.ports import DocumentStore, NewDocument

CLERK_ROLES = {"clerk", "leader", "deputy"}


@dataclass(frozen=True)
class IncomingDocument:
    """What the clerk copies from the document as received."""

    issuer_id: int | None  # an organisation in the tree, or
    issuer_name: str  # an outside body, written as on the document
    symbol: str
    issued_on: date
    doc_type: str
    summary: str
    received_on: date
    files: tuple[IncomingFile, ...] = ()


def _check(store: DocumentStore, doc: IncomingDocument) -> dict:
    errors: dict[str, FieldError] = {}
    if doc.issuer_id is None and not doc.issuer_name.strip():
        errors["issuer_name"] = FieldError("required")
    if doc.issuer_id is not None and doc.issuer_id not in org_list(store.orgs()).by_id:
        errors["issuer_id"] = FieldError("not_an_option")
    if not doc.symbol.strip():
        errors["symbol"] = FieldError("required")
    if not doc.summary.strip():
        errors["summary"] = FieldError("required")
    elif len(doc.summary) > 500:
        errors["summary"] = FieldError.of("too_long", max=500)
    if doc.doc_type not in nd30.DOC_TYPES:
        errors["doc_type"] = FieldError("not_an_option")
    if doc.issued_on > doc.received_on:
        errors["issued_on"] = FieldError.of("after_received")
    if errors:
        raise FormValidationError(errors)
    return errors


def _may_register(actor: Actor) -> None:
    if actor.org_id is None or not (actor.is_admin or CLERK_ROLES & set(actor.roles)):
        raise NotAllowedError("only the clerk registers incoming documents")


def register_incoming(store: DocumentStore, actor: Actor, doc: IncomingDocument) -> tuple[int, int]:
    """Enter the document in the actor's incoming register; returns (document id, số đến). A document of an
    organisation in the tree that Cascade already holds (same issuer, symbol and year) is not copied again."""
    _may_register(actor)
    _check(store, doc)
    registering = store.org(actor.org_id)
    office = registering.parent_id if registering.kind == "section" and registering.parent_id else registering.id
    symbol = " ".join(doc.symbol.split())
    existing = store.find_document(doc.issuer_id, symbol, doc.issued_on.year) if doc.issuer_id else None
    document_id = existing or store.create_document(
        NewDocument(
            issuer_id=doc.issuer_id,
            issuer_name=None if doc.issuer_id else " ".join(doc.issuer_name.split()),
            doc_type=doc.doc_type,
            number=_number(symbol),
            year=doc.issued_on.year,
            symbol=symbol,
            grammar=_grammar(symbol),
            summary=doc.summary.strip(),
            body="",
            place=store.org(doc.issuer_id).place if doc.issuer_id else None,
            issued_on=doc.issued_on,
            signer_name=None,
            signer_title=None,
            authority_title=None,
            signing_mode="direct",
            drafting_unit=None,
            response_due=None,
            issuing_instance_id=None,
            extra={"incoming": True},
        )
    )
    number = store.next_document_number(office, f"den:{doc.received_on.year}")
    now = clock.now()
    store.set_recipient(
        document_id, office, "de_biet", incoming_number=number, incoming_on=doc.received_on, delivered_at=now
    )
    if doc.files:
        store_files(store, actor, document_id, "received", list(doc.files))
    store.audit(actor, "document.incoming", detail={"document_id": document_id, "so_den": number}, at=now)
    store.commit()
    return document_id, number


def _number(symbol: str) -> int | None:
    try:
        return nd30.parse_symbol(symbol).number
    except ValueError:
        return None


def _grammar(symbol: str) -> str:
    try:
        return nd30.parse_symbol(symbol).grammar
    except ValueError:
        return "state"


def assign_incoming(
    store: DocumentStore, actor: Actor, document_id: int, unit_id: int, response_due: date | None = None
) -> None:
    """Giao xử lý: the unit (the office itself or one of its units) implements the document; the message that
    starts its directive cascade goes out when this commits."""
    _may_register(actor)
    document = store.document(document_id)
    if document is None or not any(o in actor.org_scope for o in document.registered_by):
        raise TaskNotFoundError(document_id)
    office = next(o for o in document.registered_by if o in actor.org_scope)
    orgs = org_list(store.orgs())
    unit = orgs.by_id.get(unit_id)
    if unit is None or not (unit.id == office or unit.parent_id == office) or unit.kind == "section":
        raise FormValidationError({"unit_id": FieldError("not_an_option")})
    now = clock.now()
    store.set_recipient(document_id, unit.id, "thuc_hien")
    payload = {
        "directive_id": document_id,
        "directive_symbol": document.symbol,
        "directive_summary": document.summary,
        "sender_org_id": office,
        "purpose": "thuc_hien",
        "response_due": response_due.isoformat() if response_due else None,
    }
    store.add_messages(
        [
            NewMessage(
                name="implement_directive",
                source_instance_id=None,
                target_org_id=unit.id,
                directive_id=document_id,
                payload=payload,
            )
        ]
    )
    store.audit(actor, "document.assign", detail={"document_id": document_id, "org_id": unit.id}, at=now)
    store.commit()
