"""Documents are real documents, end to end over HTTP: the clerk numbers 811/KH-PGDĐT on the date she chooses
(not before the approval) and is told the number and date; a recipient school downloads its Word and PDF files in
the NĐ 30 layout; the register lists it once; files with a digital signature are checked on the way in; an
incoming document registered by the clerk, with its PDF, and assigned to the office starts the same cascade."""

from __future__ import annotations

import io
from datetime import datetime

from pypdf import PdfReader
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.documents.distribution import default_distribution
from engine.documents.pdf import converter
from models import db
from models.document import Document, DocumentFile, DocumentRecipient
from models.incident import Notification
from models.store import SqlStore
from models.workflow import ProcessInstance
from tests.e2e.test_cascade_e2e import issue_plan
from tests.engine.test_document_files import needs_libreoffice, word_text
from tests.support.signing import change_one_byte, sign_pdf
from tests.support.walk import complete, open_task, org, recipients_form, user

BCD = {"specialist": "bcd.chuyenvien", "deputy": "bcd.pho", "clerk": "bcd.vanthu"}
DRAFT = {
    "loai_van_ban": "KH",
    "trich_yeu": "Triển khai thực hiện mô hình An ninh cơ sở",
    "noi_dung": "Thực hiện Kế hoạch số 05-KH/BCĐ ngày 29/7/2022…\nI. MỤC ĐÍCH, YÊU CẦU\n1. Tăng cường sự lãnh đạo",
    "han_nop": "31/08/2022",
}


def _office_plan(browser, instance_id: int, clerk_date: str = "03/08/2022") -> Document:
    """CTTT drafts, the deputy approves on 03/08; the clerk numbers it two days later, dated `clerk_date`."""
    store = SqlStore()
    chosen = default_distribution(store.org(org("cp-pgddt").id), store.orgs())
    form = dict(DRAFT, **recipients_form("noi_nhan", chosen))
    clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
    complete(browser("pgddt.cttt"), open_task("draft_plan", instance_id=instance_id), form)
    complete(browser("pgddt.pho"), open_task("approve_plan", instance_id=instance_id), {"quyet_dinh": "approve"})
    clock.freeze(datetime(2022, 8, 5, 9, 0, tzinfo=VN_TZ))
    clerk, task = browser("pgddt.vanthu"), open_task("register_plan", instance_id=instance_id)
    page = clerk.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "811/KH-PGDĐT" in page  # the proposed number
    early = complete(clerk, task, dict(recipients_form("noi_nhan", chosen), ngay_ban_hanh="02/08/2022"), expect=422)
    assert "không được trước ngày duyệt (03/08/2022)" in early.get_data(as_text=True)
    complete(
        clerk,
        open_task("register_plan", instance_id=instance_id),
        dict(recipients_form("noi_nhan", chosen), ngay_ban_hanh=clerk_date),
    )
    return db.session.scalars(select(Document).where(Document.issuing_instance_id == instance_id)).one()


def test_plan_811_is_numbered_on_the_clerks_date_and_downloaded_as_word_and_pdf(app, browser):
    with app.app_context():
        plan05 = issue_plan(browser, "cp-bcd", BCD, "Xây dựng mô hình An ninh cơ sở năm 2022", "02/08/2022")
        office = db.session.scalars(
            select(ProcessInstance).where(
                ProcessInstance.org_id == org("cp-pgddt").id, ProcessInstance.directive_id == plan05.id
            )
        ).one()
        plan = _office_plan(browser, office.id)
        assert plan.symbol == "811/KH-PGDĐT" and plan.issued_on.strftime("%d/%m/%Y") == "03/08/2022"
        told = db.session.scalars(select(Notification).where(Notification.user_id == user("pgddt.vanthu").id)).all()
        assert any("811/KH-PGDĐT" in n.title and "03/08/2022" in n.title for n in told)
        issuer_rows = db.session.scalars(
            select(DocumentRecipient).where(
                DocumentRecipient.document_id == plan.id, DocumentRecipient.org_id == org("cp-pgddt").id
            )
        ).all()
        assert issuer_rows == []  # the issuing office is not its own recipient
        register = browser("pgddt.vanthu").get("/documents").get_data(as_text=True)
        assert register.count(">811/KH-PGDĐT<") == 1

        school = browser(_principal("cp-s-thcs-suoi-khoang"))
        response = school.get(f"/documents/{plan.id}/document.docx")
        assert response.status_code == 200
        lines = word_text(response.data)
        for expected in (
            "UBND THÀNH PHỐ CẨM PHẢ",
            "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",
            "Số: 811/KH-PGDĐT",
            "Cẩm Phả, ngày 03 tháng 8 năm 2022",
            "- Sở GD&ĐT (báo cáo);",
            "- CA TP (phối hợp);",
            "- TP, các PTP phòng GDĐT (chỉ đạo);",
            "- Các CSGD trên địa bàn thành phố (thực hiện);",
            "- Lưu: VT, CTTT.",
            "KT. TRƯỞNG PHÒNG",
            "PHÓ TRƯỞNG PHÒNG",
            "Lê Thị Lan",
        ):
            assert expected in lines, expected
        page = school.get(f"/documents/{plan.id}").get_data(as_text=True)
        assert "- Các CSGD trên địa bàn thành phố (thực hiện);" in page and "Thực hiện 05-KH/BCĐ" not in page
        outsider = browser("ubndtinh.vanthu")
        assert outsider.get(f"/documents/{plan.id}/document.docx").status_code == 404
        if converter() is not None:
            pdf = school.get(f"/documents/{plan.id}/document.pdf")
            assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
            text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
            assert "Cẩm Phả, ngày 03 tháng 8 năm 2022" in text and "Lê Thị Lan" in text
            assert school.get(f"/documents/{plan.id}/document.pdf").data == pdf.data  # cached


