"""The statistics page's charts, drawn on the server as SVG (the CSP allows no inline style or outside script:
colours are SVG attributes), and its Excel workbook."""

from __future__ import annotations

from io import BytesIO

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font

from web.filters import number

Series = list[tuple[str, str, str]]  # (key, label, colour)


def stacked_bars(groups: list[tuple[str, dict[str, int]]], series: Series, title: str) -> Markup:
    """One horizontal bar per group, split by series, each part with its number; a legend below."""
    row_h, left, width = 26, 150, 420
    height = row_h * len(groups) + 44
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {left + width + 20} {height}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    biggest = max((sum(c.get(k, 0) for k, _l, _c in series) for _n, c in groups), default=0) or 1
    for i, (name, counts) in enumerate(groups):
        y = 10 + i * row_h
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(name)}</text>')
        x = float(left)
        for key, label, colour in series:
            w = width * counts.get(key, 0) / biggest
            if not w:
                continue
            tip = escape(f"{label}: {number(counts[key])}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" fill="{colour}"><title>{tip}</title></rect>'
            )
            if w > 22:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 13}" fill="#fff" font-size="11" text-anchor="middle">'
                    f"{escape(number(counts[key]))}</text>"
                )
            x += w
    y = height - 14
    for j, (_key, label, colour) in enumerate(series):
        x = left + j * 120
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every name, label and number above went through escape()


def workbook(title: str, sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """One sheet per table: a title line, a bold header, the rows."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, header, rows in sheets:
        ws = wb.create_sheet(name[:31])
        ws.append([f"{title} — {name}"])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.column_dimensions["A"].width = 44
        for col in "BCDEFGH":
            ws.column_dimensions[col].width = 14
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
