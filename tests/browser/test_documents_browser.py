"""In Debian's Chromium: the clerk of Phòng GDĐT registers the province's 31/KH-SGDĐT, received on paper, with its
PDF, assigns it to the office, and the office's drafter finds it in the inbox; a recipient school downloads a
plan's Word file. Screenshots of the pages at 1366×768 and 360×800 go to the test's folder."""

from __future__ import annotations

import io

from docx import Document as WordDocument

from seed import data
from tests.browser.test_browser import live_server, login, page  # noqa: F401 - the fixtures
from tests.engine.test_document_files import word_text
from tests.support.walk import org

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _shots(tab, path, name: str) -> None:
    for width, height in ((1366, 768), (360, 800)):
        tab.set_viewport_size({"width": width, "height": height})
        tab.screenshot(path=str(path / f"{name}-{width}.png"), full_page=True)
    tab.set_viewport_size({"width": 1366, "height": 768})


def test_clerk_registers_an_incoming_document_and_assigns_it(live_server, page, sqlite_app, tmp_path):  # noqa: F811
    base = live_server
    login(page, base, "pgddt.vanthu")
    page.goto(f"{base}/documents")
    page.click("text=Vào sổ văn bản đến")
    page.select_option("#issuer_id", label="Sở Giáo dục và Đào tạo tỉnh Quảng Ninh")
    page.fill("#symbol", "31/KH-SGDĐT")
    page.fill("#issued_on", "06/01/2022")
    page.select_option("#doc_type", "KH")
    page.fill("#summary", "Phối hợp triển khai thực hiện mô hình An ninh cơ sở")
    page.fill("#received_on", "10/01/2022")
    page.set_input_files("#files", files=[{"name": "31-KH-SGDDT.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    _shots(page, tmp_path, "incoming-form")
    page.click("form.task-form button[type=submit]")
    page.wait_for_selector("section.incoming")
    assert "Đã vào sổ văn bản đến, số đến 1." in page.content()
    assert "31-KH-SGDDT.pdf" in page.content()
    with sqlite_app.app_context():
        office = str(org("cp-pgddt").id)
    page.select_option("#unit_id", office)
    _shots(page, tmp_path, "incoming-document")
    page.click("section.incoming button[type=submit]")
    page.wait_for_selector("text=Đã giao xử lý")
    page.context.clear_cookies()
    login(page, base, "pgddt.cttt")
    assert "31/KH-SGDĐT" in page.content() and "Soạn dự thảo kế hoạch" in page.content()


def test_a_recipient_school_downloads_the_plans_word_file(live_server, page, sqlite_app, tmp_path):  # noqa: F811
    base = live_server
    school = "cp-s-thcs-suoi-khoang"
    principal = next(u["username"] for u in data.USERS if u["org"] == school and "principal" in u["roles"])
    login(page, base, principal)
    page.goto(f"{base}/documents")
    page.click("text=57/KH-PGDĐT")
    _shots(page, tmp_path, "document-page")
    with page.expect_download() as download:
        page.click("text=Tải văn bản (Word)")
    saved = tmp_path / "57.docx"
    download.value.save_as(saved)
    lines = word_text(saved.read_bytes())
    assert "Số: 57/KH-PGDĐT" in lines and "- Lưu: VT, CTTT." in lines
    assert WordDocument(io.BytesIO(saved.read_bytes())).core_properties.title.startswith("57/KH-PGDĐT")
