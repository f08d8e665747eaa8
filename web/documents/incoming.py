"""The incoming register (văn bản đến): the clerk registers a document that came from outside, with its file,
and assigns it to a unit to implement ("giao xử lý"), which starts the unit's directive cascade."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core.clock import clock
from engine.core.errors import FormValidationError
from engine.documents.dates import format_date, parse_date
from engine.documents.incoming import IncomingDocument, assign_incoming, register_incoming
from engine.documents.nd30 import DOC_TYPES
from web.deps import current_actor, store
from web.documents import bp
from web.documents.files import checked_files
from web.errors import form_errors
from web.inbox import deliver_pending
from web.uploads import ACCEPT, human_size, size_cap

FIELDS = ("issuer_id", "issuer_name", "symbol", "issued_on", "doc_type", "summary", "received_on")


def _page(values: dict, errors: dict):
    orgs = sorted((o for o in store().orgs() if o.symbol), key=lambda o: o.name)
    return render_template(
        "documents/incoming.html",
        values=values,
        errors=errors,
        orgs=orgs,
        doc_types=DOC_TYPES,
        accept=ACCEPT,
        cap=human_size(size_cap()),
    ), (422 if errors else 200)


def _date(values: dict, name: str, errors: dict):
    try:
        return parse_date(values.get(name, ""))
    except ValueError:
        errors[name] = _("Ngày không hợp lệ (dd/mm/yyyy).")
        return clock.today()


def _incoming(values: dict, files) -> tuple[IncomingDocument, dict]:
    errors: dict = {}
    issued_on, received_on = _date(values, "issued_on", errors), _date(values, "received_on", errors)
    issuer = values.get("issuer_id", "")
    doc = IncomingDocument(
        issuer_id=int(issuer) if issuer.isdigit() else None,
        issuer_name=values.get("issuer_name", ""),
        symbol=values.get("symbol", ""),
        issued_on=issued_on,
        doc_type=values.get("doc_type", ""),
        summary=values.get("summary", ""),
        received_on=received_on,
        files=tuple(files or ()),
    )
    return doc, errors


@bp.route("/documents/incoming/new")
@login_required
def incoming_new():
    return _page({"received_on": format_date(clock.today()), "doc_type": "KH"}, {})


@bp.route("/documents/incoming", methods=["POST"])
@login_required
def incoming_register():
    values = {k: request.form.get(k, "").strip() for k in FIELDS}
    files = checked_files()
    doc, errors = _incoming(values, files)
    if files is None:
        errors["files"] = _(
            "Tệp không nhận được: chỉ PDF, Word, ảnh hoặc văn bản, tối đa %(limit)s.", limit=human_size(size_cap())
        )
    try:
        if errors:
            raise FormValidationError({})
        document_id, number = register_incoming(store(), current_actor(), doc)
    except FormValidationError as exc:
        flash(_("Biểu mẫu có lỗi, vui lòng kiểm tra các trường được đánh dấu."), "error")
        return _page(values, {**form_errors(exc), **errors})
    flash(_("Đã vào sổ văn bản đến, số đến %(number)d.", number=number), "success")
    return redirect(url_for("documents.show", document_id=document_id)), 303


@bp.route("/documents/<int:document_id>/assign", methods=["POST"])
@login_required
def assign(document_id: int):
    unit = request.form.get("unit_id", "")
    due = request.form.get("response_due", "").strip()
    try:
        assign_incoming(
            store(), current_actor(), document_id, int(unit) if unit.isdigit() else 0, parse_date(due) if due else None
        )
    except (FormValidationError, ValueError):
        flash(_("Chọn đơn vị xử lý trong danh sách và hạn đúng dạng dd/mm/yyyy."), "error")
        return redirect(url_for("documents.show", document_id=document_id)), 303
    deliver_pending()
    flash(_("Đã giao xử lý; đơn vị đã nhận văn bản trong hộp việc."), "success")
    return redirect(url_for("documents.show", document_id=document_id)), 303
