"""The Circular 124 recognition dossier (Art. 9(2)(b)) as Word files laid out per Decree 30/2020: the school's
Tờ trình (submission), Báo cáo kết quả (report on results) and Biên bản (minutes of the self-assessment
meeting), and the text of UBND TP's recognition decision.

Pure: python-docx and `engine.documents` (NĐ 30 place-date line, "Nơi nhận", signature block); the caller gives
a `Dossier` of plain values and stores the bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from docx import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from engine.documents import format_date, parse_date, place_date_line, recipient_lines, signature_block
from engine.tt124 import CIRCULAR, CRITERIA, TITLE

FONT = "Times New Roman"
TEXT_WIDTH_MM = 210 - 30 - 15  # A4, left 30 mm, right 15 mm (NĐ 30 Appendix I)
HEADER_COLUMNS_MM = (70, TEXT_WIDTH_MM - 70)
FOOT_COLUMNS_MM = (80, TEXT_WIDTH_MM - 80)
INDENT_MM = 12.7
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
QUOTED_TITLE = f"“{TITLE}”"


@dataclass
class Signatory:
    org_name: str
    person: str
    opinion: str  # agree | disagree
    comment: str = ""


@dataclass
class Dossier:
    """Everything the three documents say, as plain values."""

    year: int
    window_start: date
    window_end: date
    issued_on: date
    place: str
    managing_body: str  # the line above the school's name in the header
    school_name: str
    principal_name: str
    city_committee: str
    city_police: str
    receiver: str  # Phòng GDĐT
    ward_police: str
    symbols: dict[str, str]  # to_trinh | bao_cao | bien_ban → "05/TTr-THCSCĐ"
    registration: dict
    registered_on: date | None
    registered_on_time: bool
    evidence: list[tuple[int, str, str, date | None]]  # (criterion, description, reference, date)
    findings: list[dict]
    meeting: dict
    police: Signatory
    office: Signatory
    other_documents: str = ""
    extra: dict = field(default_factory=dict)


def _t(text: object) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", "" if text is None else str(text)))


def _d(value) -> str:
    if not value:
        return "…"
    if isinstance(value, date):
        return format_date(value)
    try:
        return format_date(parse_date(str(value)))
    except ValueError:
        return _t(value)


# --------------------------------------------------------------------------- texts


def to_trinh_text(d: Dossier) -> tuple[str, list[str]]:
    """(summary line, body paragraphs) of the Tờ trình."""
    reg = d.registration
    summary = f"Đề nghị xét duyệt, công nhận cơ sở giáo dục đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}"
    resolution = (
        f"Nghị quyết số {reg.get('so_nghi_quyet')} ngày {_d(reg.get('ngay_nghi_quyet'))} của Chi bộ nhà trường"
        if reg.get("co_to_chuc_dang") and reg.get("so_nghi_quyet")
        else None
    )
    meeting = d.meeting
    body = [
        f"Căn cứ {CIRCULAR} quy định về khu dân cư, xã, phường, thị trấn, cơ quan, doanh nghiệp, cơ sở giáo dục "
        f"đạt tiêu chuẩn {QUOTED_TITLE};",
    ]
    if resolution:
        body.append(f"Căn cứ {resolution} về lãnh đạo công tác bảo đảm an ninh, trật tự năm {d.year};")
    body += [
        f"Căn cứ Kế hoạch số {reg.get('so_ke_hoach') or '…'} ngày {_d(reg.get('ngay_ke_hoach'))} của "
        f"{d.school_name} về công tác bảo đảm an ninh, trật tự năm {d.year} và Bản đăng ký phấn đấu đạt tiêu "
        f"chuẩn {QUOTED_TITLE} ngày {_d(d.registered_on)};",
        f"Căn cứ kết quả cuộc họp kiểm điểm, đánh giá ngày {_d(meeting.get('ngay_hop'))}, có sự tham gia của đại "
        f"diện {d.ward_police} và {d.receiver},",
        f"{d.school_name} kính đề nghị Ủy ban nhân dân thành phố xem xét, công nhận {d.school_name} đạt tiêu chuẩn "
        f"{QUOTED_TITLE} năm {d.year} (thời gian đánh giá từ ngày {_d(d.window_start)} đến ngày "
        f"{_d(d.window_end)}).",
        "Hồ sơ kèm theo gồm:",
        f"1. Báo cáo số {d.symbols['bao_cao']} kết quả xây dựng cơ sở giáo dục đạt tiêu chuẩn {QUOTED_TITLE} "
        f"năm {d.year};",
        f"2. Biên bản số {d.symbols['bien_ban']} cuộc họp kiểm điểm, đánh giá ngày {_d(meeting.get('ngay_hop'))};",
    ]
    if d.other_documents.strip():
        body.append(f"3. Tài liệu khác: {d.other_documents.strip()}")
    body.append(f"{d.school_name} kính trình./.")
    return summary, body


def _criterion_evidence(d: Dossier, number: int) -> list[str]:
    return [
        f"{desc}" + (f" ({ref})" if ref else "") + (f", ngày {_d(on)}" if on else "")
        for criterion, desc, ref, on in d.evidence
        if criterion == number
    ]


def bao_cao_text(d: Dossier) -> tuple[str, list[tuple[str, str]]]:
    """(summary line, [(kind, text)]) of the Báo cáo kết quả; kind is "h" (heading) or "p" (paragraph)."""
    reg = d.registration
    summary = f"Kết quả xây dựng cơ sở giáo dục đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}"
    out: list[tuple[str, str]] = [
        (
            "p",
            f"Thực hiện {CIRCULAR}, {d.school_name} báo cáo kết quả xây dựng cơ sở giáo dục đạt tiêu chuẩn "
            f"{QUOTED_TITLE} năm {d.year} (từ ngày {_d(d.window_start)} đến ngày {_d(d.window_end)}) như sau:",
        ),
        ("h", "I. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO VÀ ĐĂNG KÝ"),
        (
            "p",
            f"Nhà trường ban hành Kế hoạch số {reg.get('so_ke_hoach') or '…'} ngày "
            f"{_d(reg.get('ngay_ke_hoach'))} về công tác bảo đảm an ninh, trật tự; đăng ký phấn đấu đạt tiêu chuẩn "
            "ngày "
            f"{_d(d.registered_on)}" + ("" if d.registered_on_time else " (sau thời hạn Quý I)") + ".",
        ),
    ]
    if reg.get("co_to_chuc_dang"):
        out.append(
            (
                "p",
                f"Chi bộ nhà trường ban hành Nghị quyết số {reg.get('so_nghi_quyet') or '…'} ngày "
                f"{_d(reg.get('ngay_nghi_quyet'))} về lãnh đạo công tác bảo đảm an ninh, trật tự.",
            )
        )
    if reg.get("mo_hinh"):
        out.append(("p", f"Mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc: {reg['mo_hinh']}."))
    out.append(("h", "II. KẾT QUẢ THỰC HIỆN CÁC TIÊU CHÍ"))
    out.append(("table", "criteria"))
    out.append(("h", "III. RÀ SOÁT CÁC TRƯỜNG HỢP KHÔNG ĐƯỢC XÉT CÔNG NHẬN"))
    fails = [f for f in d.findings if f.get("verdict") == "fail"]
    reviews = [f for f in d.findings if f.get("verdict") == "review"]
    if not fails and not reviews:
        out.append(
            (
                "p",
                "Đối chiếu với dữ liệu sự việc, báo cáo trên hệ thống Cascade trong thời gian đánh giá: "
                "nhà trường không có trường hợp nào thuộc diện không được xét công nhận.",
            )
        )
    for f in fails:
        out.append(("p", f"- {f['label']}: {f['detail']}."))
    for f in reviews:
        out.append(("p", f"- Cần xem xét: {f['label']} — {f['detail']}."))
    meeting = d.meeting
    out += [
        ("h", "IV. TỰ ĐÁNH GIÁ VÀ ĐỀ NGHỊ"),
        (
            "p",
            f"Tỷ lệ tổ, bộ phận đạt danh hiệu Hoàn thành tốt nhiệm vụ trở lên: {meeting.get('ty_le_to_dat', '…')}%. "
            f"Cuộc họp ngày {_d(meeting.get('ngay_hop'))} biểu quyết tán thành {meeting.get('ty_le_tan_thanh', '…')}%.",
        ),
        (
            "p",
            f"{d.school_name} tự đánh giá đạt đủ 6 tiêu chí và đề nghị Ủy ban nhân dân thành phố xem xét, công nhận "
            f"nhà trường đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}.",
        ),
    ]
    return summary, out


def bien_ban_text(d: Dossier) -> tuple[str, list[tuple[str, str]]]:
    m = d.meeting
    summary = f"Họp kiểm điểm, đánh giá kết quả xây dựng cơ sở giáo dục đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}"
    met = [n for n in CRITERIA if m.get(f"tc{n}")]
    out: list[tuple[str, str]] = [
        (
            "p",
            f"Ngày {_d(m.get('ngay_hop'))}, tại {m.get('dia_diem') or '…'}, {d.school_name} tổ chức "
            f"họp kiểm điểm, đánh giá kết quả xây dựng cơ sở giáo dục đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}.",
        ),
        ("h", "I. THÀNH PHẦN"),
        ("p", f"- Chủ trì: {d.principal_name}, Hiệu trưởng;"),
        ("p", f"- Đại diện {d.ward_police}: {d.police.person};"),
        ("p", f"- Đại diện {d.receiver}: {d.office.person};"),
    ]
    if m.get("thanh_phan"):
        out.append(("p", f"- Thành phần khác: {m['thanh_phan']};"))
    out += [
        ("p", f"- Thư ký: {m.get('thu_ky') or '…'}."),
        ("h", "II. NỘI DUNG"),
        *[("p", line) for line in str(m.get("noi_dung_hop") or "").splitlines() if line.strip()],
        (
            "p",
            "Kết quả đánh giá từng tiêu chí: "
            + "; ".join(f"tiêu chí {n}: {'đạt' if n in met else 'chưa đạt'}" for n in CRITERIA)
            + ".",
        ),
        ("p", f"Tỷ lệ tổ, bộ phận đạt danh hiệu Hoàn thành tốt nhiệm vụ trở lên: {m.get('ty_le_to_dat', '…')}%."),
        ("h", "III. Ý KIẾN CỦA ĐẠI DIỆN CƠ QUAN THAM DỰ"),
        (
            "p",
            f"- {d.ward_police}: "
            + ("nhất trí với kết quả tự đánh giá" if d.police.opinion == "agree" else "không nhất trí")
            + (f". {d.police.comment.rstrip('.')}" if d.police.comment else "")
            + ".",
        ),
        (
            "p",
            f"- {d.receiver}: "
            + ("nhất trí với kết quả tự đánh giá" if d.office.opinion == "agree" else "không nhất trí")
            + (f". {d.office.comment.rstrip('.')}" if d.office.comment else "")
            + ".",
        ),
        ("h", "IV. KẾT LUẬN"),
        (
            "p",
            f"Biểu quyết tán thành: {m.get('ty_le_tan_thanh', '…')}%. "
            + (
                f"{d.school_name} đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}; thống nhất đề nghị Ủy ban nhân dân thành "
                f"phố xem xét, công nhận."
                if m.get("ket_luan") == "dat"
                else "Nhà trường chưa đạt tiêu chuẩn."
            ),
        ),
        (
            "p",
            "Cuộc họp kết thúc cùng ngày. Biên bản được đọc lại cho mọi người cùng nghe và nhất trí ký tên./.",
        ),
    ]
    return summary, out


def decision_text(school_name: str, year: int, to_trinh: str, appraisal_by: str, receiver: str) -> tuple[str, str]:
    """(summary line, body) of UBND TP's decision recognising one school (Giấy công nhận kèm theo)."""
    summary = f"Về việc công nhận {school_name} đạt tiêu chuẩn {QUOTED_TITLE} năm {year}"
    body = "\n".join(
        [
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015; Luật sửa đổi, bổ sung một số điều của Luật "
            "Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22/11/2019;",
            f"Căn cứ {CIRCULAR};",
            f"Xét Tờ trình số {to_trinh} của {school_name} và kết quả thẩm định của {appraisal_by},",
            "QUYẾT ĐỊNH:",
            f"Điều 1. Công nhận {school_name} đạt tiêu chuẩn {QUOTED_TITLE} năm {year}; cấp Giấy công nhận kèm theo.",
            "Điều 2. Quyết định có hiệu lực kể từ ngày ký.",
            f"Điều 3. Chánh Văn phòng HĐND và UBND thành phố, Trưởng Công an thành phố, Trưởng {receiver}, Hiệu "
            f"trưởng {school_name} căn cứ Quyết định thi hành./.",
        ]
    )
    return summary, body


