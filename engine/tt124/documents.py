"""The Circular 124 recognition dossier (Art. 9(2)(b)) as Word files laid out per Decree 30/2020: the school's
Tờ trình (submission), Báo cáo kết quả (report on results) and Biên bản (minutes of the self-assessment
meeting). A criterion is rated "Đạt" only when the meeting found it met and evidence backs it. UBND TP's decision
and the Giấy công nhận are in `engine.tt124.letters`.

Pure: the NĐ 30 Word layout of `engine.documents.word` (python-docx) and `engine.documents.nd30` (place-date line,
"Nơi nhận", signature block); the caller gives a `Dossier` of plain values and stores the bytes.
The three Word files carry no page numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm

from engine.documents import word as layout
from engine.documents.dates import format_date, parse_date, place_date_line
from engine.documents.nd30 import recipient_lines, signature_block
from engine.tt124.rules import CIRCULAR, CRITERIA, TITLE

_t = layout.clean_text
QUOTED_TITLE = f"“{TITLE}”"
NO_EVIDENCE = "Chưa có minh chứng"


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
                "Đối chiếu với sổ theo dõi sự việc và các báo cáo của nhà trường trong thời gian đánh giá: "
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
        ("p", _assessment(d)),
    ]
    return summary, out


def rated_met(d: Dossier, number: int) -> bool:
    """ "Đạt" only when the meeting found the criterion met and at least one piece of evidence backs it."""
    return bool(d.meeting.get(f"tc{number}")) and bool(_criterion_evidence(d, number))


def _assessment(d: Dossier) -> str:
    unmet = [n for n in CRITERIA if not rated_met(d, n)]
    if not unmet:
        return (
            f"{d.school_name} tự đánh giá đạt đủ 6 tiêu chí và đề nghị Ủy ban nhân dân thành phố xem xét, công nhận "
            f"nhà trường đạt tiêu chuẩn {QUOTED_TITLE} năm {d.year}."
        )
    listed = ", ".join(map(str, unmet))
    return (
        f"{d.school_name} tự đánh giá đạt {len(CRITERIA) - len(unmet)}/{len(CRITERIA)} tiêu chí; tiêu chí {listed} "
        "chưa có minh chứng hoặc chưa đạt, nhà trường tiếp tục bổ sung, hoàn thiện trước khi Ủy ban nhân dân thành "
        "phố xem xét."
    )


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


# --------------------------------------------------------------------------- Word layout (NĐ 30/2020)


def _opening(d: Dossier, key: str, kind: str, summary: str):
    """A new document (no page numbers) with the school's header, number `d.symbols[key]`, and the title."""
    word = layout.new_document()
    layout.header(
        word,
        managing_body=d.managing_body,
        issuer=d.school_name,
        symbol=d.symbols[key],
        place_line=place_date_line(d.place, d.issued_on),
    )
    layout.title(word, kind, summary)
    return word


def _principal(d: Dossier) -> list[str]:
    return signature_block("direct", None, "HIỆU TRƯỞNG", d.principal_name)


def _addressees(word, names: list[str]) -> None:
    """ "Kính gửi:" with the addressees one per line under each other, right of the words (NĐ 30 layout)."""
    for index, name in enumerate(names):
        end = "." if index == len(names) - 1 else ";"
        paragraph = layout.paragraph(word, "", 14, align=WD_ALIGN_PARAGRAPH.LEFT)
        fmt = paragraph.paragraph_format
        fmt.left_indent, fmt.first_line_indent = Mm(42), Mm(-24 if index == 0 else 0)
        if index == 0:
            layout.set_font(paragraph.add_run("Kính gửi:\t"), 14)
            fmt.tab_stops.add_tab_stop(Mm(42))
        layout.set_font(paragraph.add_run(_t(f"- {name}{end}")), 14)


