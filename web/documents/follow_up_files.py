"""The follow-up table as an Excel workbook, and its chart as server-drawn SVG (no script, no CDN)."""

from __future__ import annotations

from io import BytesIO

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font

from models.cascade import Node

STATUS_VI = {
    "done": "Đã thực hiện",
    "in_progress": "Đang thực hiện",
    "late": "Chậm",
    "not_started": "Chưa nhận",
    "copy": "Nhận để biết",
}
COLOURS = {"done": "#2e7d32", "in_progress": "#1565c0", "late": "#c62828", "not_started": "#9e9e9e"}


def workbook(symbol: str, nodes: list[Node]) -> bytes:
    """One row per organisation: name, level, ward, purpose, status, current step, late tasks, response."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Theo dõi thực hiện"
    ws.append([f"Theo dõi thực hiện {symbol}"])
    ws["A1"].font = Font(bold=True, size=13)
    header = ["STT", "Đơn vị", "Cấp học", "Phường/xã", "Mục đích", "Trạng thái", "Việc quá hạn", "Văn bản đã nộp"]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for i, n in enumerate(nodes, 1):
        response = n.response.symbol if n.response is not None else ""
        ws.append(
            [i, n.org_name, n.school_level or "", n.ward or "", n.purpose, STATUS_VI.get(n.status, n.status)]
            + [n.late_tasks, response]
        )
    for col, width in zip("ABCDEFGH", (6, 48, 10, 18, 14, 16, 12, 22), strict=True):
        ws.column_dimensions[col].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def bar_chart(groups: list[tuple[str, dict[str, int]]], labels: dict[str, str], title: str) -> Markup:
    """Horizontal stacked bars, one per group (done / in progress / late / not started), with the numbers."""
    row_h, left, width = 26, 120, 420
    height = row_h * len(groups) + 40
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {left + width + 60} {height}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, counts) in enumerate(groups):
        y = 10 + i * row_h
        total = sum(counts.get(k, 0) for k in COLOURS) or 1
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(name)}</text>')
        x = left
        for key, colour in COLOURS.items():
            w = width * counts.get(key, 0) / total
            if w:
                tip = f"{labels.get(key, key)}: {counts[key]}"
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" fill="{colour}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
                if w > 18:
                    parts.append(
                        f'<text x="{x + w / 2:.1f}" y="{y + 13}" fill="#fff" font-size="11" '
                        f'text-anchor="middle">{counts[key]}</text>'
                    )
                x += w
    y = height - 14
    for j, (key, colour) in enumerate(COLOURS.items()):
        x = left + j * 110
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11">{escape(labels.get(key, key))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every name and label above went through escape()


def progress_bar(counts: dict[str, int], labels: dict[str, str]) -> Markup:
    """One bar split by status, each part as wide as its share, with its number."""
    total = sum(counts.get(k, 0) for k in COLOURS) or 1
    parts = [
        '<svg class="progress" role="img" viewBox="0 0 1000 28" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    x = 0.0
    for key, colour in COLOURS.items():
        w = 1000 * counts.get(key, 0) / total
        if w:
            tip = escape(f"{labels.get(key, key)}: {counts[key]}")
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{colour}"><title>{tip}</title></rect>'
            )
            x += w
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - the labels went through escape()
