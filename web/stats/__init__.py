"""Statistics ("Thống kê") for office leaders: per unit and period, the directives received and how they were
done, the reports filed on time, the incidents by category and severity; a chart per table; an Excel export."""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request
from flask_login import login_required

from engine.core.clock import VN_TZ
from engine.incidents.rules import SEVERITIES
from web.deps import current_actor, store
from web.incidents import label
from web.stats import page, reads

bp = Blueprint("stats", __name__, template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _statistics() -> reads.Statistics:
    today = g.now.astimezone(VN_TZ).date()
    year = request.args.get("year", type=int) or today.year
    year = year if 2000 <= year <= 2100 else today.year
    w = reads.window(year, request.args.get("quarter", type=int))
    return reads.statistics(current_actor(), store().orgs(), w, today)


@bp.route("/stats")
@login_required
def index():
    stats = _statistics()
    return render_template(
        "stats/index.html",
        stats=stats,
        charts=page.charts_for(stats),
        incident_rows=page.incident_rows(stats),
        severities=[label(SEVERITIES, s) for s in SEVERITIES],
        d_labels=page.directive_labels(),
        r_labels=page.report_labels(),
        period=page.period_text(stats),
        years=range(g.now.astimezone(VN_TZ).year, g.now.astimezone(VN_TZ).year - 5, -1),
    )


@bp.route("/stats.xlsx")
@login_required
def export():
    stats = _statistics()
    name = f"thong-ke-{stats.window.year}" + (f"-q{stats.window.quarter}" if stats.window.quarter else "")
    headers = {"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
    return Response(page.workbook(stats), mimetype=XLSX, headers=headers)
