"""Word (.docx) layout of an administrative document per Decree 30/2020 (NĐ 30), Appendix I: A4 page and margins,
Times New Roman 14 in Vietnamese, the two-column header (issuer / national motto, number / place and date), the
title with its short rule, justified body paragraphs, and the foot ("Nơi nhận" left, signature block right).

Building blocks only, on python-docx: the callers (`engine.tt124.documents`, `web.exports`) decide what the document
says. Every text written goes through `clean_text`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from docx import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

FONT = "Times New Roman"
LANGUAGE = "vi-VN"
# Appendix I: A4, margins top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
HEADER_COLUMNS_MM = (68, TEXT_WIDTH_MM - 68)
FOOT_COLUMNS_MM = (80, TEXT_WIDTH_MM - 80)
LAYOUT_CELL_MARGIN_MM = 1.0  # left and right padding in the borderless layout tables
FIRST_LINE_MM = 12.7  # first-line indent of body paragraphs
HEADER_DISTANCE_MM = 10  # page number, from the top edge

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FONT_SLOTS = ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia")


def clean_text(value: object) -> str:
    """Text as written into a file: NFC (diacritics as one code point each), no XML-illegal characters."""
    return _CONTROL_CHARS.sub("", unicodedata.normalize("NFC", "" if value is None else str(value)))


def _all_fonts(r_pr) -> None:
    fonts = r_pr.get_or_add_rFonts()
    for slot in _FONT_SLOTS:
        fonts.set(qn(slot), FONT)


def set_font(run, size: float, *, bold: bool = False, italic: bool = False) -> None:
    """Times New Roman at `size` points for every script (Vietnamese letters included)."""
    run.font.name, run.font.size, run.font.bold, run.font.italic = FONT, Pt(size), bold, italic
    _all_fonts(run._element.get_or_add_rPr())


def paragraph(
    container,
    text: object = "",
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
    """A new paragraph of one run at the end of `container` (the document or a table cell)."""
    added = container.add_paragraph()
    added.alignment = align
    fmt = added.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if first_line_mm is not None:
        fmt.first_line_indent = Mm(first_line_mm)
    if line_spacing is not None:
        fmt.line_spacing = line_spacing
    set_font(added.add_run(clean_text(text)), size, bold=bold, italic=italic)
    return added


def cell_paragraph(cell, text: object, size: float, **kw):
    """`paragraph` in a cell, taking the place of the empty paragraph a new cell starts with."""
    added = paragraph(cell, text, size, **kw)
    first = cell.paragraphs[0]
    if first is not added and not first.text:
        first._element.getparent().remove(first._element)
    return added


def cell_text(cell, text: object, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER, size: float = 13) -> None:
    """Text into a grid cell's own paragraph, with a point of space above and below."""
    own = cell.paragraphs[0]
    own.alignment = align
    own.paragraph_format.space_before = own.paragraph_format.space_after = Pt(1)
    set_font(own.add_run(clean_text(text)), size, bold=bold)


def rule(container, width_mm: float, column_mm: float, *, after: float = 0) -> None:
    """A centred horizontal line `width_mm` long (NĐ 30 draws one under the issuer, the motto and the summary):
    the bottom border of an empty, 2 pt high paragraph indented to leave that width of the `column_mm` it may
    use."""
    line = container.add_paragraph()
    fmt = line.paragraph_format
    side = max(0.0, (column_mm - width_mm) / 2)
    fmt.left_indent, fmt.right_indent = Mm(side), Mm(side)
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(after), Pt(2)
    p_pr = line._element.get_or_add_pPr()
    border, bottom = OxmlElement("w:pBdr"), OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    # the children of w:pPr come in a fixed order: w:pBdr before w:spacing, w:ind and w:jc
    later = next((child for child in p_pr if child.tag in {qn("w:spacing"), qn("w:ind"), qn("w:jc")}), None)
    if later is not None:
        later.addprevious(border)
    else:
        p_pr.append(border)


def _add_to_tbl_pr(table, element) -> None:
    # the children of w:tblPr come in a fixed order: w:tblBorders and w:tblCellMar before w:tblLook
    tbl_pr = table._element.tblPr
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(element)
    else:
        tbl_pr.append(element)


