"""Moving running instances to a newer version: the preview, then a confirmed batch."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.core.migration import migrate_instances, preview_migration
from web.deps import cascade, current_actor, db_int, store
from web.filters import bilingual
from web.modeller import reads
from web.modeller.blueprint import admin_required, bp, checked_key


def _deployed_key(process_key: str) -> str:
    key = checked_key(process_key)
    if reads.latest_version(key) is None:
        abort(404)
    return key


@bp.route("/modeller/<process_key>/migrate", methods=["GET"])
@admin_required
def migrate(process_key: str):
    key = _deployed_key(process_key)
    target, checks = preview_migration(cascade(), store(), key, request.args.get("version", type=db_int))
    return render_template(
        "modeller/migrate.html",
        key=key,
        target=target,
        checks=checks,
        orgs=reads.organisations(),
        reason_text=reason_text,
    )


@bp.route("/modeller/<process_key>/migrate", methods=["POST"])
@admin_required
def migrate_confirmed(process_key: str):
    key = _deployed_key(process_key)
    if request.form.get("confirm") != "yes":
        flash(_("Hãy xác nhận trước khi chuyển phiên bản."), "error")
        return redirect(url_for("modeller.migrate", process_key=key)), 303
    ids = [int(v) for v in request.form.getlist("instance_id") if v.isdigit()]
    version = request.form.get("version", type=db_int)
    result = migrate_instances(cascade(), store(), current_actor(), key, ids, version)
    flash(
        _(
            "Đã chuyển %(ok)s quy trình sang phiên bản mới; %(no)s không chuyển được.",
            ok=len(result.migrated),
            no=len(result.refused),
        ),
        "success" if not result.refused else "warning",
    )
    return redirect(url_for("modeller.migrate", process_key=key)), 303


def reason_text(reason) -> str:
    label = reason.element_id or ""
    if reason.name:
        label = f"{bilingual(reason.name)} ({reason.element_id})"
    texts = {
        "completed_changed": _("bước đã hoàn thành %(el)s đã thay đổi", el=label),
        "started_changed": _("bước đang chạy %(el)s đã thay đổi", el=label),
        "completed_removed": _("bước đã hoàn thành %(el)s bị xoá", el=label),
        "started_removed": _("bước đang chạy %(el)s bị xoá", el=label),
        "at_removed": _("bước đang chờ %(el)s bị xoá", el=label),
        "subprocess_removed": _("quy trình con %(el)s bị xoá", el=label),
    }
    text = texts.get(reason.kind, _("không so sánh được"))
    return f"{text}: {reason.detail}" if reason.detail else text
