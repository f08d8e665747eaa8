"""Downloadable files of a compiled periodic report: the Word document laid out per Decree 30/2020 (NĐ 30) and
the indicator tables as an Excel workbook.

Builders only: they read model rows (a `Document`, its `ReportCompilation`, the period's `ReportSubmission`s)
and return bytes; the routes that serve them live in `web/downloads.py`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from docx import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from engine.clock import VN_TZ
from engine.documents import get_doc_type, place_date_line, recipient_lines, signature_block
from models.document import Document
from models.org import Organisation
from models.report import ReportCompilation, ReportSubmission

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FONT = "Times New Roman"
# School levels in the order the office lists them, and their names in a column header.
LEVELS = {"MN": "Mầm non", "TH": "Tiểu học", "TH&THCS": "TH&THCS", "THCS": "THCS", "THPT": "THPT"}
STATUS_LABELS = {
    "accepted": "Đã duyệt",
    "submitted": "Chờ duyệt",
    "returned": "Trả lại",
    "pending": "Chưa nộp",
}

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _t(text: object) -> str:
    """Text as written into the files: NFC (diacritics as one code point each), no XML-illegal characters."""
    return _CONTROL_CHARS.sub("", unicodedata.normalize("NFC", "" if text is None else str(text)))


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

# NĐ 30/2020 Appendix I: A4, margins top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
TEXT_WIDTH_MM = 210 - 30 - 15
HEADER_COLUMNS_MM = (68, TEXT_WIDTH_MM - 68)
FOOT_COLUMNS_MM = (80, TEXT_WIDTH_MM - 80)
LAYOUT_CELL_MARGIN_MM = 1.0  # left and right padding in the borderless header and foot tables


def _set_run_font(run, size: float, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        r_fonts.set(qn(attr), FONT)


def _paragraph(
    container,
    text: str = "",
    size: float = 14,
    *,
    bold: bool = False,
    italic: bool = False,
    align=WD_ALIGN_PARAGRAPH.CENTER,
    before: float = 0,
    after: float = 0,
    first_line_mm: float | None = None,
    line_spacing: float | None = None,
):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if first_line_mm is not None:
        fmt.first_line_indent = Mm(first_line_mm)
    if line_spacing is not None:
        fmt.line_spacing = line_spacing
    run = paragraph.add_run(_t(text))
    _set_run_font(run, size, bold=bold, italic=italic)
    return paragraph


def _first_paragraph(cell, text: str, size: float, **kw):
    """Write into a cell's existing empty paragraph (a new cell has one) instead of adding a blank line."""
    paragraph = _paragraph(cell, text, size, **kw)
    first = cell.paragraphs[0]
    if first is not paragraph and not first.text:
        first._element.getparent().remove(first._element)
    return paragraph


