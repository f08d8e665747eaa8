"""Documents over the API: the register (issued and received, filtered, paged), one document with its number
and symbol, signature, recipients, relations, files, and the cascade below it with the roll-up of the follow-up
page. Visibility: `web.queries.can_see_document` (404 otherwise)."""

from __future__ import annotations

from flask import g, jsonify, request, url_for

from engine.core.clock import clock
from engine.documents.nd30 import DOC_TYPES, PURPOSES, SIGNING_MODES
from models import cascade as cascade_model
from models.document import Document
from web import queries
from web.api import bp, reads
from web.api.auth import error, token_required
from web.api.document_files import files_json
from web.api.paging import int_filters, keyset
from web.api.validation import choice

DIRECTIONS = ("issued", "received")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def document_ref(d: Document | None) -> dict | None:
    if d is None:
        return None
    return {"id": d.id, "symbol": d.symbol, "number": d.number, "summary": d.summary, "issuer_id": d.issuer_id}


def _issuer(d: Document) -> dict:
    """The issuing organisation, or an outside body as written on an incoming document (no id then)."""
    if d.issuer is None:
        return {"id": None, "name": d.issuer_name or "", "short_name": None}
    return {"id": d.issuer.id, "name": d.issuer.name, "short_name": d.issuer.short_name}


def document_summary(d: Document) -> dict:
    kind = DOC_TYPES.get(d.doc_type)
    return {
        **document_ref(d),
        "year": d.year,
        "type": d.doc_type,
        "type_vi": kind.name_vi if kind else d.doc_type,
        "type_en": kind.name_en if kind else d.doc_type,
        "issuer": _issuer(d),
        "issued_on": _iso(d.issued_on),
        "status": d.status,
    }


def _signature(d: Document) -> dict:
    mode = SIGNING_MODES.get(d.signing_mode)
    return {
        "name": d.signer_name,
        "title": d.signer_title,
        "authority_title": d.authority_title,
        "mode": d.signing_mode,
        "mode_vi": mode.label_vi if mode else d.signing_mode,
        "mode_en": mode.label_en if mode else d.signing_mode,
    }


def _recipient(r) -> dict:
    purpose = PURPOSES.get(r.purpose)
    return {
        "org_id": r.org_id,
        "name": r.org.name,
        "short_name": r.org.short_name,
        "purpose": r.purpose,
        "purpose_vi": purpose.label_vi if purpose else r.purpose,
        "purpose_en": purpose.label_en if purpose else r.purpose,
        "delivered_at": _iso(r.delivered_at),
        "responded_at": _iso(r.responded_at),
        "response_document_id": r.response_document_id,
    }


def node_json(n: cascade_model.Node) -> dict:
    return {
        "org_id": n.org_id,
        "org_name": n.org_name,
        "purpose": n.purpose,
        "status": n.status,
        "delivered_at": _iso(n.delivered_at),
        "responded_at": _iso(n.responded_at),
        "instance_id": n.instance_id,
        "current_steps": n.current_steps,
        "late_tasks": n.late_tasks,
        "plan": document_ref(n.plan),
        "response": document_ref(n.response),
        "counts": n.counts,
        "children": [node_json(c) for c in n.children],
    }


def _files(d: Document) -> list[dict]:
    """What can be downloaded: the document as Word and PDF, its attached files, and a compiled report's Word and
    Excel files where it has them."""
    out = files_json(d)
    if queries.has_compilation(d.id):
        out += [
            {"kind": "report_docx", "url": url_for("downloads.report_word", document_id=d.id, _external=True)},
            {"kind": "indicators_xlsx", "url": url_for("downloads.indicators_excel", document_id=d.id, _external=True)},
        ]
    return out


def document_json(d: Document, follow: bool) -> dict:
    actor = g.actor
    nodes = cascade_model.build(d, clock.now(), clock.today()) if follow else None
    relations = [
        {"kind": k, "direction": "to", "document": document_ref(o)} for k, o in cascade_model.parent_documents(d)
    ]
    relations += [
        {"kind": k, "direction": "from", "document": document_ref(o)}
        for k, o in reads.implemented_by(d)
        if queries.can_see_document(actor, o)
    ]
    return {
        **document_summary(d),
        "place": d.place,
        "body": d.body,
        "grammar": d.grammar,
        "drafting_unit": d.drafting_unit,
        "response_due": _iso(d.response_due),
        "issuing_instance_id": d.issuing_instance_id,
        "signature": _signature(d),
        "recipients": [_recipient(r) for r in d.recipients],
        "relations": relations,
        "files": _files(d),
        "page": url_for("documents.show", document_id=d.id, _external=True),
        "cascade": None
        if nodes is None
        else {"totals": cascade_model.totals(nodes), "nodes": [node_json(n) for n in nodes]},
    }


@bp.get("/documents")
@token_required
def documents():
    filters = {**int_filters("issuer", "year"), "type": request.args.get("type"), "q": request.args.get("q")}
    filters["direction"] = choice("direction", DIRECTIONS)
    page = keyset(reads.documents(g.actor, filters), Document.id, descending=True)
    return jsonify(page.json("documents", [document_summary(d) for d in page.rows]))


@bp.get("/documents/<int:document_id>")
@token_required
def document(document_id: int):
    row = queries.document(document_id)
    if row is None or not queries.can_see_document(g.actor, row):
        return error(404, "document not found")
    return jsonify(document_json(row, reads.may_follow(g.actor, row)))