def to_trinh_docx(d: Dossier) -> bytes:
    summary, body = to_trinh_text(d)
    word = _opening(d, "to_trinh", "TỜ TRÌNH", summary)
    _addressees(word, [d.city_committee, f"{d.city_police} (cơ quan thường trực Ban Chỉ đạo)"])
    layout.paragraph(word, "", 8)
    for line in body:
        layout.body_paragraph(word, line)
    layout.paragraph(word, "", 8)
    recipients = ["- Như trên;", *recipient_lines([(d.receiver, "bao_cao"), (d.ward_police, "de_biet"), ("VT", "luu")])]
    layout.foot(word, recipients, _principal(d))
    return layout.to_bytes(word, title=f"{d.symbols['to_trinh']} {summary}", author=d.school_name)


def _criteria_table(word, d: Dossier) -> None:
    widths = (10.0, 62.0, layout.TEXT_WIDTH_MM - 10 - 62 - 25, 25.0)
    table = word.add_table(rows=1, cols=4)
    table.style = word.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, ("TT", "Tiêu chí (Điều 7)", "Minh chứng", "Tự đánh giá"), strict=True):
        layout.cell_paragraph(cell, text, 12, bold=True)
    for number, (vi, _en) in CRITERIA.items():
        cells = table.add_row().cells
        layout.cell_paragraph(cells[0], str(number), 12)
        layout.cell_paragraph(cells[1], vi, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
        lines = [f"- {line}" for line in _criterion_evidence(d, number)] or [NO_EVIDENCE]
        layout.cell_paragraph(cells[2], lines[0], 11, align=WD_ALIGN_PARAGRAPH.LEFT)
        for line in lines[1:]:
            layout.paragraph(cells[2], line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
        layout.cell_paragraph(cells[3], "Đạt" if rated_met(d, number) else "Chưa đạt", 12, bold=True)
    layout.column_widths(table, widths)


def bao_cao_docx(d: Dossier) -> bytes:
    summary, parts = bao_cao_text(d)
    word = _opening(d, "bao_cao", "BÁO CÁO", summary)
    for kind, text in parts:
        if kind == "h":
            layout.heading(word, text)
        elif kind == "table":
            _criteria_table(word, d)
            layout.paragraph(word, "", 6)
        else:
            layout.body_paragraph(word, text)
    layout.paragraph(word, "", 8)
    recipients = recipient_lines(
        [(d.city_committee, "bao_cao"), (d.city_police, "bao_cao"), (d.receiver, "bao_cao"), ("VT", "luu")]
    )
    layout.foot(word, recipients, _principal(d))
    return layout.to_bytes(word, title=f"{d.symbols['bao_cao']} {summary}", author=d.school_name)


def bien_ban_docx(d: Dossier) -> bytes:
    summary, parts = bien_ban_text(d)
    word = _opening(d, "bien_ban", "BIÊN BẢN", summary)
    for kind, text in parts:
        (layout.heading if kind == "h" else layout.body_paragraph)(word, text)
    layout.paragraph(word, "", 8)
    grid = layout.layout_table(word, 2, (layout.TEXT_WIDTH_MM / 2, layout.TEXT_WIDTH_MM / 2))
    signers = (
        (f"ĐẠI DIỆN {d.ward_police}".upper(), d.police.person),
        (f"ĐẠI DIỆN {d.receiver}".upper(), d.office.person),
        ("THƯ KÝ", str(d.meeting.get("thu_ky") or "")),
        ("CHỦ TRÌ", d.principal_name),
    )
    for index, (cell, (title, name)) in enumerate(zip([c for r in grid.rows for c in r.cells], signers, strict=True)):
        layout.cell_paragraph(cell, title, 13, bold=True, before=6 if index < 2 else 18)
        for _ in range(3):
            layout.paragraph(cell, "", 13)
        layout.paragraph(cell, name, 13, bold=True)
    return layout.to_bytes(word, title=f"{d.symbols['bien_ban']} {summary}", author=d.school_name)


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
    "to_trinh_docx",
    "to_trinh_text",
]
