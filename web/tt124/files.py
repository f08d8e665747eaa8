"""The files of a school's year: the dossier, the decision and the certificate (generated Word files), and the
files the school attaches to its evidence. Who may download them: `web.tt124.common.can_see`."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core.access import can_attach_tt124_evidence
from engine.core.errors import EngineError, NotAllowedError
from engine.tt124 import services as tt124_services
from engine.tt124.rules import EVIDENCE_OPEN_STATUSES, MAX_FILES_PER_EVIDENCE
from models import db
from models.tt124 import Tt124Evidence, Tt124File, Tt124Participation
from web.deps import current_actor, store
from web.tt124 import bp
from web.tt124.common import can_see, send
from web.tt124.pages import render_school
from web.uploads import DOCX, UploadError, human_size, read_uploads, size_cap


def _visible_file(file_id: int, evidence_id: int | None) -> Tt124File:
    """The file if it belongs where the address says and the user may see its school's year; else 404."""
    row = db.session.get(Tt124File, file_id)
    if row is None or row.evidence_id != evidence_id:
        abort(404)
    p = db.session.get(Tt124Participation, row.participation_id)
    if p is None or not can_see(p):
        abort(404)
    return row


@bp.route("/tt124/files/<int:file_id>")
@login_required
def file(file_id: int):
    """A Word file of the year: the dossier, the decision or the certificate."""
    row = _visible_file(file_id, None)
    return send(row.data, DOCX, row.filename)


@bp.route("/tt124/evidence/<int:evidence_id>/files/<int:file_id>")
@login_required
def evidence_file(evidence_id: int, file_id: int):
    """A file attached to evidence, sent as an attachment with the type recognised at upload, never inline."""
    row = _visible_file(file_id, evidence_id)
    return send(row.data, row.content_type or "application/octet-stream", row.filename)


def _upload_error(exc: UploadError) -> str:
    if exc.reason == "too_big":
        limit = human_size(size_cap())
        return _("Tệp “%(name)s” vượt quá dung lượng cho phép (tối đa %(limit)s).", name=exc.filename, limit=limit)
    if exc.reason == "empty":
        return _("Tệp “%(name)s” không có nội dung.", name=exc.filename)
    return _(
        "Tệp “%(name)s” không thuộc loại được phép: chỉ nhận ảnh (JPEG, PNG, WebP), PDF, Word hoặc văn bản (.txt).",
        name=exc.filename,
    )


def _checked_uploads(p: Tt124Participation, evidence: Tt124Evidence) -> tuple[list, int, str | None]:
    """(files, status, error): the uploads read and checked before anything is stored."""
    if p.status not in EVIDENCE_OPEN_STATUSES:
        return [], 409, _("Hồ sơ đề nghị công nhận đã gửi; không thể đính kèm thêm tệp vào minh chứng.")
    try:
        files = read_uploads(request.files.getlist("files"))
    except UploadError as exc:
        return [], (413 if exc.reason == "too_big" else 422), _upload_error(exc)
    if not files:
        return [], 422, _("Vui lòng chọn ít nhất một tệp để đính kèm.")
    if len(evidence.attachments) + len(files) > MAX_FILES_PER_EVIDENCE:
        return [], 422, _("Mỗi minh chứng có tối đa %(n)s tệp đính kèm.", n=MAX_FILES_PER_EVIDENCE)
    return list(files), 200, None


def _store_files(evidence: Tt124Evidence, files: list) -> str | None:
    """Keep the files through the engine (which commits, or rolls back and raises); the error to show, if any."""
    try:
        tt124_services.attach_evidence_files(store(), current_actor(), evidence.id, files)
    except NotAllowedError:
        abort(403)
    except EngineError as exc:
        return _("Không đính kèm được tệp: %(reason)s", reason=str(exc))
    return None


@bp.route("/tt124/evidence/<int:evidence_id>/files", methods=["POST"])
@login_required
def attach_evidence_files(evidence_id: int):
    """The school attaches files (minutes, photos, PDFs) to one piece of its evidence; all or none are kept."""
    evidence = db.session.get(Tt124Evidence, evidence_id)
    p = db.session.get(Tt124Participation, evidence.participation_id) if evidence else None
    if p is None or not can_see(p):
        abort(404)
    if not can_attach_tt124_evidence(current_actor(), p.school_id):
        abort(403)
    files, status, error = _checked_uploads(p, evidence)
    if error is None:
        status, error = 422, _store_files(evidence, files)
    if error is None:
        flash(_("Đã đính kèm %(n)s tệp vào minh chứng.", n=len(files)), "success")
        return redirect(url_for("tt124.school", participation_id=p.id) + f"#evidence-{evidence.id}"), 303
    flash(_("Chưa đính kèm được tệp nào; xem thông báo tại minh chứng."), "error")
    return render_school(p, {evidence.id: error}), status
