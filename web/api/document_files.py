"""Downloads of a document for token clients, with the same visibility as its page: the issued document as Word
(NĐ 30 layout) and PDF, and the files attached to it."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, g, url_for

from models import document_reads
from models.document import Document
from web import queries
from web.api import bp
from web.api.auth import error, token_required
from web.downloads import cached_pdf, document_file_bytes, file_stem, send_bytes
from web.exports import DOCX_MIMETYPE


def _visible(document_id: int) -> Document | None:
    row = queries.document(document_id)
    return row if row is not None and queries.can_see_document(g.actor, row) else None


def files_json(d: Document) -> list[dict]:
    """The Word and PDF of an issued document, then each attached file with what its signature check found."""
    out = []
    if d.number is not None:
        for kind, endpoint in (("document_docx", "api.document_docx"), ("document_pdf", "api.document_pdf")):
            out.append({"kind": kind, "url": url_for(endpoint, document_id=d.id, _external=True)})
    for f in document_reads.files_of(d.id):
        url = url_for("api.document_file", document_id=d.id, file_id=f.id, _external=True)
        out.append(
            {
                "kind": f.kind,
                "filename": f.filename,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "signatures": f.signatures or [],
                "url": url,
            }
        )
    return out


@bp.get("/documents/<int:document_id>/document.docx")
@token_required
def document_docx(document_id: int):
    row = _visible(document_id)
    if row is None or row.number is None:
        return error(404, "document not found")
    return send_bytes(document_file_bytes(row), DOCX_MIMETYPE, f"{file_stem(row)}.docx")


@bp.get("/documents/<int:document_id>/document.pdf")
@token_required
def document_pdf(document_id: int):
    row = _visible(document_id)
    if row is None or row.number is None:
        return error(404, "document not found")
    return send_bytes(cached_pdf(row), "application/pdf", f"{file_stem(row)}.pdf")


@bp.get("/documents/<int:document_id>/files/<int:file_id>")
@token_required
def document_file(document_id: int, file_id: int):
    row = _visible(document_id)
    found = document_reads.file_of(row.id, file_id) if row is not None else None
    if found is None:
        return error(404, "file not found")
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "private"}
    return Response(found.data, mimetype=found.content_type, headers=headers)
