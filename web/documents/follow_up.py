"""The follow-up page of a directive ("Theo dõi thực hiện"): who acted, who is late, rolled up, grouped by school
level or ward, filtered to the late or the not started, chased, exported to Excel."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core.clock import clock
from engine.documents.nd30 import PURPOSES
from models import cascade as cascade_model
from models.commands.chase import chase as chase_late
from models.document import Document
from web import queries
from web.deps import current_actor
from web.documents import bp
from web.documents.follow_up_files import COLOURS, bar_chart, progress_bar, workbook

ONLY = ("late", "not_started")
GROUPS = ("level", "ward")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def followed(document_id: int) -> Document:
    """The document, if the actor issued it or a directive above it (recipients see it, not the others' progress)."""
    document = queries.document(document_id)
    actor = current_actor()
    if document is None or not queries.can_see_document(actor, document):
        abort(404)
    if not (
        actor.is_admin
        or document.issuer_id in actor.org_scope
        or any(d.issuer_id in actor.org_scope for d in queries.directive_chain(document))
    ):
        abort(403)
    return document


def status_labels() -> dict[str, str]:
    return {
        "done": _("Đã thực hiện"),
        "in_progress": _("Đang thực hiện"),
        "late": _("Chậm"),
        "not_started": _("Chưa nhận"),
        "copy": _("Nhận để biết"),
    }


def follow_up_view(document: Document, only: str, group: str) -> dict:
    """What the page shows: the tree (or the filtered flat list), totals, the bars, groups and a chart."""
    nodes = cascade_model.build(document, g.now, clock.today())
    totals = cascade_model.totals(nodes)
    acting = [n for n in nodes if n.status != "copy"]
    shown = [n for n in acting if n.status == only] if only in ONLY else None
    groups = cascade_model.grouped(shown if shown is not None else acting, group) if group in GROUPS else []
    labels = status_labels()
    by_level = cascade_model.grouped(acting, "level")
    chart = bar_chart([(k or _("Khác"), c) for k, _n, c in by_level], labels, _("Tiến độ theo cấp học"))
    return {
        "nodes": nodes,
        "totals": totals,
        "acting": len(acting),
        "shown": shown,
        "groups": groups,
        "chart": chart if len(by_level) > 1 or acting else None,
        "labels": labels,
        "colours": COLOURS,
        "progress": progress_bar(totals, labels),
        "late_ids": [n.org_id for n in acting if n.status == "late"],
    }


@bp.route("/documents/<int:document_id>/cascade", endpoint="cascade")
@login_required
def cascade(document_id: int):
    document = followed(document_id)
    only, group = request.args.get("only", ""), request.args.get("group", "")
    view = follow_up_view(document, only, group)
    return render_template(
        "documents/follow_up.html", document=document, only=only, group=group, purposes=PURPOSES, **view
    )


@bp.route("/documents/<int:document_id>/cascade.xlsx")
@login_required
def cascade_xlsx(document_id: int):
    document = followed(document_id)
    nodes = cascade_model.flatten(cascade_model.build(document, g.now, clock.today()))
    name = f"theo-doi-{document.id}.xlsx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(workbook(document.symbol or str(document.id), nodes), mimetype=XLSX, headers=headers)


@bp.route("/documents/<int:document_id>/cascade/chase", methods=["POST"])
@login_required
def cascade_chase(document_id: int):
    document, actor = followed(document_id), current_actor()
    late = [n.org_id for n in cascade_model.build(document, g.now, clock.today()) if n.status == "late"]
    told = chase_late(actor.user_id, actor.org_id, document.id, document.symbol or "", late, clock.now())
    flash(
        _("Đã đôn đốc %(orgs)d đơn vị chậm (%(people)d người nhận thông báo).", orgs=len(late), people=told), "success"
    )
    return redirect(url_for("documents.cascade", document_id=document.id, only="late")), 303
