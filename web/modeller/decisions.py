"""Decision tables (DMN): the list, the dmn-js editor page, validate, deploy and a stored version as a file.

Admin-only like the BPMN modeller. Checks and writes are the use cases of `models/commands/decisions.py`
(hostile XML refused there; a refused deploy raises DefinitionError, which `web/errors.py` answers as 422
with the problems named)."""

from __future__ import annotations

from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models.commands import decisions as commands
from web.modeller.blueprint import admin_required, bp, checked_key
from web.modeller.files import problems_json, request_xml

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def new_table(key: str) -> str:
    """A decision table to start from: one input and one output, hit policy FIRST, no rules yet."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{DMN_NS}" id="{key}_definitions" name="{key}" namespace="https://cascade.local/dmn">
  <decision id="{key}" name="{key}">
    <decisionTable id="{key}_table" hitPolicy="FIRST">
      <input id="{key}_input_1" label="Đầu vào | Input">
        <inputExpression id="{key}_input_1_expression" typeRef="string"><text>loai</text></inputExpression>
      </input>
      <output id="{key}_output_1" label="Kết quả | Result" name="ket_qua" typeRef="string"/>
    </decisionTable>
  </decision>
</definitions>
"""


def _versions(key: str) -> list:
    return sorted(commands.decision_versions(key), key=lambda d: d.version, reverse=True)


@bp.route("/modeller/decisions")
@admin_required
def decisions():
    if request.args.get("key"):  # the "new table" form
        return redirect(url_for("modeller.decision", decision_key=checked_key(request.args["key"].strip())))
    tables = sorted(commands.latest_decisions(), key=lambda d: d.decision_key)
    return render_template("modeller/decisions.html", tables=tables)


@bp.route("/modeller/decisions/<decision_key>")
@admin_required
def decision(decision_key: str):
    key = checked_key(decision_key)
    versions = _versions(key)
    latest = versions[0] if versions else None
    source = url_for("modeller.decision_file", decision_key=key, version=latest.version) if latest else None
    return render_template(
        "modeller/decision_edit.html",
        key=key,
        versions=versions,
        latest=latest,
        source_url=source,
        new_xml=None if latest else new_table(key),
    )


@bp.route("/modeller/decisions/validate", methods=["POST"])
@admin_required
def validate_decision():
    problems = problems_json(commands.validate_decision(request_xml()))
    if problems:
        message = _("Có %(n)s lỗi cần sửa trước khi triển khai.", n=len(problems))
        return jsonify({"ok": False, "message": message, "problems": problems}), 422
    return jsonify({"ok": True, "message": _("Hợp lệ: có thể triển khai."), "problems": []})


@bp.route("/modeller/decisions/deploy", methods=["POST"])
@admin_required
def deploy_decision():
    row = commands.deploy_decision(request_xml(), current_user, source="modeller")
    message = _(
        "Đã triển khai bảng %(key)s phiên bản %(v)s. Sự việc mới dùng phiên bản này; quy trình đang chạy giữ "
        "phiên bản đã dùng.",
        key=row.decision_key,
        v=row.version,
    )
    return jsonify({"ok": True, "message": message, "key": row.decision_key, "version": row.version})


@bp.route("/modeller/decisions/<decision_key>/<int:version>.dmn")
@admin_required
def decision_file(decision_key: str, version: int):
    key = checked_key(decision_key)
    row = next((d for d in commands.decision_versions(key) if d.version == version), None)
    if row is None:
        abort(404)
    disposition = {"Content-Disposition": f'attachment; filename="{key}-v{version}.dmn"'}
    return Response(row.xml, mimetype="application/xml", headers=disposition)
