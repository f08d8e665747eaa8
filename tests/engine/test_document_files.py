"""An issued document as files: the NĐ 30 layout ("Nơi nhận" as offices write it, one issuer block), its Word
file read back with python-docx, its PDF from LibreOffice (text layer, fonts embedded), and the digital
signatures of an attached PDF (signed and intact; changed by one byte: flagged)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date

import pytest
from docx import Document as WordDocument
from pypdf import PdfReader

from engine.documents.layout import LayoutInput, Recipient, build_layout, issuer_line
from engine.documents.pdf import converter, docx_to_pdf
from engine.documents.render import document_docx
from engine.documents.signatures import pdf_signatures
from tests.support.signing import ORGANISATION, SIGNER, change_one_byte, sign_pdf

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BODY = (
    "Thực hiện Kế hoạch số 05-KH/BCĐ ngày 29/7/2022 của Ban chỉ đạo…\nI. MỤC ĐÍCH, YÊU CẦU\n1. Tăng cường sự lãnh đạo"
)


def plan_811(schools: int = 59) -> LayoutInput:
    recipients = [
        Recipient("Sở GD&ĐT", "department", "bao_cao"),
        Recipient("UBND TP", "people_committee", "bao_cao"),
        Recipient("CA TP", "police", "phoi_hop"),
        Recipient("Phòng GDĐT", "office", "chi_dao", is_issuer=True),
        *[Recipient(f"Trường {i}", "school", "thuc_hien") for i in range(schools)],
        Recipient("CTTT", "section", "luu"),
        Recipient("VT", "section", "luu"),
    ]
    return LayoutInput(
        issuer_name="Phòng Giáo dục và Đào tạo thành phố Cẩm Phả",
        issuer_short_name="Phòng GDĐT",
        issuer_kind="office",
        managing_body="UBND THÀNH PHỐ CẨM PHẢ",
        area_kind="city",
        grammar="state",
        doc_type="KH",
        symbol="811/KH-PGDĐT",
        place="Cẩm Phả",
        issued_on=date(2022, 8, 3),
        summary="Triển khai thực hiện mô hình An ninh cơ sở",
        body=BODY,
        signing_mode="KT",
        authority_title="TRƯỞNG PHÒNG",
        signer_title="PHÓ TRƯỞNG PHÒNG",
        signer_name="Lê Thị Lan",
        recipients=tuple(recipients),
    )


def test_noi_nhan_is_written_as_offices_write_it():
    layout = build_layout(plan_811())
    assert layout.recipients == (
        "- Sở GD&ĐT (báo cáo);",
        "- UBND TP (báo cáo);",
        "- CA TP (phối hợp);",
        "- TP, các PTP phòng GDĐT (chỉ đạo);",
        "- Các CSGD trên địa bàn thành phố (thực hiện);",
        "- Lưu: VT, CTTT.",
    )
    two = build_layout(plan_811(schools=2))
    assert "- Trường 0 (thực hiện);" in two.recipients  # two schools are still named one by one


def test_one_issuer_block_under_the_managing_body():
    assert issuer_line("Phòng Giáo dục và Đào tạo thành phố Cẩm Phả", "UBND THÀNH PHỐ CẨM PHẢ") == (
        "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"
    )
    assert issuer_line("Công an thành phố Cẩm Phả", "CÔNG AN TỈNH QUẢNG NINH") == "CÔNG AN THÀNH PHỐ CẨM PHẢ"
    assert issuer_line("Bộ Công an", None) == "BỘ CÔNG AN"


def word_text(data: bytes) -> list[str]:
    word = WordDocument(io.BytesIO(data))
    lines = [p.text for p in word.paragraphs]
    for table in word.tables:
        for cell in (c for row in table.rows for c in row.cells):
            lines += [p.text for p in cell.paragraphs]
    return lines


def test_word_file_has_the_nd30_layout():
    lines = word_text(document_docx(build_layout(plan_811()), author="Phòng GDĐT"))
    for expected in (
        "UBND THÀNH PHỐ CẨM PHẢ",
        "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",
        "Số: 811/KH-PGDĐT",
        "Cẩm Phả, ngày 03 tháng 8 năm 2022",
        "KẾ HOẠCH",
        "Triển khai thực hiện mô hình An ninh cơ sở",
        "I. MỤC ĐÍCH, YÊU CẦU",
        "- Các CSGD trên địa bàn thành phố (thực hiện);",
        "- Lưu: VT, CTTT.",
        "KT. TRƯỞNG PHÒNG",
        "PHÓ TRƯỞNG PHÒNG",
        "Lê Thị Lan",
    ):
        assert expected in lines, expected


needs_libreoffice = pytest.mark.skipif(
    converter() is None and not IN_CI, reason="LibreOffice is not installed (scripts/setup.sh installs it as root)"
)


@needs_libreoffice
def test_pdf_has_the_vietnamese_text_and_embedded_fonts(tmp_path):
    pdf = docx_to_pdf(document_docx(build_layout(plan_811()), author="Phòng GDĐT"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squashed = " ".join(text.split())
    for expected in ("Cẩm Phả, ngày 03 tháng 8 năm 2022", "Triển khai thực hiện mô hình An ninh cơ sở", "Lê Thị Lan"):
        assert expected in squashed, expected
    assert "Lưu: VT, CTTT." in squashed
    if shutil.which("pdffonts"):
        path = tmp_path / "811.pdf"
        path.write_bytes(pdf)
        rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        fonts = rows.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), rows  # the "emb" column


@needs_libreoffice
def test_signed_pdf_is_reported_intact_and_a_changed_byte_is_flagged():
    pdf = docx_to_pdf(document_docx(build_layout(plan_811(schools=3)), author="Phòng GDĐT"))
    assert pdf_signatures(pdf) == []
    signed = sign_pdf(pdf)
    [found] = pdf_signatures(signed)
    assert found["intact"] is True
    assert SIGNER in found["subject"] and ORGANISATION in found["issuer"]
    [changed] = pdf_signatures(change_one_byte(signed))
    assert changed["intact"] is False


def test_a_broken_file_claiming_a_signature_is_never_reported_intact():
    [found] = pdf_signatures(b"%PDF-1.7\n/ByteRange [0 10 20 30]\n%%EOF")
    assert found["intact"] is False
