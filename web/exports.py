"""Downloadable files of a compiled periodic report: the Word document laid out per Decree 30/2020 (NĐ 30) and
the indicator tables as an Excel workbook.

Builders only: they read model rows (a `Document`, its `ReportCompilation`, the period's `ReportSubmission`s)
and return bytes; the routes that serve them live in `web/downloads.py`.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from engine.core.clock import VN_TZ
from engine.documents import word as layout
from engine.documents.dates import place_date_line
from engine.documents.nd30 import get_doc_type, recipient_lines, signature_block
from models.document import Document
from models.org import Organisation
from models.report import ReportCompilation, ReportSubmission

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FONT = layout.FONT
# School levels in the order the office lists them, and their names in a column header.
LEVELS = {"MN": "Mầm non", "TH": "Tiểu học", "TH&THCS": "TH&THCS", "THCS": "THCS", "THPT": "THPT"}
STATUS_LABELS = {
    "accepted": "Đã duyệt",
    "submitted": "Chờ duyệt",
    "returned": "Trả lại",
    "pending": "Chưa nộp",
}

_t = layout.clean_text  # text as written into the files, the workbook's too


def indicator_label(label: str) -> str:
    """The Vietnamese half of a diagram label "vi | en"."""
    return _t(label.split(" | ")[0].strip())


def vi_sort_key(text: str) -> tuple[str, str]:
    """Dictionary order for Vietnamese names: letters without their marks first (Đ with D), then as written."""
    text = _t(text)
    base = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return (base.replace("Đ", "D").replace("đ", "d").casefold(), text)


def level_label(code: str | None) -> str:
    return LEVELS.get(code or "", code if code and code != "—" else "Khác")


def ordered_levels(codes: Iterable[str]) -> list[str]:
    order = list(LEVELS)
    return sorted(set(codes), key=lambda c: (order.index(c) if c in order else len(order), c))


def recipients_of(document: Document) -> list[tuple[str, str]]:
    """(name, purpose) pairs of "Nơi nhận", as the document page prints them (short names on the Lưu line)."""
    return [(r.org.short_name if r.purpose == "luu" else r.org.name, r.purpose) for r in document.recipients]


def issuer_header_name(issuer: Organisation) -> str:
    """The issuer's name in the header, in capitals, without the place its managing body already names:
    "UBND THÀNH PHỐ CẨM PHẢ" over "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO" (not "… THÀNH PHỐ CẨM PHẢ" twice)."""
    name = _t(issuer.name).strip()
    body = _t(issuer.managing_body or "").strip()
    for prefix in ("ỦY BAN NHÂN DÂN ", "UỶ BAN NHÂN DÂN ", "UBND "):
        if body.upper().startswith(prefix):
            place = body[len(prefix) :].strip()
            if place and name.upper().endswith(" " + place.upper()) and len(name) > len(place) + 1:
                name = name[: -len(place)].strip()
            break
    return name.upper()


# --------------------------------------------------------------------------- Word (NĐ 30/2020)


def _body_paragraphs(word, body: str) -> None:
    """document.body line by line: blank lines separate paragraphs."""
    for line in _t(body).replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line:
            layout.body_paragraph(word, line)


def _figures_table(word, compilation: ReportCompilation) -> None:
    figures = compilation.figures or {}
    totals = figures.get("totals", {})
    by_level = figures.get("by_level", {})
    levels = ordered_levels(by_level)
    level_mm = 22.0 if len(levels) <= 4 else 17.5
    label_mm = layout.TEXT_WIDTH_MM - 8 - 16 - level_mm * len(levels)
    widths = [8.0, label_mm, 16.0, *([level_mm] * len(levels))]
    table = word.add_table(rows=1, cols=len(widths))
    table.style = word.styles["Table Grid"]
    layout.cell_margins(table, 1.0)
    header = table.rows[0].cells
    for cell, text in zip(header, ["TT", "Chỉ tiêu", "Tổng số", *(level_label(c) for c in levels)], strict=True):
        layout.cell_text(cell, text, bold=True, size=11)
    layout.repeat_header(table.rows[0])
    for index, (field_id, label) in enumerate(compilation.fields or [], start=1):
        cells = table.add_row().cells
        layout.cell_text(cells[0], str(index), size=12)
        layout.cell_text(cells[1], indicator_label(label), align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
        layout.cell_text(cells[2], str(totals.get(field_id, 0)), bold=True, size=12)
        for cell, level in zip(cells[3:], levels, strict=True):
            layout.cell_text(cell, str(by_level[level].get(field_id, 0)), size=12)
    layout.column_widths(table, widths)


def _timeliness(word, figures: dict) -> None:
    late, missing = figures.get("late", []), figures.get("missing", [])
    expected = figures.get("expected", 0)
    layout.body_paragraph(
        word,
        f"Số trường phải báo cáo: {expected}; nộp đúng hạn: {len(figures.get('on_time', []))}; "
        f"nộp chậm: {len(late)}; chưa nộp: {len(missing)} (tỷ lệ đúng hạn {figures.get('on_time_rate', 0)}%).",
    )
    for heading, names in (("Các trường nộp báo cáo chậm", late), ("Các trường chưa nộp báo cáo", missing)):
        text = f"{heading} ({len(names)}): " + ("; ".join(_t(n) for n in names) + "." if names else "không có.")
        layout.body_paragraph(word, text)


def _signature(document: Document) -> list[str]:
    if not document.signer_name:
        return []
    return signature_block(
        document.signing_mode, document.authority_title, document.signer_title or "", document.signer_name
    )


def report_docx(document: Document, compilation: ReportCompilation) -> bytes:
    """The compiled report as a Word file in the NĐ 30/2020 layout."""
    word = layout.new_document()
    issuer = document.issuer
    place_line = place_date_line(document.place, document.issued_on) if document.place and document.issued_on else ""
    layout.header(
        word,
        managing_body=issuer.managing_body,
        issuer=issuer_header_name(issuer),
        symbol=document.symbol or "",
        place_line=place_line,
        party=document.grammar == "party",
    )
    layout.title(word, get_doc_type(document.doc_type).title or "", document.summary)

    _body_paragraphs(word, document.body or "")
    layout.heading(word, "Số liệu tổng hợp")
    _figures_table(word, compilation)
    layout.heading(word, "Tình hình nộp báo cáo")
    _timeliness(word, compilation.figures or {})
    layout.paragraph(word, "", 8)
    layout.foot(word, recipient_lines(recipients_of(document)), _signature(document))
    return layout.to_bytes(
        word,
        title=f"{document.symbol or ''} {document.summary}".strip(),
        author=issuer.name,
        created=document.created_at,
    )


# --------------------------------------------------------------------------- Excel

HEADER_FONT = Font(name=FONT, bold=True)
CELL_FONT = Font(name=FONT)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
COUNT_FORMAT = "#,##0"


def _write_row(sheet, row: int, values: Sequence, *, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=col)
        if isinstance(value, str):
            cell.value = _t(value)
            cell.data_type = "s"  # never a formula, whatever a name starts with
        else:
            cell.value = value
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.number_format = COUNT_FORMAT
        cell.font = HEADER_FONT if bold else CELL_FONT
        cell.border = GRID
        cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str) and len(value) > 40)


def _display_length(value) -> int:
    if isinstance(value, str):
        return len(_t(value))
    if isinstance(value, datetime):
        return 16  # dd/mm/yyyy hh:mm
    return 0


def _table(sheet, header: Sequence[str], rows: Iterable[Sequence], *, text_columns: int, total: Sequence | None = None):
    """Header row 1 (bold, filled, wrapped, frozen, filtered), data below, an optional bold total row; column
    widths from the content (text columns) or fixed (number columns, whose long headers wrap)."""
    _write_row(sheet, 1, header, bold=True)
    for cell in sheet[1]:
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 1
    widths = [len(str(h)) for h in header]
    for row in rows:
        count += 1
        _write_row(sheet, count, row)
        widths = [max(w, _display_length(v)) for w, v in zip(widths, row, strict=True)]
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count}"
    if total is not None:
        count += 1
        _write_row(sheet, count, total, bold=True)
    longest_number_header = 0
    for col, width in enumerate(widths, start=1):
        letter = get_column_letter(col)
        if col <= text_columns:
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        else:
            sheet.column_dimensions[letter].width = 14
            longest_number_header = max(longest_number_header, len(str(header[col - 1])))
    lines = max(1, -(-longest_number_header // 13))  # ~13 characters per line in a 14-wide column
    sheet.row_dimensions[1].height = 15 * lines + 4
    sheet.freeze_panes = sheet.cell(row=2, column=text_columns + 1)
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _school_sort_key(submission: ReportSubmission):
    order = list(LEVELS)
    level = submission.school.school_level or ""
    return (order.index(level) if level in order else len(order), vi_sort_key(submission.school.name))


def _ward_name(school: Organisation) -> str:
    return _t(school.ward.name) if school.ward is not None else "—"


def _on_time_label(submission: ReportSubmission) -> str:
    if submission.submitted_at is None:
        return "Chưa nộp"
    return "Đúng hạn" if submission.on_time else "Chậm"


def indicators_xlsx(compilation: ReportCompilation, submissions: Sequence[ReportSubmission]) -> bytes:
    """The indicator tables: "Tổng hợp" (totals and per level), "Theo trường" (one row per school, figures of
    the accepted reports) and "Theo phường" (per ward). Figures are those the compilation summed: accepted
    reports only."""
    figures = compilation.figures or {}
    fields = [(field_id, indicator_label(label)) for field_id, label in compilation.fields or []]
    totals = figures.get("totals", {})
    by_level = figures.get("by_level", {})
    levels = ordered_levels(by_level)
    period = compilation.period
    workbook = Workbook()
    workbook.properties.title = _t(f"Số liệu tổng hợp — {period.label}" if period else "Số liệu tổng hợp")
    workbook.properties.language = "vi-VN"
    caption = _t(f"{period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y})") if period else ""

    summary = workbook.active
    summary.title = "Tổng hợp"
    _table(
        summary,
        ["TT", "Chỉ tiêu", "Tổng số", *(level_label(c) for c in levels)],
        (
            [index, label, int(totals.get(field_id, 0)), *(int(by_level[c].get(field_id, 0)) for c in levels)]
            for index, (field_id, label) in enumerate(fields, start=1)
        ),
        text_columns=2,
    )
    summary.column_dimensions["A"].width = 6
    row = len(fields) + 3
    for label, value in (
        ("Số trường phải báo cáo", figures.get("expected", len(submissions))),
        ("Nộp đúng hạn", len(figures.get("on_time", []))),
        ("Nộp chậm", len(figures.get("late", []))),
        ("Chưa nộp", len(figures.get("missing", []))),
        ("Tỷ lệ đúng hạn (%)", figures.get("on_time_rate", 0)),
    ):
        _write_row(summary, row, ["", label, value])
        summary.cell(row=row, column=1).border = Border()
        row += 1

    ordered = sorted(submissions, key=_school_sort_key)
    schools = workbook.create_sheet("Theo trường")
    accepted = [s for s in ordered if s.status == "accepted"]

    def school_row(s: ReportSubmission) -> list:
        values = [int(s.values.get(f) or 0) if s.status == "accepted" else None for f, _ in fields]
        # Excel has no time zones: the local (Vietnam) time of submission
        submitted = s.submitted_at.astimezone(VN_TZ).replace(tzinfo=None) if s.submitted_at else None
        return [
            s.school.name,
            level_label(s.school.school_level),
            _ward_name(s.school),
            STATUS_LABELS.get(s.status, s.status),
            _on_time_label(s),
            submitted,
            *values,
        ]

    _table(
        schools,
        ["Trường", "Cấp học", "Phường, xã", "Trạng thái", "Đúng hạn", "Ngày nộp", *(label for _, label in fields)],
        (school_row(s) for s in ordered),
        text_columns=6,
        total=[f"Tổng cộng ({len(accepted)} báo cáo đã duyệt)", "", "", "", "", ""]
        + [int(totals.get(f, 0)) for f, _ in fields],
    )

    wards = workbook.create_sheet("Theo phường")
    by_ward_figures = figures.get("by_ward", {})
    counts: dict[str, dict[str, int]] = {}
    for s in ordered:
        c = counts.setdefault(_ward_name(s.school), {"schools": 0, "accepted": 0, "on_time": 0, "late": 0})
        c["schools"] += 1
        if s.status == "accepted":
            c["accepted"] += 1
            c["on_time" if s.on_time else "late"] += 1
    ward_names = sorted(set(counts) | set(by_ward_figures), key=vi_sort_key)
    _table(
        wards,
        ["Phường, xã", "Số trường", "Đã duyệt", "Đúng hạn", "Chậm", "Chưa nộp", *(label for _, label in fields)],
        (
            [
                name,
                counts.get(name, {}).get("schools", 0),
                counts.get(name, {}).get("accepted", 0),
                counts.get(name, {}).get("on_time", 0),
                counts.get(name, {}).get("late", 0),
                counts.get(name, {}).get("schools", 0) - counts.get(name, {}).get("accepted", 0),
                *(int(by_ward_figures.get(name, {}).get(f, 0)) for f, _ in fields),
            ]
            for name in ward_names
        ),
        text_columns=1,
        total=[
            "Tổng cộng",
            len(ordered),
            len(accepted),
            sum(1 for s in accepted if s.on_time),
            sum(1 for s in accepted if not s.on_time),
            len(ordered) - len(accepted),
        ]
        + [int(totals.get(f, 0)) for f, _ in fields],
    )
    for sheet in (summary, schools, wards):
        # "&" starts a control code in a print header
        sheet.oddHeader.center.text = _t(f"{sheet.title} — {caption}" if caption else sheet.title).replace("&", "&&")
        sheet.oddFooter.center.text = "&P / &N"

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
