"""UBND TP's decision recognising a school (…/QĐ-UBND) and the Giấy công nhận issued with it, as Word files laid
out per Decree 30/2020 (the NĐ 30 layout of `engine.documents.word` and `engine.documents.nd30`). Pure: the
caller gives a `Recognition` of plain values and stores the bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH

from engine.documents import word as layout
from engine.documents.dates import format_date, place_date_line
from engine.documents.nd30 import recipient_lines, signature_block
from engine.tt124.rules import CIRCULAR, TITLE

QUOTED_TITLE = f"“{TITLE}”"


@dataclass(frozen=True)
class Recognition:
    """What the decision and the certificate say."""

    year: int
    committee: str  # "Ủy ban nhân dân thành phố Cẩm Phả"
    symbol: str  # "12/QĐ-UBND"
    place: str
    issued_on: date
    school_name: str
    to_trinh: str  # the school's submission, "05/TTr-THCSCĐ"
    city_police: str
    receiver: str  # Phòng GDĐT
    signing_mode: str  # TM | KT
    authority_title: str  # "ỦY BAN NHÂN DÂN" (TM) or "CHỦ TỊCH" (KT)
    signer_title: str
    signer_name: str

    @property
    def place_line(self) -> str:
        return place_date_line(self.place, self.issued_on)

    @property
    def signature(self) -> list[str]:
        return signature_block(self.signing_mode, self.authority_title, self.signer_title, self.signer_name)


def decision_summary(school_name: str, year: int) -> str:
    return f"Về việc công nhận {school_name} đạt tiêu chuẩn {QUOTED_TITLE} năm {year}"


def decision_text(school_name: str, year: int, to_trinh: str, appraisal_by: str, receiver: str) -> tuple[str, str]:
    """(summary line, body) of UBND TP's decision recognising one school (Giấy công nhận kèm theo)."""
    body = [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015; Luật sửa đổi, bổ sung một số điều của Luật "
        "Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22/11/2019;",
        f"Căn cứ {CIRCULAR} quy định về khu dân cư, xã, phường, thị trấn, cơ quan, doanh nghiệp, cơ sở giáo dục "
        f"đạt tiêu chuẩn {QUOTED_TITLE};",
        f"Xét Tờ trình số {to_trinh} của {school_name} và kết quả thẩm định của {appraisal_by},",
        "QUYẾT ĐỊNH:",
        f"Điều 1. Công nhận {school_name} đạt tiêu chuẩn {QUOTED_TITLE} năm {year}; cấp Giấy công nhận kèm theo.",
        "Điều 2. Quyết định có hiệu lực kể từ ngày ký.",
        f"Điều 3. Chánh Văn phòng HĐND và UBND thành phố, Trưởng {appraisal_by}, Trưởng {receiver}, Hiệu "
        f"trưởng {school_name} và các cơ quan, đơn vị có liên quan căn cứ Quyết định thi hành./.",
    ]
    return decision_summary(school_name, year), "\n".join(body)


def decision_docx(r: Recognition) -> bytes:
    summary, body = decision_text(r.school_name, r.year, r.to_trinh, r.city_police, r.receiver)
    word = layout.new_document(page_numbers=False)
    layout.header(word, managing_body=None, issuer=r.committee, symbol=r.symbol, place_line=r.place_line)
    layout.title(word, "QUYẾT ĐỊNH", summary)
    authority = "ỦY BAN NHÂN DÂN" if r.signing_mode == "TM" else "CHỦ TỊCH ỦY BAN NHÂN DÂN"
    layout.paragraph(
        word, f"{authority} {r.committee.removeprefix('Ủy ban nhân dân ')}".upper(), 14, bold=True, after=6
    )
    for line in body.split("\n"):
        if line == "QUYẾT ĐỊNH:":
            layout.paragraph(word, line, 14, bold=True, before=6, after=6)
        elif line.startswith("Căn cứ") or line.startswith("Xét"):
            layout.paragraph(word, line, 14, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=12.7, after=6)
        else:
            layout.body_paragraph(word, line)
    layout.paragraph(word, "", 8)
    recipients = [
        "- Như Điều 3;",
        *recipient_lines(
            [(r.city_police, "bao_cao"), (r.receiver, "de_biet"), (r.school_name, "de_biet"), ("VT", "luu")]
        ),
    ]
    layout.foot(word, recipients, r.signature)
    return layout.to_bytes(word, title=f"{r.symbol} {summary}", author=r.committee)


def certificate_docx(r: Recognition) -> bytes:
    """The Giấy công nhận: the committee's header and number, the school's name, the standard and year, the
    decision it goes with, and the signature."""
    word = layout.new_document(page_numbers=False)
    layout.header(word, managing_body=None, issuer=r.committee, symbol=r.symbol, place_line=r.place_line)
    layout.paragraph(word, "GIẤY CÔNG NHẬN", 20, bold=True, before=30, after=12)
    layout.paragraph(word, f"CHỦ TỊCH {r.committee}".upper(), 14, bold=True, after=6)
    layout.paragraph(word, "CÔNG NHẬN", 14, bold=True, after=12)
    layout.paragraph(word, r.school_name.upper(), 18, bold=True, after=12)
    layout.paragraph(word, f"Đạt tiêu chuẩn {QUOTED_TITLE} năm {r.year}", 16, bold=True, after=6)
    layout.paragraph(
        word,
        f"(Kèm theo Quyết định số {r.symbol} ngày {format_date(r.issued_on)} của {r.committee})",
        14,
        italic=True,
        after=18,
    )
    layout.foot(word, [], r.signature)
    return layout.to_bytes(word, title=f"Giấy công nhận {r.school_name} năm {r.year}", author=r.committee)


__all__ = ["Recognition", "certificate_docx", "decision_docx", "decision_summary", "decision_text"]
