"""What the statistics page and its workbook print: labels in the user's language, groups by school level,
the charts."""

from __future__ import annotations

from flask_babel import gettext as _

from engine.incidents.rules import CATEGORIES, SEVERITIES
from web.exports import LEVELS
from web.incidents import label
from web.stats import charts
from web.stats.reads import DIRECTIVE_KEYS, REPORT_KEYS, Statistics, UnitRow


def directive_labels() -> dict[str, str]:
    return {
        "received": _("Nhận"),
        "on_time": _("Đúng hạn"),
        "late": _("Trễ hạn"),
        "not_done": _("Chưa xong"),
        "overdue": _("trong đó quá hạn"),
    }


def report_labels() -> dict[str, str]:
    return {"due": _("Phải nộp"), "on_time": _("Nộp đúng hạn"), "late": _("Nộp trễ"), "missing": _("Chưa nộp")}


def group_name(row: UnitRow) -> str:
    if row.org.kind != "school":
        return row.org.short_name or row.org.name
    return LEVELS.get(row.org.school_level or "", row.org.school_level or _("Khác"))


def _grouped(stats: Statistics, part: str, keys: tuple[str, ...]) -> list[tuple[str, dict[str, int]]]:
    groups: dict[str, dict[str, int]] = {}
    for row in stats.rows:
        counts = groups.setdefault(group_name(row), dict.fromkeys(keys, 0))
        for key in keys:
            counts[key] += getattr(row, part)[key]
    return list(groups.items())


def charts_for(stats: Statistics) -> dict:
    """A chart per table: directives and reports by school level, incidents by category split by severity."""
    d, r = directive_labels(), report_labels()
    directives = charts.stacked_bars(
        _grouped(stats, "directives", DIRECTIVE_KEYS),
        [("on_time", d["on_time"], "#2e7d32"), ("late", d["late"], "#ef6c00"), ("not_done", d["not_done"], "#c62828")],
        _("Văn bản chỉ đạo theo cấp học"),
    )
    reports = charts.stacked_bars(
        _grouped(stats, "reports", REPORT_KEYS),
        [("on_time", r["on_time"], "#2e7d32"), ("late", r["late"], "#ef6c00"), ("missing", r["missing"], "#c62828")],
        _("Báo cáo định kỳ theo cấp học"),
    )
    colours = ("#f9a825", "#ef6c00", "#c62828", "#6a1b9a")
    severities = [(k, label(SEVERITIES, k), colours[i % len(colours)]) for i, k in enumerate(SEVERITIES)]
    by_category = [
        (label(CATEGORIES, c), {s: n for (cat, s), n in stats.incidents.items() if cat == c})
        for c in CATEGORIES
        if any(cat == c for cat, _s in stats.incidents)
    ]
    incidents = charts.stacked_bars(by_category, severities, _("Sự việc theo loại và mức độ"))
    return {"directives": directives, "reports": reports, "incidents": incidents if by_category else None}


def incident_rows(stats: Statistics) -> list[tuple[str, list[int], int]]:
    """(category label, count per severity, total) for every category that has a case."""
    out = []
    for code in CATEGORIES:
        counts = [stats.incidents.get((code, s), 0) for s in SEVERITIES]
        if any(counts):
            out.append((label(CATEGORIES, code), counts, sum(counts)))
    return out


def workbook(stats: Statistics) -> bytes:
    d, r = directive_labels(), report_labels()
    unit = _("Đơn vị")
    directives = [[row.org.name] + [row.directives[k] for k in DIRECTIVE_KEYS] for row in stats.rows]
    directives.append([_("Tổng"), *stats.directives.values()])
    reports = [[row.org.name] + [row.reports[k] for k in REPORT_KEYS] for row in stats.rows]
    reports.append([_("Tổng"), *stats.reports.values()])
    severity_names = [label(SEVERITIES, s) for s in SEVERITIES]
    incidents = [[name, *counts, total] for name, counts, total in incident_rows(stats)]
    total = _("Tổng")
    return charts.workbook(
        _("Thống kê %(period)s", period=period_text(stats)),
        [
            (_("Văn bản chỉ đạo"), [unit] + [d[k] for k in DIRECTIVE_KEYS], directives),
            (_("Báo cáo định kỳ"), [unit] + [r[k] for k in REPORT_KEYS], reports),
            (_("Sự việc"), [_("Loại sự việc"), *severity_names, total], incidents),
        ],
    )


def period_text(stats: Statistics) -> str:
    w = stats.window
    if w.quarter:
        return _("quý %(q)s năm %(y)s", q=w.quarter, y=w.year)
    return _("năm %(y)s", y=w.year)