def _principal(code: str) -> str:
    from seed import data

    return next(u["username"] for u in data.USERS if u["org"] == code and "principal" in u["roles"])


@needs_libreoffice
def test_an_attached_signed_pdf_is_checked_and_offered_to_recipients(app, browser):
    with app.app_context():
        document = db.session.scalars(select(Document).where(Document.symbol == "57/KH-PGDĐT")).one()
        clerk = browser("pgddt.vanthu")
        pdf = browser("pgddt.vanthu").get(f"/documents/{document.id}/document.pdf").data
        signed = sign_pdf(pdf)
        for name, data in (("ban-ky.pdf", signed), ("ban-sua.pdf", change_one_byte(signed))):
            token = clerk.csrf(f"/documents/{document.id}")
            response = clerk.client.post(
                f"/documents/{document.id}/files",
                data={"csrf_token": token, "kind": "signed", "files": (io.BytesIO(data), name)},
                content_type="multipart/form-data",
            )
            assert response.status_code == 303
        hostile = clerk.client.post(
            f"/documents/{document.id}/files",
            data={
                "csrf_token": clerk.csrf(f"/documents/{document.id}"),
                "kind": "appendix",
                "files": (io.BytesIO(b"MZ\x90\x00binary"), "phu-luc.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert hostile.status_code == 303
        rows = db.session.scalars(select(DocumentFile).where(DocumentFile.document_id == document.id)).all()
        assert [r.filename for r in rows] == ["ban-ky.pdf", "ban-sua.pdf"]
        assert rows[0].signatures[0]["intact"] is True and rows[1].signatures[0]["intact"] is False
        page = browser(_principal("cp-s-thcs-suoi-khoang")).get(f"/documents/{document.id}")
        html = page.get_data(as_text=True)
        assert "Còn nguyên vẹn từ khi ký" in html and "đã bị thay đổi sau khi ký" in html and "Lê Thị Lan" in html
        download = browser(_principal("cp-s-thcs-suoi-khoang")).get(f"/documents/{document.id}/files/{rows[0].id}")
        assert download.status_code == 200 and download.data == signed


def test_an_incoming_document_assigned_to_the_office_starts_the_cascade(app, browser):
    with app.app_context():
        clerk = browser("pgddt.vanthu")
        token = clerk.csrf("/documents/incoming/new")
        response = clerk.client.post(
            "/documents/incoming",
            data={
                "csrf_token": token,
                "issuer_id": "",
                "issuer_name": "Ban Chỉ đạo 138 tỉnh Quảng Ninh",
                "symbol": "12/KH-BCĐ138",
                "issued_on": "25/07/2022",
                "doc_type": "KH",
                "summary": "Phòng, chống tội phạm trong trường học năm 2022",
                "received_on": "29/07/2022",
                "files": (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"), "12-KH-BCD138.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:1500]
        document = db.session.scalars(select(Document).where(Document.symbol == "12/KH-BCĐ138")).one()
        entry = db.session.scalars(select(DocumentRecipient).where(DocumentRecipient.document_id == document.id)).one()
        assert entry.incoming_number == 1 and document.issuer_name == "Ban Chỉ đạo 138 tỉnh Quảng Ninh"
        response = clerk.post_form(
            f"/documents/{document.id}/assign",
            {"unit_id": str(org("cp-pgddt").id)},
            form_page=f"/documents/{document.id}",
        )
        assert response.status_code == 303
        office = db.session.scalars(select(ProcessInstance).where(ProcessInstance.directive_id == document.id)).one()
        assert "Soạn dự thảo kế hoạch" in browser("pgddt.cttt").get("/").get_data(as_text=True)
        plan = _office_plan(browser, office.id)
        assert plan.symbol == "811/KH-PGDĐT"
        open_task("draft_school_plan", "cp-s-thcs-suoi-khoang")  # the schools got their task
