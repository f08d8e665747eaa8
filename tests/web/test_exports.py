"""The compiled report's downloads: after a whole reporting period (tests/support/reporting_walk.py), the office
downloads the Word file (NĐ 30 layout) and the Excel indicator tables over HTTP; both open with python-docx /
openpyxl and hold the number, the place and date, the recipients by purpose, the signature block and every
figure, checked against what the schools reported. A school gets 404, and so does a document that was not
compiled from reports."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from urllib.parse import quote

import docx
import openpyxl
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlalchemy import select

from engine.documents.nd30 import PURPOSES
from models import db
from models.document import Document
from models.org import Organisation
from models.report import ReportCompilation
from tests.support.reporting_walk import people, run_full_period

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVEL_NAMES = {"MN": "Mầm non", "TH": "Tiểu học", "THCS": "THCS", "TH&THCS": "TH&THCS", "THPT": "THPT"}


def cell_paragraphs(cell) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text.strip()]


def all_texts(word) -> list[str]:
    texts = [p.text for p in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return [t for t in texts if t.strip()]


def paragraph_with(container, text: str):
    matches = [p for p in container.paragraphs if p.text == text]
    assert matches, f"no paragraph {text!r} in {[p.text for p in container.paragraphs]}"
    return matches[0]


def expected_sums(walked, fields: list[str]) -> tuple[dict, dict]:
    """Totals and per-level sums of what the accepted schools reported (independent of the compilation)."""
    levels = {o.id: o.school_level for o in db.session.scalars(select(Organisation))}
    totals = {f: 0 for f in fields}
    by_level: dict[str, dict[str, int]] = {}
    for school_id, values in walked.expected_values.items():
        level = by_level.setdefault(LEVEL_NAMES[levels[school_id]], {f: 0 for f in fields})
        for f in fields:
            totals[f] += int(values.get(f) or 0)
            level[f] += int(values.get(f) or 0)
    return totals, by_level


def test_compiled_report_downloads(app, browser):
    with app.app_context():
        walked = run_full_period(app)
        report = db.session.get(Document, walked.document_id)
        compilation = db.session.get(ReportCompilation, walked.compilation_id)
        fields = [f for f, _ in compilation.fields]
        labels = {f: label.split(" | ")[0] for f, label in compilation.fields}
        assert len(fields) == 15 and labels["b_sessions"] == "B. Số buổi tuyên truyền"
        totals, by_level = expected_sums(walked, fields)
        names = {o.id: o.name for o in db.session.scalars(select(Organisation))}
        late_names = [names[s] for s in walked.late if s not in walked.missing]
        missing_names = [names[s] for s in walked.missing]
        assert len(late_names) == 2 and len(missing_names) == 1
        assert re.fullmatch(r"\d+/BC-PGDĐT", report.symbol) and report.issued_on == date(2022, 9, 21)
        stem = report.symbol.replace("/", "-")

        office = browser("pgddt.cttt")
        page = office.get(f"/documents/{report.id}").get_data(as_text=True)
        assert f"/documents/{report.id}/report.docx" in page and f"/documents/{report.id}/indicators.xlsx" in page

        # ---------------------------------------------------------------- Word
        response = office.get(f"/documents/{report.id}/report.docx")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == DOCX
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(stem + '.docx')}" in disposition
        word = docx.Document(io.BytesIO(response.data))
        texts = all_texts(word)
        assert all(unicodedata.is_normalized("NFC", t) for t in texts)

        section = word.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
        assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
        assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
        assert word.styles["Normal"].font.name == "Times New Roman"

        header = word.tables[0]
        issuer_cell, motto_cell = header.rows[0].cells
        number_cell, date_cell = header.rows[1].cells
        assert cell_paragraphs(issuer_cell) == ["UBND THÀNH PHỐ CẨM PHẢ", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"]
        assert paragraph_with(issuer_cell, "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO").runs[0].bold
        assert cell_paragraphs(motto_cell) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
        assert cell_paragraphs(number_cell) == [f"Số: {report.symbol}"]
        assert cell_paragraphs(date_cell) == ["Cẩm Phả, ngày 21 tháng 9 năm 2022"]
        date_run = paragraph_with(date_cell, "Cẩm Phả, ngày 21 tháng 9 năm 2022").runs[0]
        assert date_run.italic and date_run.font.name == "Times New Roman" and date_run.font.size == Pt(14)

        title = paragraph_with(word, "BÁO CÁO")
        assert title.runs[0].bold and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
        summary = paragraph_with(word, report.summary)
        assert summary.runs[0].bold and summary.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert report.summary.endswith("Quý 3/2022")
        body_lines = [line.strip() for line in report.body.splitlines() if line.strip()]
        assert body_lines[0].startswith("Kỳ báo cáo: Quý 3/2022") and all(line in texts for line in body_lines)
        body_sizes = {r.font.size for line in body_lines for r in paragraph_with(word, line).runs}
        assert body_sizes == {Pt(14)}

        figures_table = next(t for t in word.tables if t.rows[0].cells[1].text == "Chỉ tiêu")
        level_names = [c.text for c in figures_table.rows[0].cells[3:]]
        assert [c.text for c in figures_table.rows[0].cells[:3]] == ["TT", "Chỉ tiêu", "Tổng số"]
        assert set(level_names) == set(by_level)
        rows = {row.cells[1].text: [c.text for c in row.cells] for row in figures_table.rows[1:]}
        assert len(rows) == len(fields)
        for field in fields:
            row = rows[labels[field]]
            assert int(row[2]) == totals[field], field
            assert [int(v) for v in row[3:]] == [by_level[name][field] for name in level_names], field
        assert totals["b_participants_students"] > 1000  # real sums, not zeros
        late_line = next(t for t in texts if t.startswith("Các trường nộp báo cáo chậm (2):"))
        missing_line = next(t for t in texts if t.startswith("Các trường chưa nộp báo cáo (1):"))
        assert all(name in late_line for name in late_names) and missing_names[0] in missing_line

        foot = word.tables[-1]
        noi_nhan, signature = foot.rows[0].cells  # "Nơi nhận" bottom left, the signer bottom right
        heading = paragraph_with(noi_nhan, "Nơi nhận:")
        assert heading.runs[0].bold and heading.runs[0].italic and heading.runs[0].font.size == Pt(12)
        recipient_texts = cell_paragraphs(noi_nhan)[1:]
        sent_up = [r for r in report.recipients if r.purpose != "luu"]
        assert {r.org.code for r in sent_up} == {"qn-sgddt", "cp-ubnd"}
        for r in sent_up:
            assert any(line.startswith(f"- {r.org.name} ({PURPOSES[r.purpose].label_vi})") for line in recipient_texts)
        assert "- Sở Giáo dục và Đào tạo tỉnh Quảng Ninh (báo cáo);" in recipient_texts
        filed = [r.org.short_name for r in report.recipients if r.purpose == "luu"]
        assert filed and recipient_texts[-1] == "- Lưu: " + ", ".join(filed) + "."
        assert cell_paragraphs(signature) == ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "Lê Thị Lan"]
        assert all(p.runs[0].bold for p in signature.paragraphs if p.text.strip())

        # ---------------------------------------------------------------- Excel
        response = office.get(f"/documents/{report.id}/indicators.xlsx")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == XLSX
        assert f"filename*=UTF-8''{quote(stem + ' - Số liệu.xlsx')}" in response.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == ["Tổng hợp", "Theo trường", "Theo phường"]
        for sheet in book:
            header_row = list(sheet.iter_rows(min_row=1, max_row=1))[0]
            assert all(c.font.bold for c in header_row if c.value is not None), sheet.title
            for col in range(1, sheet.max_column + 1):
                letter = openpyxl.utils.get_column_letter(col)
                assert sheet.column_dimensions[letter].width and sheet.column_dimensions[letter].width >= 6

        summary_sheet = book["Tổng hợp"]
        head = [c.value for c in summary_sheet[1]]
        assert head[:3] == ["TT", "Chỉ tiêu", "Tổng số"] and set(head[3:]) == set(by_level)
        by_label = {row[1]: row for row in summary_sheet.iter_rows(min_row=2, values_only=True) if row[1]}
        for field in fields:
            row = by_label[labels[field]]
            assert row[2] == totals[field], field
            assert list(row[3:]) == [by_level[name][field] for name in head[3:]], field
        assert by_label["Số trường phải báo cáo"][2] == len(walked.schools)
        assert by_label["Chưa nộp"][2] == 1 and by_label["Nộp chậm"][2] == 2

        schools_sheet = book["Theo trường"]
        head = [c.value for c in schools_sheet[1]]
        assert head[:5] == ["Trường", "Cấp học", "Phường, xã", "Trạng thái", "Đúng hạn"]
        column = {labels[f]: head.index(labels[f]) for f in fields}
        ids_by_name = {names[s]: s for s in walked.schools}
        rows = list(schools_sheet.iter_rows(min_row=2, values_only=True))
        school_rows, total_row = rows[:-1], rows[-1]
        assert len(school_rows) == len(walked.schools)
        for row in school_rows:
            school_id = ids_by_name[row[0]]
            if school_id in walked.missing:
                assert row[3:5] == ("Chưa nộp", "Chưa nộp") and all(row[column[labels[f]]] is None for f in fields)
                continue
            assert row[3] == "Đã duyệt" and row[4] == ("Chậm" if school_id in walked.late else "Đúng hạn")
            for f in fields:
                assert row[column[labels[f]]] == int(walked.expected_values[school_id].get(f) or 0), (row[0], f)
        assert total_row[0].startswith("Tổng cộng") and all(total_row[column[labels[f]]] == totals[f] for f in fields)

        wards_sheet = book["Theo phường"]
        head = [c.value for c in wards_sheet[1]]
        rows = list(wards_sheet.iter_rows(min_row=2, values_only=True))
        ward_rows, total_row = rows[:-1], rows[-1]
        assert all(unicodedata.is_normalized("NFC", row[0]) for row in ward_rows)
        assert sum(row[1] for row in ward_rows) == len(walked.schools) == total_row[1]
        for f in fields:
            assert sum(row[head.index(labels[f])] for row in ward_rows) == totals[f] == total_row[head.index(labels[f])]

        # ---------------------------------------------------------------- who gets them
        assert browser("sgddt.chuyenvien").get(f"/documents/{report.id}/report.docx").status_code == 200  # sent up
        school = browser(people(walked.schools[0])["principal"])
        for path in (f"/documents/{report.id}/report.docx", f"/documents/{report.id}/indicators.xlsx"):
            assert school.get(path).status_code == 404, path
        # a document the office sees but that no compilation points to: no links, no files
        plan = db.session.scalars(
            select(Document).where(Document.issuer_id == report.issuer_id, Document.id != report.id)
        ).first()
        assert plan is not None
        assert (
            db.session.scalars(select(ReportCompilation).where(ReportCompilation.document_id == plan.id)).first()
            is None
        )
        page = office.get(f"/documents/{plan.id}")
        assert page.status_code == 200 and "report.docx" not in page.get_data(as_text=True)
        for path in (f"/documents/{plan.id}/report.docx", f"/documents/{plan.id}/indicators.xlsx"):
            assert office.get(path).status_code == 404, path
