"""Incoming documents (văn bản đến) over the API: the clerk registers a document that came from outside (JSON, or
multipart with its files) and assigns it to a unit to implement ("giao xử lý"), which starts the unit's directive
cascade. The same use cases, checks and permissions as the page (`engine/documents/incoming.py`): only the clerk
(or the office's leaders) registers; a document another organisation registered answers 404."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request, url_for

from engine.core.clock import clock
from engine.core.errors import FormValidationError
from engine.core.forms import FieldError
from engine.documents.attachments import IncomingFile
from engine.documents.dates import parse_date
from engine.documents.incoming import IncomingDocument, assign_incoming, register_incoming
from web import queries
from web.api import bp
from web.api.auth import token_required
from web.api.documents import document_summary
from web.deps import store
from web.inbox import deliver_pending
from web.uploads import UploadError, read_uploads

TEXTS = ("issuer_name", "symbol", "doc_type", "summary")


def _date(data: dict, name: str, errors: dict, default: date | None = None) -> date:
    value = data.get(name)
    if value in (None, "") and default is not None:
        return default
    try:
        return parse_date(value if isinstance(value, str) else "")
    except ValueError:
        errors[name] = FieldError("required" if value in (None, "") else "not_a_date")
        return clock.today()


def _issuer(data: dict, errors: dict) -> int | None:
    value = data.get("issuer_id")
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    errors["issuer_id"] = FieldError("not_an_option")
    return None


def _files() -> list[IncomingFile]:
    """The files sent under `files`, each checked as the page checks them (a refused one: 422 naming `files`)."""
    try:
        uploads = read_uploads(request.files.getlist("files"))
    except UploadError as exc:
        exc.field = "files"  # the blueprint's UploadError answer names this field
        raise
    return [IncomingFile(u.filename, u.content_type, u.data) for u in uploads]


def submitted_incoming() -> IncomingDocument:
    """The document as the client sent it (a JSON object or a multipart form with files under `files`); every
    field that cannot be read is named at once (422), before the use case checks the rest."""
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        raise FormValidationError({"body": FieldError("invalid")})
    errors: dict[str, FieldError] = {}
    texts = {k: data.get(k) if isinstance(data.get(k), str) else "" for k in TEXTS}
    doc = IncomingDocument(
        issuer_id=_issuer(data, errors),
        issuer_name=texts["issuer_name"],
        symbol=texts["symbol"],
        issued_on=_date(data, "issued_on", errors),
        doc_type=texts["doc_type"],
        summary=texts["summary"],
        received_on=_date(data, "received_on", errors, default=clock.today()),
        files=() if request.is_json else tuple(_files()),
    )
    if errors:
        raise FormValidationError(errors)
    return doc


def registered_json(document_id: int, number: int, received_on: date) -> dict:
    row = queries.document(document_id)
    return {
        **document_summary(row),
        "issuer_name": row.issuer_name,
        "incoming_number": number,
        "received_on": received_on.isoformat(),
        "url": url_for("api.document", document_id=document_id, _external=True),
    }


@bp.post("/documents/incoming")
@token_required
def register_incoming_document():
    doc = submitted_incoming()
    document_id, number = register_incoming(store(), g.actor, doc)
    return jsonify(registered_json(document_id, number, doc.received_on)), 201


def submitted_assignment() -> tuple[int, date | None]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise FormValidationError({"body": FieldError("invalid")})
    unit, due = data.get("unit_id"), data.get("response_due")
    errors: dict[str, FieldError] = {}
    if not isinstance(unit, int) or isinstance(unit, bool):
        errors["unit_id"] = FieldError("required" if unit is None else "not_an_option")
    due_on = _date(data, "response_due", errors) if due not in (None, "") else None
    if errors:
        raise FormValidationError(errors)
    return unit, due_on


@bp.post("/documents/<int:document_id>/assign")
@token_required
def assign_document(document_id: int):
    unit_id, due = submitted_assignment()
    assign_incoming(store(), g.actor, document_id, unit_id, due)
    deliver_pending()
    return jsonify({"status": "assigned", "document_id": document_id, "unit_id": unit_id}), 200
