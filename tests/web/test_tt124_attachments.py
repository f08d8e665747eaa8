"""Circular 124 evidence attachments and `flask tt124 open-year`, through the real HTTP app and CLI.

A school files evidence against a criterion and attaches its minutes and a photo; it, Phòng GDĐT, its ward police
and the city police download them (as attachments, never sniffed); another school, another ward's police and a
UBND TP clerk get a 404, and nobody outside the school can attach. Oversize, wrong type, empty selection, missing
CSRF, too many files, a closed dossier: refused with a clear message, nothing stored. The command opens a year
once; a second run says it is open already; a bad year or office is an error."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine.core.clock import VN_TZ, clock
from engine.tt124 import services as tt124_services
from models import db
from models.tt124 import Tt124Cycle, Tt124Evidence, Tt124File, Tt124Participation
from tests.e2e.test_tt124 import REGISTRATION
from tests.support.reporting_walk import people, token_actor
from tests.support.walk import open_task, org
from web.deps import cascade, store

SCHOOL = "cp-s-thcs-cam-dong"  # ward Cẩm Đông: its police is ca.camdong
OTHER_SCHOOL = "cp-s-thcs-suoi-khoang"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def year_with_evidence(code: str = SCHOOL) -> tuple[Tt124Participation, Tt124Evidence, dict[str, str]]:
    """Open 2022 for Phòng GDĐT, let the school register and file one piece of evidence (criterion 2)."""
    clock.freeze(datetime(2022, 2, 15, 8, 0, tzinfo=VN_TZ))
    cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2022)
    cascade().deliver_messages(store())
    school = org(code)
    p = db.session.scalars(
        select(Tt124Participation).where(
            Tt124Participation.cycle_id == cycle_id, Tt124Participation.school_id == school.id
        )
    ).one()
    who = people(school.id)
    clock.freeze(datetime(2022, 3, 10, 9, 0, tzinfo=VN_TZ))
    task = open_task("register", instance_id=p.instance_id)
    cascade().complete_task(store(), token_actor(who["principal"]), task.id, REGISTRATION)
    clock.freeze(datetime(2022, 5, 10, 9, 0, tzinfo=VN_TZ))
    task = open_task("add_evidence", instance_id=p.instance_id)
    values = {"tieu_chi": "2", "minh_chung": "Họp Ban đại diện cha mẹ học sinh quý II", "van_ban": "BB 12/5"}
    cascade().complete_task(store(), token_actor(who["staff"]), task.id, values)
    db.session.expire_all()
    evidence = db.session.scalars(select(Tt124Evidence).where(Tt124Evidence.participation_id == p.id)).one()
    return db.session.get(Tt124Participation, p.id), evidence, who


def upload(client, participation_id: int, evidence_id: int, files: list, *, csrf: bool = True):
    data: dict = {"files": files}
    if csrf:
        data["csrf_token"] = client.csrf(f"/tt124/schools/{participation_id}")
    return client.client.post(f"/tt124/evidence/{evidence_id}/files", content_type="multipart/form-data", data=data)


def stored(evidence_id: int | None = None) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(Tt124File).where(Tt124File.kind == "evidence")
    if evidence_id is not None:
        query = query.where(Tt124File.evidence_id == evidence_id)
    return db.session.scalar(query)


def test_the_school_attaches_files_and_those_who_see_its_dossier_download_them(app, browser):
    with app.app_context():
        p, evidence, who = year_with_evidence()
        staff = browser(who["staff"])
        page = staff.get(f"/tt124/schools/{p.id}").get_data(as_text=True)
        assert f'action="/tt124/evidence/{evidence.id}/files"' in page and 'name="files"' in page

        response = upload(
            staff,
            p.id,
            evidence.id,
            [
                (io.BytesIO(PDF), "../../Biên bản họp BĐD CMHS.pdf", "application/pdf"),
                (io.BytesIO(PNG), "ảnh<hop>.PNG", "application/octet-stream"),  # the browser's type is not trusted
                (io.BytesIO(docx_bytes()), "ho-so/2022/Kế hoạch phối hợp.docx", "application/octet-stream"),
            ],
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        assert response.headers["Location"].endswith(f"/tt124/schools/{p.id}#evidence-{evidence.id}")
        db.session.expire_all()
        files = db.session.scalars(
            select(Tt124File).where(Tt124File.evidence_id == evidence.id).order_by(Tt124File.id)
        ).all()
        assert [(f.kind, f.filename, f.content_type, f.participation_id) for f in files] == [
            ("evidence", "Biên bản họp BĐD CMHS.pdf", "application/pdf", p.id),
            ("evidence", "ảnh_hop.png", "image/png", p.id),
            (
                "evidence",
                "Kế hoạch phối hợp.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                p.id,
            ),
        ]
        assert files[0].uploaded_by.username == who["staff"] and files[0].size == len(PDF)
        assert db.session.get(Tt124Participation, p.id).files == []  # the dossier's Word files are apart

        page = staff.get(f"/tt124/schools/{p.id}").get_data(as_text=True)
        links = re.findall(rf'href="(/tt124/evidence/{evidence.id}/files/\d+)"', page)
        assert links == [f"/tt124/evidence/{evidence.id}/files/{f.id}" for f in files]
        assert "Biên bản họp BĐD CMHS.pdf" in page

        download = staff.get(links[0])
        assert download.status_code == 200 and download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n" in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in download.headers["Cache-Control"]

        # those who see the dossier page see the files: the principal, Phòng GDĐT, the ward and city police
        for username in (who["principal"], "pgddt.cttt", "pgddt.pho", "ca.camdong", "catp.canbo", "admin"):
            got = browser(username).get(links[1])
            assert got.status_code == 200 and got.data == PNG, username
        # nobody else, and never through the dossier files' route
        other = people(org(OTHER_SCHOOL).id)
        for username in (other["principal"], other["staff"], "ca.camson", "ubndtp.vanthu", "mn-camson.ht"):
            assert browser(username).get(links[0]).status_code == 404, username
            assert browser(username).get(f"/tt124/schools/{p.id}").status_code == 404, username
        assert staff.get(f"/tt124/files/{files[0].id}").status_code == 404
        assert staff.get(f"/tt124/evidence/{evidence.id + 1}/files/{files[0].id}").status_code == 404

        # only the school attaches: another school cannot even see the evidence, the ward police may not add
        outsider = browser(other["staff"])
        refused = outsider.client.post(
            f"/tt124/evidence/{evidence.id}/files",
            content_type="multipart/form-data",
            data={
                "csrf_token": outsider.csrf("/incidents/new"),
                "files": [(io.BytesIO(PDF), "x.pdf", "application/pdf")],
            },
        )
        assert refused.status_code == 404
        police = browser("ca.camdong")
        assert 'name="files"' not in police.get(f"/tt124/schools/{p.id}").get_data(as_text=True)
        refused = upload(police, p.id, evidence.id, [(io.BytesIO(PDF), "x.pdf", "application/pdf")])
        assert refused.status_code == 403
        assert stored() == 3


def test_bad_uploads_are_refused_with_a_message_and_nothing_is_stored(app, browser, monkeypatch):
    with app.app_context():
        p, evidence, who = year_with_evidence()
        staff = browser(who["staff"])

        def refused(files, status, message, **kw):
            response = upload(staff, p.id, evidence.id, files, **kw)
            body = response.get_data(as_text=True)
            assert response.status_code == status, body[:300]
            assert message in body, body[:2000]
            assert stored() == 0

        refused([(io.BytesIO(b"MZ\x90\x00\x03"), "bao-cao.exe", "application/x-msdownload")], 422, "không thuộc loại")
        refused([(io.BytesIO(PDF), "anh.png", "image/png")], 422, "không thuộc loại")  # content and name disagree
        refused([(io.BytesIO(b"\x00\x01binary"), "ghi-chu.txt", "text/plain")], 422, "không thuộc loại")
        refused([(io.BytesIO(b"PK\x03\x04broken"), "ke-hoach.docx", DOCX_TYPE)], 422, "không thuộc loại")
        refused([(io.BytesIO(b""), "trong.pdf", "application/pdf")], 422, "không có nội dung")
        refused([], 422, "Vui lòng chọn ít nhất một tệp")
        # one bad file among good ones: none is kept
        refused(
            [(io.BytesIO(PDF), "bien-ban.pdf", "application/pdf"), (io.BytesIO(b"<svg/>"), "x.svg", "image/svg+xml")],
            422,
            "x.svg",
        )
        refused([(io.BytesIO(PDF), "bien-ban.pdf", "application/pdf")], 400, "CSRF", csrf=False)
        # over the request cap: Flask stops it before the view
        big = PDF + b"0" * app.config["MAX_CONTENT_LENGTH"]
        refused([(io.BytesIO(big), "lon.pdf", "application/pdf")], 413, "Tệp quá lớn")
        # over the per-file cap (the same one incident attachments use), under the request cap
        monkeypatch.setattr("web.uploads.MAX_ATTACHMENT", 1024)
        refused([(io.BytesIO(PDF + b"0" * 2048), "lon.pdf", "application/pdf")], 413, "tối đa 1 KB")
        monkeypatch.undo()
        too_many = [(io.BytesIO(f"ghi chú {i}".encode()), f"ghi-chu-{i}.txt", "text/plain") for i in range(11)]
        refused(too_many, 422, "tối đa 10 tệp")

        # once the dossier has been sent, its evidence is as sent
        row = db.session.get(Tt124Participation, p.id)
        row.status = "submitted"
        db.session.commit()
        refused([(io.BytesIO(PDF), "muon.pdf", "application/pdf")], 409, "đã gửi")
        assert 'name="files"' not in staff.get(f"/tt124/schools/{p.id}").get_data(as_text=True)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_incident_attachments_follow_the_same_rules(app, browser):
    with app.app_context():
        clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
        client = browser(people(org(SCHOOL).id)["staff"])
        base = {
            "category": "fight",
            "severity": "minor",
            "location": "inside",
            "occurred_at": "2022-08-03T07:30",
            "description": "Xô xát.",
        }
        bad = client.client.post(
            "/incidents/new",
            content_type="multipart/form-data",
            data={
                **base,
                "csrf_token": client.csrf("/incidents/new"),
                "attachments": [(io.BytesIO(b"MZ\x90"), "anh.jpg", "image/jpeg")],  # a declared type is not enough
            },
        )
        assert bad.status_code == 422
        ok = client.client.post(
            "/incidents/new",
            content_type="multipart/form-data",
            data={
                **base,
                "csrf_token": client.csrf("/incidents/new"),
                "attachments": [(io.BytesIO(PDF), "..\\Tường trình.pdf", "application/octet-stream")],
            },
        )
        assert ok.status_code == 303
        from models.incident import IncidentAttachment

        row = db.session.scalars(select(IncidentAttachment)).one()
        assert (row.filename, row.content_type) == ("Tường trình.pdf", "application/pdf")


# --------------------------------------------------------------------------- flask tt124 open-year
def cycles(year: int) -> list[Tt124Cycle]:
    db.session.expire_all()
    return db.session.scalars(select(Tt124Cycle).where(Tt124Cycle.year == year).order_by(Tt124Cycle.id)).all()


def test_open_year_command_is_idempotent(app):
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["tt124", "open-year", "--year", "2023", "--office", "cp-pgddt"])
        assert first.exit_code == 0, first.output
        assert "Circular 124 year 2023 opened for cp-pgddt" in first.output
        assert "59 school(s), 19 eligible, 19 school year(s) started" in first.output
        [cycle] = cycles(2023)
        assert cycle.receiver_id == org("cp-pgddt").id and cycle.opened_by_id is None
        rows = db.session.scalars(select(Tt124Participation).where(Tt124Participation.cycle_id == cycle.id)).all()
        assert sum(r.instance_id is not None for r in rows) == 19
        assert open_task("register", instance_id=next(r.instance_id for r in rows if r.instance_id))

        again = runner.invoke(args=["tt124", "open-year", "--year", "2023", "--office", "cp-pgddt"])
        assert again.exit_code == 0, again.output
        assert "already open for cp-pgddt" in again.output and "nothing done" in again.output
        assert len(cycles(2023)) == 1
        # a section stands for its office (as on the web)
        section = runner.invoke(args=["tt124", "open-year", "--year", "2023", "--office", "cp-pgddt-cttt"])
        assert section.exit_code == 0 and "already open for cp-pgddt" in section.output

        # without --office: every organisation that manages schools, each once
        everyone = runner.invoke(args=["tt124", "open-year", "--year", "2023"])
        assert everyone.exit_code == 0, everyone.output
        assert "already open for cp-pgddt" in everyone.output and "opened for qn-sgddt" in everyone.output
        assert {c.receiver_id for c in cycles(2023)} == {org("cp-pgddt").id, org("qn-sgddt").id}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--year", "2021"], "2021 is not a year that can be opened"),
        (["--year", "2031"], "2031 is not a year that can be opened"),
        (["--year", "hai nghìn"], "is not a valid integer"),
        ([], "Missing option '--year'"),
        (["--year", "2023", "--office", "khong-co"], "no organisation with code 'khong-co'"),
        (["--year", "2023", "--office", "cp-ubnd"], "manages no schools"),
    ],
)
def test_open_year_command_refuses_bad_input(app, args, message):
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["tt124", "open-year", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert not db.session.scalars(select(Tt124Cycle)).all()