# --------------------------------------------------------------------------- Word layout (NĐ 30/2020)


def _font(run, size: float, *, bold=False, italic=False) -> None:
    run.font.name, run.font.size, run.font.bold, run.font.italic = FONT, Pt(size), bold, italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _p(container, text="", size=14, *, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=0,
       indent=None, spacing=None):  # fmt: skip
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent is not None:
        fmt.first_line_indent = Mm(indent)
    if spacing is not None:
        fmt.line_spacing = spacing
    _font(paragraph.add_run(_t(text)), size, bold=bold, italic=italic)
    return paragraph


def _in_cell(cell, text, size, **kw):
    paragraph = _p(cell, text, size, **kw)
    first = cell.paragraphs[0]
    if first is not paragraph and not first.text:
        first._element.getparent().remove(first._element)
    return paragraph


def _rule(container, width_mm: float, column_mm: float, *, after: float = 0) -> None:
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max(0.0, (column_mm - width_mm) / 2)
    fmt.left_indent, fmt.right_indent = Mm(side), Mm(side)
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(after), Pt(2)
    p_pr = paragraph._element.get_or_add_pPr()
    borders, bottom = OxmlElement("w:pBdr"), OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    anchor = next((c for c in p_pr if c.tag in {qn("w:spacing"), qn("w:ind"), qn("w:jc")}), None)
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        p_pr.append(borders)


