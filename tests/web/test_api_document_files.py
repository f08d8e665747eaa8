"""A token client downloads what a person downloads from a document's page: the issued document as Word and PDF and
its attached files (with what the signature check found), under the same visibility rule (404 otherwise)."""

from __future__ import annotations

import io

from sqlalchemy import select

from models import db
from models.document import Document
from tests.conftest import IsolatedClient
from tests.engine.test_document_files import needs_libreoffice
from tests.web.test_api import token_for

APPENDIX = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OUTSIDERS = ("ca.camtrung", "bcd.chuyenvien", "sgddt.chuyenvien", "catp.canbo")


@needs_libreoffice
def test_a_school_downloads_the_plan_and_its_files_through_the_api(app, browser):
    with app.app_context():
        document = db.session.scalars(select(Document).where(Document.symbol == "57/KH-PGDĐT")).one()
        clerk = browser("pgddt.vanthu")
        response = clerk.client.post(
            f"/documents/{document.id}/files",
            data={
                "csrf_token": clerk.csrf(f"/documents/{document.id}"),
                "kind": "appendix",
                "files": (
                    io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
                    "phu-luc.pdf",
                ),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
        api, school = IsolatedClient(app), token_for("thcs-suoikhoang.ht")
        detail = api.get(f"/api/documents/{document.id}", headers=school).get_json()
        kinds = {f["kind"]: f for f in detail["files"]}
        assert {"document_docx", "document_pdf", "appendix"} <= set(kinds)
        assert kinds["appendix"]["filename"] == "phu-luc.pdf" and kinds["appendix"]["signatures"] == []
        word = api.get(kinds["document_docx"]["url"], headers=school)
        assert word.status_code == 200 and word.data[:2] == b"PK"
        pdf = api.get(kinds["document_pdf"]["url"], headers=school)
        assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
        appendix = api.get(kinds["appendix"]["url"], headers=school)
        assert appendix.status_code == 200 and appendix.data.startswith(b"%PDF-1.4")

        outsider = next(u for u in OUTSIDERS if browser(u).get(f"/documents/{document.id}").status_code == 404)
        headers = token_for(outsider)
        for url in (kinds["document_docx"]["url"], kinds["document_pdf"]["url"], kinds["appendix"]["url"]):
            assert api.get(url, headers=headers).status_code == 404
        assert api.get(f"/api/documents/{document.id}/files/999999", headers=school).status_code == 404
