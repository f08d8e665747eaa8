"""Files on a document: attach (the issuer, or the office that registered it), and download (everyone who may see
the document: its recipients are offered every file)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.documents.attachments import FILE_KINDS, IncomingFile, attach_files
from models import document_reads
from web.deps import current_actor, store
from web.documents import _visible, bp
from web.uploads import UploadError, human_size, read_uploads, size_cap


def checked_files(field: str = "files") -> list[IncomingFile] | None:
    """The uploaded files, each checked (size, type from its bytes, safe name); None (and a message) if refused."""
    try:
        uploads = read_uploads(request.files.getlist(field))
    except UploadError as exc:
        limit = human_size(size_cap())
        flash(
            _(
                "Tệp %(name)s không nhận được: chỉ PDF, Word, ảnh hoặc văn bản, tối đa %(limit)s.",
                name=exc.filename,
                limit=limit,
            ),
            "error",
        )
        return None
    return [IncomingFile(u.filename, u.content_type, u.data) for u in uploads]


@bp.route("/documents/<int:document_id>/files", methods=["POST"])
@login_required
def attach(document_id: int):
    document = _visible(document_id)
    kind = request.form.get("kind", "")
    files = checked_files()
    if files is not None and kind in FILE_KINDS and files:
        attach_files(store(), current_actor(), document.id, kind, files)
        flash(_("Đã đính kèm %(count)d tệp.", count=len(files)), "success")
    elif files is not None:
        flash(_("Chọn loại tệp và ít nhất một tệp."), "error")
    return redirect(url_for("documents.show", document_id=document.id)), 303


@bp.route("/documents/<int:document_id>/files/<int:file_id>")
@login_required
def file(document_id: int, file_id: int):
    row = document_reads.file_of(_visible(document_id).id, file_id)
    if row is None:
        abort(404)
    disposition = f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "private"}
    return Response(row.data, mimetype=row.content_type, headers=headers)
