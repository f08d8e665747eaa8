"""Lỗi vận hành (operations failures), for administrators: steps of a diagram that could not run — in a request, a
timer or a message delivery — with the element, the reason and the attempts; retry now or cancel the instance.
Not the schools' incidents (web/incidents)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from engine.core import operations
from models import db
from models.commands import failures as failure_commands
from models.ops import KINDS, STATUSES, OperationFailure
from web.deps import cascade, current_actor, store
from web.modeller.blueprint import admin_required

bp = Blueprint("ops", __name__, template_folder="templates")


def open_failure_count() -> int:
    """For the administrator's header."""
    return db.session.scalar(
        select(func.count()).select_from(OperationFailure).where(OperationFailure.status == "open")
    )


def _failures(show_all: bool) -> list[OperationFailure]:
    stmt = select(OperationFailure).order_by(OperationFailure.id.desc()).limit(200)
    return list(db.session.scalars(stmt if show_all else stmt.where(OperationFailure.status == "open")))


def _failure(failure_id: int) -> OperationFailure:
    failure = db.session.get(OperationFailure, failure_id)
    if failure is None:
        abort(404)
    return failure


@bp.app_context_processor
def header_counts() -> dict:
    """The administrator's header shows how many failures wait (counted only when the template asks)."""
    return {"open_failure_count": open_failure_count}


@bp.get("/ops/failures")
@admin_required
def failures():
    show_all = request.args.get("all") == "1"
    rows = _failures(show_all)
    return render_template("ops/failures.html", failures=rows, kinds=KINDS, statuses=STATUSES, show_all=show_all)


@bp.post("/ops/failures/<int:failure_id>/retry")
@admin_required
def retry(failure_id: int):
    failure = _failure(failure_id)
    if failure.status != "open":
        abort(409)
    failure_commands.retry(failure, current_actor())
    flash(_("Đã đặt lại để chạy lại ngay; bộ xử lý nền sẽ thực hiện trong giây lát."), "success")
    return redirect(url_for("ops.failures")), 303


@bp.post("/ops/failures/<int:failure_id>/cancel")
@admin_required
def cancel(failure_id: int):
    failure = _failure(failure_id)
    if failure.instance_id is None or failure.status != "open":
        abort(409)
    reason = request.form.get("reason", "").strip() or _("Huỷ do lỗi vận hành #%(id)s", id=failure.id)
    operations.cancel_instance(store(), current_actor(), failure.instance_id, reason)
    flash(_("Đã huỷ quy trình #%(id)s.", id=failure.instance_id), "success")
    return redirect(url_for("ops.failures")), 303


@bp.post("/ops/failures/<int:failure_id>/skip")
@admin_required
def skip(failure_id: int):
    failure = _failure(failure_id)
    if failure.instance_id is None or failure.element_id is None or failure.status != "open":
        abort(409)
    reason = request.form.get("reason", "").strip() or _("Bỏ qua bước do lỗi vận hành #%(id)s", id=failure.id)
    operations.skip_failed_step(cascade(), store(), current_actor(), failure.instance_id, failure.element_id, reason)
    flash(
        _("Đã bỏ qua bước «%(step)s»; quy trình chạy tiếp.", step=failure.element_name or failure.element_id), "success"
    )
    return redirect(url_for("ops.failures")), 303
