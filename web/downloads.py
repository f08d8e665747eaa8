"""Downloads of a compiled report: the Word file (NĐ 30 layout) and the indicator tables (Excel).

Only for a document that a `ReportCompilation` points to, and only for those who may see the document
(the same rule as its page: `web.documents._visible`); anything else is a 404.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, send_file
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import db
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


def _file_stem(document: Document) -> str:
    """ "812-BC-PGDĐT" (the symbol, "/" being no file-name character); Flask sends it as filename*=UTF-8''…"""
    return (document.symbol or f"bao-cao-{document.id}").replace("/", "-").replace("\\", "-")


def _send(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/documents/<int:document_id>/report.docx")
@login_required
def report_word(document_id: int):
    document, compilation = _compiled(document_id)
    return _send(report_docx(document, compilation), DOCX_MIMETYPE, f"{_file_stem(document)}.docx")


@bp.route("/documents/<int:document_id>/indicators.xlsx")
@login_required
def indicators_excel(document_id: int):
    document, compilation = _compiled(document_id)
    submissions = _submissions(compilation.period_id)
    return _send(indicators_xlsx(compilation, submissions), XLSX_MIMETYPE, f"{_file_stem(document)} - Số liệu.xlsx")