def _borderless(table, widths_mm: Sequence[float]) -> None:
    tbl_pr = table._element.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(borders)
    else:
        tbl_pr.append(borders)
    _widths(table, widths_mm)


def _widths(table, widths_mm: Sequence[float]) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
    for col, width in zip(table._element.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(int(Mm(width).twips)))


def _new_document():
    word = WordDocument()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    r_pr.append(lang)
    normal.paragraph_format.space_after = Pt(0)
    return word


def _header(word, d: Dossier, symbol: str) -> None:
    """Managing body / school / "Số:" left; national motto / place and date right."""
    left_mm, right_mm = HEADER_COLUMNS_MM
    table = word.add_table(rows=2, cols=2)
    _borderless(table, HEADER_COLUMNS_MM)
    left, right = table.rows[0].cells
    _in_cell(left, _t(d.managing_body).upper(), 12)
    _p(left, _t(d.school_name).upper(), 12, bold=True)
    _rule(left, 28, left_mm)
    _in_cell(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
    _p(right, "Độc lập - Tự do - Hạnh phúc", 13, bold=True)
    _rule(right, 58, right_mm)
    number, when = table.rows[1].cells
    _in_cell(number, f"Số: {symbol}", 13, before=6)
    _in_cell(when, place_date_line(d.place, d.issued_on), 14, italic=True, before=6)


def _title(word, kind: str, summary: str) -> None:
    _p(word, kind, 14, bold=True, before=18)
    _p(word, summary, 14, bold=True)
    _rule(word, 45, TEXT_WIDTH_MM, after=12)


def _body(word, text: str) -> None:
    _p(word, text, 14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=INDENT_MM, after=6, spacing=1.1)


def _heading(word, text: str) -> None:
    paragraph = _p(word, text, 14, bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=INDENT_MM, before=6, after=6)
    paragraph.paragraph_format.keep_with_next = True


def _foot(word, recipients: list[str], signature: list[str]) -> None:
    table = word.add_table(rows=1, cols=2)
    _borderless(table, FOOT_COLUMNS_MM)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = table.rows[0].cells
    if recipients:
        _in_cell(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, before=6)
        for line in recipients:
            _p(left, line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    *titles, name = signature
    for index, title in enumerate(titles):
        (_in_cell if index == 0 else _p)(right, title, 14, bold=True, before=6 if index == 0 else 0)
    for _ in range(4):  # room for the signature and the seal
        _p(right, "", 14)
    _p(right, name, 14, bold=True)


def _save(word, title: str, author: str) -> bytes:
    props = word.core_properties
    props.title, props.author, props.language = _t(title)[:255], _t(author), "vi-VN"
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _principal(d: Dossier) -> list[str]:
    return signature_block("direct", None, "HIỆU TRƯỞNG", d.principal_name)


def _addressees(word, names: list[str]) -> None:
    """ "Kính gửi:" with the addressees one per line under each other, right of the words (NĐ 30 layout)."""
    for index, name in enumerate(names):
        end = "." if index == len(names) - 1 else ";"
        paragraph = _p(word, "", 14, align=WD_ALIGN_PARAGRAPH.LEFT)
        fmt = paragraph.paragraph_format
        fmt.left_indent, fmt.first_line_indent = Mm(42), Mm(-24 if index == 0 else 0)
        if index == 0:
            _font(paragraph.add_run("Kính gửi:\t"), 14)
            fmt.tab_stops.add_tab_stop(Mm(42))
        _font(paragraph.add_run(_t(f"- {name}{end}")), 14)


def to_trinh_docx(d: Dossier) -> bytes:
    word = _new_document()
    _header(word, d, d.symbols["to_trinh"])
    summary, body = to_trinh_text(d)
    _title(word, "TỜ TRÌNH", summary)
    _addressees(word, [d.city_committee, f"{d.city_police} (cơ quan thường trực Ban Chỉ đạo)"])
    _p(word, "", 8)
    for line in body:
        _body(word, line)
    _p(word, "", 8)
    recipients = ["- Như trên;", *recipient_lines([(d.receiver, "bao_cao"), (d.ward_police, "de_biet"), ("VT", "luu")])]
    _foot(word, recipients, _principal(d))
    return _save(word, f"{d.symbols['to_trinh']} {summary}", d.school_name)


def _criteria_table(word, d: Dossier) -> None:
    widths = (10.0, 62.0, TEXT_WIDTH_MM - 10 - 62 - 25, 25.0)
    table = word.add_table(rows=1, cols=4)
    table.style = word.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, ("TT", "Tiêu chí (Điều 7)", "Minh chứng", "Tự đánh giá"), strict=True):
        _in_cell(cell, text, 12, bold=True)
    for number, (vi, _en) in CRITERIA.items():
        cells = table.add_row().cells
        _in_cell(cells[0], str(number), 12)
        _in_cell(cells[1], vi, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
        lines = _criterion_evidence(d, number) or ["(chưa cập nhật minh chứng)"]
        _in_cell(cells[2], "- " + lines[0], 11, align=WD_ALIGN_PARAGRAPH.LEFT)
        for line in lines[1:]:
            _p(cells[2], "- " + line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
        _in_cell(cells[3], "Đạt" if d.meeting.get(f"tc{number}") else "Chưa đạt", 12, bold=True)
    _widths(table, widths)


def bao_cao_docx(d: Dossier) -> bytes:
    word = _new_document()
    _header(word, d, d.symbols["bao_cao"])
    summary, parts = bao_cao_text(d)
    _title(word, "BÁO CÁO", summary)
    for kind, text in parts:
        if kind == "h":
            _heading(word, text)
        elif kind == "table":
            _criteria_table(word, d)
            _p(word, "", 6)
        else:
            _body(word, text)
    _p(word, "", 8)
    recipients = recipient_lines(
        [(d.city_committee, "bao_cao"), (d.city_police, "bao_cao"), (d.receiver, "bao_cao"), ("VT", "luu")]
    )
    _foot(word, recipients, _principal(d))
    return _save(word, f"{d.symbols['bao_cao']} {summary}", d.school_name)


def bien_ban_docx(d: Dossier) -> bytes:
    word = _new_document()
    _header(word, d, d.symbols["bien_ban"])
    summary, parts = bien_ban_text(d)
    _title(word, "BIÊN BẢN", summary)
    for kind, text in parts:
        (_heading if kind == "h" else _body)(word, text)
    _p(word, "", 8)
    grid = word.add_table(rows=2, cols=2)
    _borderless(grid, (TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2))
    signers = (
        (f"ĐẠI DIỆN {d.ward_police}".upper(), d.police.person),
        (f"ĐẠI DIỆN {d.receiver}".upper(), d.office.person),
        ("THƯ KÝ", str(d.meeting.get("thu_ky") or "")),
        ("CHỦ TRÌ", d.principal_name),
    )
    for index, (cell, (title, name)) in enumerate(zip([c for r in grid.rows for c in r.cells], signers, strict=True)):
        _in_cell(cell, title, 13, bold=True, before=6 if index < 2 else 18)
        for _ in range(3):
            _p(cell, "", 13)
        _p(cell, name, 13, bold=True)
    return _save(word, f"{d.symbols['bien_ban']} {summary}", d.school_name)


def body_text(parts: list[tuple[str, str]] | list[str]) -> str:
    """A document's body for its page in Cascade (one paragraph per line)."""
    lines = []
    for part in parts:
        if isinstance(part, tuple):
            kind, text = part
            lines.append("(Bảng kết quả thực hiện các tiêu chí)" if kind == "table" else text)
        else:
            lines.append(part)
    return "\n".join(_t(line) for line in lines)


__all__ = [
    "Dossier",
    "Signatory",
    "bao_cao_docx",
    "bao_cao_text",
    "bien_ban_docx",
    "bien_ban_text",
    "body_text",
    "decision_text",
    "to_trinh_docx",
    "to_trinh_text",
]
