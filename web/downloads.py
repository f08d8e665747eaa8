"""Downloads of a document, for those who may see it (the same rule as its page: `web.documents._visible`;
anything else is a 404): every issued document as Word (NĐ 30 layout, the lines of its page) and as PDF (made from
the Word file by LibreOffice, cached per document and content); a compiled report's Word file and indicator
tables (Excel).
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.documents.pdf import docx_to_pdf
from engine.documents.render import document_docx
from models import db, document_reads
from models.document import Document
from models.org import Organisation
from models.report import ReportCompilation, ReportSubmission
from web.documents import _visible
from web.exports import DOCX_MIMETYPE, XLSX_MIMETYPE, indicators_xlsx, report_docx

bp = Blueprint("downloads", __name__)


def compilation_of(document_id: int) -> ReportCompilation | None:
    return db.session.scalars(
        select(ReportCompilation).where(ReportCompilation.document_id == document_id).order_by(ReportCompilation.id)
    ).first()


def _submissions(period_id: int) -> list[ReportSubmission]:
    return db.session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.period_id == period_id)
        .options(joinedload(ReportSubmission.school).joinedload(Organisation.ward))
    ).all()


def _compiled(document_id: int) -> tuple[Document, ReportCompilation]:
    document = _visible(document_id)
    compilation = compilation_of(document.id)
    if compilation is None:
        abort(404)
    return document, compilation


def file_stem(document: Document) -> str:
    """ "812-BC-PGDĐT" (the symbol, "/" being no file-name character); Flask sends it as filename*=UTF-8''…"""
    return (document.symbol or f"bao-cao-{document.id}").replace("/", "-").replace("\\", "-")


def send_bytes(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/documents/<int:document_id>/report.docx")
@login_required
def report_word(document_id: int):
    document, compilation = _compiled(document_id)
    return send_bytes(report_docx(document, compilation), DOCX_MIMETYPE, f"{file_stem(document)}.docx")


@bp.route("/documents/<int:document_id>/indicators.xlsx")
@login_required
def indicators_excel(document_id: int):
    document, compilation = _compiled(document_id)
    submissions = _submissions(compilation.period_id)
    return send_bytes(indicators_xlsx(compilation, submissions), XLSX_MIMETYPE, f"{file_stem(document)} - Số liệu.xlsx")


def document_file_bytes(document: Document) -> bytes:
    layout = document_reads.layout_of(document)
    author = document.issuer.name if document.issuer is not None else (document.issuer_name or "")
    return document_docx(layout, author=author)


def cached_pdf(document: Document) -> bytes:
    """The PDF of what the document says now: made once, then read from `<instance>/pdf-cache/`."""
    digest = document_reads.layout_digest(document_reads.layout_of(document))
    folder = Path(current_app.instance_path) / "pdf-cache"
    path = folder / f"{document.id}-{digest}.pdf"
    if path.is_file():
        return path.read_bytes()
    data = docx_to_pdf(document_file_bytes(document))
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)  # readers see the whole file or none
    return data


@bp.route("/documents/<int:document_id>/document.docx")
@login_required
def document_word(document_id: int):
    document = _visible(document_id)
    return send_bytes(document_file_bytes(document), DOCX_MIMETYPE, f"{file_stem(document)}.docx")


@bp.route("/documents/<int:document_id>/document.pdf")
@login_required
def document_pdf(document_id: int):
    document = _visible(document_id)
    return send_bytes(cached_pdf(document), "application/pdf", f"{file_stem(document)}.pdf")