def cell_margins(table, mm: float) -> None:
    """Left and right padding of every cell (Word's default is 1.9 mm)."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(int(Mm(mm).twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    _add_to_tbl_pr(table, margins)


def column_widths(table, widths_mm: Sequence[float]) -> None:
    """Fixed column widths, the table centred on the page."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
    for column, width in zip(table._element.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        column.set(qn("w:w"), str(int(Mm(width).twips)))


def layout_table(container, rows: int, widths_mm: Sequence[float]):
    """A table used for placement only: no borders, narrow cell padding, the given column widths."""
    table = container.add_table(rows=rows, cols=len(widths_mm))
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    _add_to_tbl_pr(table, borders)
    cell_margins(table, LAYOUT_CELL_MARGIN_MM)
    column_widths(table, widths_mm)
    return table


def repeat_header(row) -> None:
    """The row is printed again at the top of every page the table runs onto."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _page_numbers(section) -> None:
    """Page numbers centred in the top margin, from the second page on."""
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    run = number.add_run("2")
    set_font(run, 13)
    field.append(run._element)
    number._p.append(field)


def new_document(*, page_numbers: bool = True):
    """An empty document: A4 portrait, NĐ 30 margins, Normal style Times New Roman 14 in Vietnamese without
    paragraph spacing; page numbers from page 2 unless `page_numbers` is false."""
    word = WordDocument()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = section.footer_distance = Mm(HEADER_DISTANCE_MM)
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    r_pr = normal.element.get_or_add_rPr()
    _all_fonts(r_pr)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), LANGUAGE)
    r_pr.append(lang)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    if page_numbers:
        _page_numbers(section)
    return word


def header(word, *, managing_body: str | None, issuer: str, symbol: str, place_line: str, party: bool = False):
    """Managing body (if any) and issuer over a short rule, then "Số:" on the left; the national motto (the
    Party's name for a Party document) over a rule, then the place and date on the right."""
    left_mm, right_mm = HEADER_COLUMNS_MM
    inner = 2 * LAYOUT_CELL_MARGIN_MM
    table = layout_table(word, 2, HEADER_COLUMNS_MM)
    left, right = table.rows[0].cells
    if managing_body:
        cell_paragraph(left, clean_text(managing_body).upper(), 12)
        paragraph(left, clean_text(issuer).upper(), 12, bold=True)
    else:
        cell_paragraph(left, clean_text(issuer).upper(), 12, bold=True)
    rule(left, 28, left_mm - inner)
    if party:
        cell_paragraph(right, "ĐẢNG CỘNG SẢN VIỆT NAM", 12, bold=True)
        rule(right, 62, right_mm - inner)
    else:
        cell_paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
        paragraph(right, "Độc lập - Tự do - Hạnh phúc", 13, bold=True)
        rule(right, 58, right_mm - inner)
    number, when = table.rows[1].cells
    cell_paragraph(number, f"Số: {clean_text(symbol)}", 13, before=6)
    cell_paragraph(when, place_line, 14, italic=True, before=6)
    return table


def title(word, kind: str, summary: str) -> None:
    """The type name ("BÁO CÁO") and the summary under it, bold and centred, with a 45 mm rule below."""
    paragraph(word, kind, 14, bold=True, before=18)
    paragraph(word, summary, 14, bold=True, line_spacing=1.0)
    rule(word, 45, TEXT_WIDTH_MM, after=12)


def body_paragraph(word, text: object):
    """A paragraph of the body: justified, first line indented, 6 pt after, line spacing 1.1."""
    return paragraph(
        word, text, 14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=FIRST_LINE_MM, after=6, line_spacing=1.1
    )


def heading(word, text: object):
    """A section heading in the body ("I. …"): bold, indented like the body, never alone at the foot of a page."""
    added = paragraph(
        word, text, 14, bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=FIRST_LINE_MM, before=6, after=6
    )
    added.paragraph_format.keep_with_next = True
    return added


def foot(word, recipients: Sequence[str], signature: Sequence[str]):
    """ "Nơi nhận" bottom left (12 pt bold italic heading, 11 pt lines); the signature block bottom right (titles,
    room for the signature and the seal, the name), on one page."""
    table = layout_table(word, 1, FOOT_COLUMNS_MM)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = table.rows[0].cells
    if recipients:
        cell_paragraph(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, before=6)
        for line in recipients:
            paragraph(left, line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    if not signature:
        return table
    *titles, name = signature
    for index, line in enumerate(titles):
        if index == 0:
            cell_paragraph(right, line, 14, bold=True, before=6)
        else:
            paragraph(right, line, 14, bold=True)
    for _ in range(4):
        paragraph(right, "", 14)
    paragraph(right, name, 14, bold=True)
    return table


def to_bytes(word, *, title: str, author: str, created: datetime | None = None) -> bytes:
    """The document's file, its properties (title, author, language, and the creation time if given) set."""
    props = word.core_properties
    props.title, props.author, props.language = clean_text(title)[:255], clean_text(author), LANGUAGE
    if created is not None:
        props.created = props.modified = created.replace(tzinfo=None)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
