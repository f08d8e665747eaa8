"""Drafts and deploying: upload a file, save the modeller's draft, discard it, validate, deploy."""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from lxml import etree

from engine.core.errors import DefinitionError
from engine.core.xmlsafe import to_bytes
from models.commands import modeller as commands
from web.deps import cascade, current_actor, store
from web.modeller import lint, reads
from web.modeller.blueprint import PROCESS_KEY, admin_required, bp, checked_key
from web.modeller.files import (
    B,
    deployable,
    key_missing,
    known_messages,
    known_roles,
    process_ids,
    request_xml,
    safe_root,
    validation_errors,
)

DI_DIAGRAM = "{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram"


def _uploaded(file) -> tuple[bytes, str | None]:
    """The uploaded file's XML (laid out when it has no diagram) and the process it is filed under (the first
    executable process: a collaboration's pools stay in the one file); None when it has none. Hostile or
    non-BPMN files raise DefinitionError."""
    root: etree._Element = safe_root(file.read() if file else b"")
    processes = [p for p in root.iter(B + "process") if p.get("id") and PROCESS_KEY.match(p.get("id"))]
    if not processes:
        return b"", None
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    xml = to_bytes(root)
    if root.find(DI_DIAGRAM) is None:
        xml = lint.auto_layout(xml)
    return xml, (executable or processes)[0].get("id")


@bp.route("/modeller/upload", methods=["POST"])
@admin_required
def upload():
    file = request.files.get("file")
    filename = (file.filename if file else "") or "upload.bpmn"
    try:
        xml, key = _uploaded(file)
    except DefinitionError as exc:  # the upload form's own message, shown on the list it came from
        flash(_("Tệp %(name)s bị từ chối: %(reason)s", name=filename, reason=str(exc)), "error")
        return redirect(url_for("modeller.index")), 303
    if key is None:
        flash(_("Tệp %(name)s bị từ chối: không có quy trình (bpmn:process) nào.", name=filename), "error")
        return redirect(url_for("modeller.index")), 303
    if reads.draft(key, with_xml=False) is not None and request.form.get("replace") != "1":  # ask first
        flash(
            _(
                "%(key)s đã có bản nháp chưa triển khai: tệp %(name)s chưa được lưu. Chọn «Thay bản nháp hiện có» "
                "rồi tải lên lại nếu muốn thay nó.",
                key=key,
                name=filename,
            ),
            "error",
        )
        return redirect(url_for("modeller.index")), 303
    commands.save_draft(key, xml, source=f"upload: {filename}", user_id=current_user.id, rebase=True)
    flash(_("Đã tải lên %(name)s thành bản nháp của %(key)s.", name=filename, key=key), "success")
    return redirect(url_for("modeller.edit", process_key=key, draft=1)), 303


@bp.route("/modeller/<process_key>/draft", methods=["POST"])
@admin_required
def save_draft(process_key: str):
    key = checked_key(process_key)
    root = safe_root(request_xml())
    if key not in process_ids(root):
        return jsonify({"ok": False, "message": key_missing(key)["message"]}), 422
    commands.save_draft(key, to_bytes(root), source="modeller", user_id=current_user.id, rebase=False)
    return jsonify({"ok": True, "message": _("Đã lưu bản nháp (chưa triển khai).")})


@bp.route("/modeller/<process_key>/draft/delete", methods=["POST"])
@admin_required
def discard_draft(process_key: str):
    key = checked_key(process_key)
    commands.discard_draft(key)
    flash(_("Đã xoá bản nháp của %(key)s.", key=key), "success")
    return redirect(url_for("modeller.index")), 303


@bp.route("/modeller/<process_key>/validate", methods=["POST"])
@admin_required
def validate(process_key: str):
    _canonical, errors, warnings, _pids = validation_errors(checked_key(process_key), request_xml())
    if errors:
        message = _("Có %(n)s lỗi cần sửa trước khi triển khai.", n=len(errors))
        return jsonify({"ok": False, "message": message, "problems": errors, "warnings": warnings}), 422
    return jsonify({"ok": True, "message": _("Hợp lệ: có thể triển khai."), "problems": [], "warnings": warnings})


@bp.route("/modeller/<process_key>/deploy", methods=["POST"])
@admin_required
def deploy(process_key: str):
    key = checked_key(process_key)
    canonical, warnings, pids = deployable(key, request_xml())
    records = commands.deploy(
        cascade(),
        store(),
        current_actor(),
        canonical,
        process_keys=pids,
        known_roles=known_roles(),
        known_messages=known_messages(pids),
    )
    return jsonify(_deployed(key, next(r for r in records if r.process_key == key).version, warnings))


def _deployed(key: str, version: int, warnings: list[dict]) -> dict:
    older = reads.running_on_older(key, version)
    message = _(
        "Đã triển khai %(key)s phiên bản %(v)s. Các phiên bản đang chạy giữ nguyên phiên bản của mình.",
        key=key,
        v=version,
    )
    return {
        "ok": True,
        "message": message,
        "version": version,
        "warnings": warnings,
        "running_on_older": older,
        "migrate_url": url_for("modeller.migrate", process_key=key) if older else None,
    }