def _rule(container, width_mm: float, column_mm: float, *, after: float = 0) -> None:
    """A centred horizontal line `width_mm` long: the bottom border of an empty, tiny paragraph whose indents
    leave exactly that width (NĐ 30 draws such a line under the issuer, the motto and the summary).
    `column_mm` is the width the paragraph may use."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max(0.0, (column_mm - width_mm) / 2)
    fmt.left_indent, fmt.right_indent = Mm(side), Mm(side)
    fmt.space_before, fmt.space_after = Pt(0), Pt(after)
    fmt.line_spacing = Pt(2)
    p_pr = paragraph._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # CT_PPr is a sequence: pBdr goes before spacing/ind/jc.
    anchor = next((child for child in p_pr if child.tag in {qn("w:spacing"), qn("w:ind"), qn("w:jc")}), None)
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        p_pr.append(borders)


def _cell_margins(table, mm: float) -> None:
    """Left and right padding of every cell (Word's default is 1.9 mm)."""
    tbl_pr = table._element.tblPr
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(int(Mm(mm).twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    _insert_tbl_pr(tbl_pr, margins)


def _insert_tbl_pr(tbl_pr, element) -> None:
    # CT_TblPr is a sequence: tblBorders, …, tblCellMar come before tblLook
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(element)
    else:
        tbl_pr.append(element)


def _layout_table(table) -> None:
    """A table used for placement only: no borders, narrow cell padding."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    _insert_tbl_pr(table._element.tblPr, borders)
    _cell_margins(table, LAYOUT_CELL_MARGIN_MM)


def _column_widths(table, widths_mm: Sequence[float]) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
    grid = table._element.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(int(Mm(width).twips)))


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _page_number_header(section) -> None:
    """NĐ 30: page numbers centred in the top margin, from the second page on."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    run = paragraph.add_run("2")
    _set_run_font(run, 13)
    field.append(run._element)
    paragraph._p.append(field)


def _setup(word) -> None:
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    r_pr = normal.element.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        r_fonts.set(qn(attr), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    r_pr.append(lang)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    _page_number_header(section)


def _header(word, document: Document, place_line: str) -> None:
    """Two columns: managing body / issuer / "Số:" on the left, national motto / place and date on the right."""
    issuer = document.issuer
    left_mm, right_mm = HEADER_COLUMNS_MM
    table = word.add_table(rows=2, cols=2)
    _layout_table(table)
    _column_widths(table, HEADER_COLUMNS_MM)
    left, right = table.rows[0].cells
    if issuer.managing_body:
        _first_paragraph(left, _t(issuer.managing_body).upper(), 12)
        _paragraph(left, issuer_header_name(issuer), 12, bold=True)
    else:
        _first_paragraph(left, issuer_header_name(issuer), 12, bold=True)
    _rule(left, 28, left_mm - 2 * LAYOUT_CELL_MARGIN_MM)
    if document.grammar == "party":
        _first_paragraph(right, "ĐẢNG CỘNG SẢN VIỆT NAM", 12, bold=True)
        _rule(right, 62, right_mm - 2 * LAYOUT_CELL_MARGIN_MM)
    else:
        _first_paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
        _paragraph(right, "Độc lập - Tự do - Hạnh phúc", 13, bold=True)
        _rule(right, 58, right_mm - 2 * LAYOUT_CELL_MARGIN_MM)
    number, date_cell = table.rows[1].cells
    _first_paragraph(number, f"Số: {_t(document.symbol or '')}", 13, before=6)
    _first_paragraph(date_cell, place_line, 14, italic=True, before=6)


def _body_paragraphs(word, body: str) -> None:
    """document.body line by line: blank lines separate paragraphs; every paragraph justified, first line
    indented."""
    for line in _t(body).replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line:
            _paragraph(word, line, 14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=12.7, after=6, line_spacing=1.1)


def _section_heading(word, text: str) -> None:
    heading = _paragraph(
        word, text, 14, bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=12.7, before=6, after=6
    )
    heading.paragraph_format.keep_with_next = True  # never a heading alone at the bottom of a page


def _cell_text(cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER, size: float = 13) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(1)
    paragraph.paragraph_format.space_after = Pt(1)
    _set_run_font(paragraph.add_run(_t(text)), size, bold=bold)


def _figures_table(word, compilation: ReportCompilation) -> None:
    figures = compilation.figures or {}
    totals = figures.get("totals", {})
    by_level = figures.get("by_level", {})
    levels = ordered_levels(by_level)
    level_mm = 22.0 if len(levels) <= 4 else 17.5
    label_mm = TEXT_WIDTH_MM - 8 - 16 - level_mm * len(levels)
    widths = [8.0, label_mm, 16.0, *([level_mm] * len(levels))]
    table = word.add_table(rows=1, cols=len(widths))
    table.style = word.styles["Table Grid"]
    _cell_margins(table, 1.0)
    header = table.rows[0].cells
    for cell, text in zip(header, ["TT", "Chỉ tiêu", "Tổng số", *(level_label(c) for c in levels)], strict=True):
        _cell_text(cell, text, bold=True, size=11)
    _repeat_header(table.rows[0])
    for index, (field_id, label) in enumerate(compilation.fields or [], start=1):
        cells = table.add_row().cells
        _cell_text(cells[0], str(index), size=12)
        _cell_text(cells[1], indicator_label(label), align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
        _cell_text(cells[2], str(totals.get(field_id, 0)), bold=True, size=12)
        for cell, level in zip(cells[3:], levels, strict=True):
            _cell_text(cell, str(by_level[level].get(field_id, 0)), size=12)
    _column_widths(table, widths)


def _timeliness(word, figures: dict) -> None:
    late, missing = figures.get("late", []), figures.get("missing", [])
    expected = figures.get("expected", 0)
    _paragraph(
        word,
        f"Số trường phải báo cáo: {expected}; nộp đúng hạn: {len(figures.get('on_time', []))}; "
        f"nộp chậm: {len(late)}; chưa nộp: {len(missing)} (tỷ lệ đúng hạn {figures.get('on_time_rate', 0)}%).",
        14,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        first_line_mm=12.7,
        after=6,
        line_spacing=1.1,
    )
    for heading, names in (("Các trường nộp báo cáo chậm", late), ("Các trường chưa nộp báo cáo", missing)):
        text = f"{heading} ({len(names)}): " + ("; ".join(_t(n) for n in names) + "." if names else "không có.")
        _paragraph(word, text, 14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=12.7, after=6, line_spacing=1.1)


def _foot(word, document: Document) -> None:
    """ "Nơi nhận" bottom left (12 pt bold italic heading, 11 pt entries); the signature block bottom right."""
    table = word.add_table(rows=1, cols=2)
    _layout_table(table)
    _column_widths(table, FOOT_COLUMNS_MM)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # the block stays on one page
    left, right = table.rows[0].cells
    _first_paragraph(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, before=6)
    for line in recipient_lines(recipients_of(document)):
        _paragraph(left, line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    lines = []
    if document.signer_name:
        lines = signature_block(
            document.signing_mode, document.authority_title, document.signer_title or "", document.signer_name
        )
    if not lines:
        _first_paragraph(right, "", 14)
        return
    *titles, name = lines
    for index, title in enumerate(titles):
        add = _first_paragraph if index == 0 else _paragraph
        add(right, title, 14, bold=True, before=6 if index == 0 else 0)
    for _ in range(4):  # room for the signature and the seal
        _paragraph(right, "", 14)
    _paragraph(right, name, 14, bold=True)


def report_docx(document: Document, compilation: ReportCompilation) -> bytes:
    """The compiled report as a Word file in the NĐ 30/2020 layout."""
    word = WordDocument()
    _setup(word)
    place_line = place_date_line(document.place, document.issued_on) if document.place and document.issued_on else ""
    _header(word, document, place_line)

    title = get_doc_type(document.doc_type).title or ""
    _paragraph(word, title, 14, bold=True, before=18)
    _paragraph(word, document.summary, 14, bold=True, line_spacing=1.0)
    _rule(word, 45, TEXT_WIDTH_MM, after=12)

    _body_paragraphs(word, document.body or "")
    figures = compilation.figures or {}
    _section_heading(word, "Số liệu tổng hợp")
    _figures_table(word, compilation)
    _section_heading(word, "Tình hình nộp báo cáo")
    _timeliness(word, figures)
    _paragraph(word, "", 8)
    _foot(word, document)

    props = word.core_properties
    props.title = _t(f"{document.symbol or ''} {document.summary}".strip())[:255]
    props.author = _t(document.issuer.name)
    props.language = "vi-VN"
    if document.created_at:
        props.created = props.modified = document.created_at.replace(tzinfo=None)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


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
