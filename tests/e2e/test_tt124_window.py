"""Circular 124, issue 20: the decision waits for the window to close (from 16/11, before 20/11) and the incident
watch runs to the window's end whatever happened; a disqualifying incident after a decision (one taken early,
before this rule, or one reported late) flags the recognition for review and tells the office; empty evidence
is refused; the dossier rates "Đạt" only what evidence backs and never names the software; the decision and the
Giấy công nhận are Word files in the NĐ 30 layout, downloadable by the school and the office only."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from docx import Document as WordDocument
from sqlalchemy import delete, select

from engine.core.clock import VN_TZ, clock
from engine.core.errors import FormValidationError
from engine.incidents import services as incident_services
from engine.tt124 import HANDLERS
from engine.tt124 import services as tt124_services
from models import db
from models.document import Document
from models.incident import Notification
from models.org import User
from models.tt124 import Tt124Evidence, Tt124File, Tt124Participation
from models.workflow import HumanTask, ProcessInstance, Timer
from tests.support.reporting_walk import people, token_actor
from tests.support.walk import open_task, org
from web.deps import cascade, store

SCHOOL = "cp-s-thcs-cam-dong"
OTHER = "cp-s-thcs-suoi-khoang"
REGISTRATION = {
    "so_ke_hoach": "15/KH-THCS",
    "ngay_ke_hoach": "05/01/2022",
    "co_to_chuc_dang": False,
    "noi_quy": True,
    "pho_bien_100": True,
    "mo_hinh": "Cổng trường an toàn giao thông",
    "xac_nhan_dang_ky": True,
}
MEETING = {
    "ngay_hop": "08/11/2022",
    "dia_diem": "Phòng họp Hội đồng nhà trường",
    "thu_ky": "Nguyễn Thị Thư",
    **{f"tc{n}": True for n in range(1, 7)},
    "ty_le_to_dat": 86,
    "ty_le_tan_thanh": 100,
    "ket_luan": "dat",
    "noi_dung_hop": "Nhà trường đề nghị công nhận.",
}
VIOLENCE = {
    "category": "school_violence",
    "severity": "serious",
    "location": "inside",
    "place": "Sân trường",
    "description": "Hai nhóm học sinh lớp 9 xô xát, một em bị thương nhẹ.",
}


def at(*args) -> None:
    clock.freeze(datetime(*args, tzinfo=VN_TZ))


def act(username: str, bpmn_id: str, instance_id: int, values: dict) -> None:
    task = open_task(bpmn_id, instance_id=instance_id)
    cascade().complete_task(store(), token_actor(username), task.id, values)
    cascade().deliver_messages(store())


def participation(cycle_id: int, code: str) -> Tt124Participation:
    db.session.expire_all()
    return db.session.scalars(
        select(Tt124Participation).where(
            Tt124Participation.cycle_id == cycle_id, Tt124Participation.school_id == org(code).id
        )
    ).one()


def notified(username: str) -> list[str]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return [n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def text_of(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    parts = [p.text for p in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            for cell in row.cells:
                parts += [p.text for p in cell.paragraphs]
    return "\n".join(parts)


def open_year(year: int) -> int:
    cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, year)
    cascade().deliver_messages(store())
    return cycle_id


def raise_violence(code: str, occurred: str) -> None:
    principal = people(org(code).id)["principal"]
    incident_services.raise_incident(store(), token_actor(principal), dict(VIOLENCE, occurred_at=occurred))
    cascade().deliver_messages(store())


def test_handlers_are_exported_for_the_engine():
    assert HANDLERS is tt124_services.HANDLERS and {"tt124_certificate", "tt124_flag", "tt124_evidence"} <= set(
        HANDLERS
    )


def test_a_year_decided_in_time_with_its_word_files(app, browser):
    with app.app_context():
        at(2022, 2, 15, 8, 0)
        cycle_id = open_year(2022)
        p = participation(cycle_id, SCHOOL)
        instance_id, principal = p.instance_id, people(org(SCHOOL).id)["principal"]
        at(2022, 3, 10, 9, 0)
        act(principal, "register", instance_id, REGISTRATION)

        # an empty evidence form is refused with the field's message, and nothing is written
        at(2022, 5, 10, 9, 0)
        task = open_task("add_evidence", instance_id=instance_id)
        with pytest.raises(FormValidationError) as refused:
            cascade().complete_task(store(), token_actor(principal), task.id, {})
        assert refused.value.errors["minh_chung"].code == "tt124_evidence_empty"
        db.session.rollback()
        page = browser(principal).post_form(f"/tasks/{task.id}", {"tieu_chi": "", "minh_chung": ""})
        html = page.get_data(as_text=True)
        assert page.status_code in (200, 422) and "Chưa có nội dung minh chứng" in html
        half = browser(principal).post_form(f"/tasks/{task.id}", {"tieu_chi": "2", "minh_chung": " "})
        assert "Vui lòng nhập nội dung minh chứng" in half.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(HumanTask, task.id).status == "open"
        assert not db.session.scalars(select(Tt124Evidence).where(Tt124Evidence.participation_id == p.id)).all()
        for number, text in ((1, "Kế hoạch 15/KH-THCS"), (2, "Quy chế phối hợp với Công an phường")):
            act(principal, "add_evidence", instance_id, {"tieu_chi": str(number), "minh_chung": text})
        act(principal, "add_evidence", instance_id, {"tieu_chi": "6", "minh_chung": "6/7 tổ đạt", "ket_thuc": True})

        # the assessment, the meeting (which claims all six), the dossier, the appraisal
        at(2022, 11, 1, 8, 1)
        cascade().fire_due_timers(store())
        at(2022, 11, 8, 14, 0)
        act(principal, "hold_meeting", instance_id, MEETING)
        police = next(c for c in open_task("police_countersign", instance_id=instance_id).candidates)
        police_user = db.session.scalars(select(User).where(User.org_id == police.org_id)).first().username
        act(police_user, "police_countersign", instance_id, {"ca_dong_y": "agree"})
        act("pgddt.cttt", "office_countersign", instance_id, {"pgd_dong_y": "agree"})
        at(2022, 11, 15, 9, 0)
        act(principal, "sign_dossier", instance_id, {"de_nghi": "submit"})
        act("catp.canbo", "appraise", instance_id, {"tham_dinh": "dat"})

        # deciding on 15/11, inside the window, is refused with a Vietnamese message; nothing changes
        at(2022, 11, 15, 10, 0)
        decide = open_task("decide", instance_id=instance_id)
        assert decide.due_at == datetime(2022, 11, 19, 17, 0, tzinfo=VN_TZ)
        with pytest.raises(FormValidationError) as early:
            cascade().complete_task(
                store(), token_actor("ubndtp.lanhdao"), decide.id, {"quyet_dinh_cong_nhan": "cong_nhan"}
            )
        assert early.value.errors["quyet_dinh_cong_nhan"].code == "tt124_decision_early"
        db.session.rollback()
        page = browser("ubndtp.lanhdao").post_form(f"/tasks/{decide.id}", {"quyet_dinh_cong_nhan": "khong_cong_nhan"})
        assert "Chưa thể quyết định" in page.get_data(as_text=True) and "16/11/2022" in page.get_data(as_text=True)
        assert participation(cycle_id, SCHOOL).status == "appraised"
        assert db.session.get(HumanTask, decide.id).status == "open"

        # from 16/11 the decision goes through
        at(2022, 11, 16, 0, 1)
        cascade().fire_due_timers(store())
        at(2022, 11, 17, 9, 0)
        act("ubndtp.lanhdao", "decide", instance_id, {"quyet_dinh_cong_nhan": "cong_nhan"})
        p = participation(cycle_id, SCHOOL)
        assert p.status == "recognised" and p.certificate_number.endswith("/QĐ-UBND")
        assert db.session.get(ProcessInstance, instance_id).status == "completed"
        files = {f.kind: f for f in db.session.scalars(select(Tt124File).where(Tt124File.participation_id == p.id))}
        assert set(files) == {"to_trinh", "bao_cao", "bien_ban", "quyet_dinh", "giay_cong_nhan"}
        check_dossier(files["bao_cao"].data)
        check_decision(files, p)
        check_downloads(browser, files, principal)
        for f in files.values():
            assert "Cascade" not in text_of(f.data), f.kind

        # an incident of 14/11 reported after the decision still counts: the recognition goes to review
        at(2022, 11, 18, 9, 0)
        raise_violence(SCHOOL, "2022-11-14T10:00")
        assert participation(cycle_id, SCHOOL).status == "under_review"
        assert any("cần xem xét lại" in t for t in notified("pgddt.cttt"))


def check_dossier(data: bytes) -> None:
    word = WordDocument(io.BytesIO(data))
    criteria = word.tables[1]
    rated = [row.cells[3].text for row in criteria.rows[1:]]
    assert rated == ["Đạt", "Đạt", "Chưa đạt", "Chưa đạt", "Chưa đạt", "Đạt"]
    assert [criteria.rows[n].cells[2].text for n in (3, 4, 5)] == ["Chưa có minh chứng"] * 3
    text = text_of(data)
    assert "hệ thống" not in text and "chưa cập nhật minh chứng" not in text
    assert "tự đánh giá đạt 3/6 tiêu chí; tiêu chí 3, 4, 5 chưa có minh chứng" in text


def check_decision(files: dict, p: Tt124Participation) -> None:
    decision = db.session.get(Document, files["quyet_dinh"].document_id)
    school = org(SCHOOL)
    text = text_of(files["quyet_dinh"].data)
    for expected in (
        "ỦY BAN NHÂN DÂN THÀNH PHỐ CẨM PHẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        f"Số: {p.certificate_number}",
        "Cẩm Phả, ngày 17 tháng 11 năm 2022",
        "QUYẾT ĐỊNH",
        f"Điều 1. Công nhận {school.name} đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm 2022",
        "Nơi nhận:",
        "- Như Điều 3;",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        decision.signer_name,
    ):
        assert expected in text, expected
    certificate = text_of(files["giay_cong_nhan"].data)
    for expected in (
        "GIẤY CÔNG NHẬN",
        f"Số: {p.certificate_number}",
        "Cẩm Phả, ngày 17 tháng 11 năm 2022",
        school.name.upper(),
        "Đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm 2022",
        f"Kèm theo Quyết định số {p.certificate_number} ngày 17/11/2022",
        "TM. ỦY BAN NHÂN DÂN",
        decision.signer_name,
    ):
        assert expected in certificate, expected


def check_downloads(browser, files: dict, principal: str) -> None:
    other = people(org(OTHER).id)["principal"]
    page = browser(principal).get(f"/tt124/schools/{files['quyet_dinh'].participation_id}").get_data(as_text=True)
    assert 'data-kind="quyet_dinh"' in page and 'data-kind="giay_cong_nhan"' in page
    for kind in ("quyet_dinh", "giay_cong_nhan"):
        row = files[kind]
        for user in (principal, "pgddt.cttt"):
            got = browser(user).get(f"/tt124/files/{row.id}")
            assert got.status_code == 200 and got.data == row.data, (kind, user)
            assert re.search(r"attachment", got.headers["Content-Disposition"])
        assert browser(other).get(f"/tt124/files/{row.id}").status_code == 404


def decided_before_the_fix(p: Tt124Participation) -> None:
    """What the old diagram left after a decision on 01/11: the year recognised, its instance ended by a
    terminate end event (no open task, no timer: the incident watch ended with it)."""
    p.status, p.recognised, p.certificate_number = "recognised", True, "01/QĐ-UBND"
    p.decision = {"result": "cong_nhan", "at": clock.now().isoformat(), "symbol": "01/QĐ-UBND"}
    db.session.get(ProcessInstance, p.instance_id).status = "completed"
    db.session.execute(delete(Timer).where(Timer.instance_id == p.instance_id))
    for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == p.instance_id)):
        task.status = "cancelled" if task.status == "open" else task.status
    db.session.commit()


def test_an_incident_after_an_early_decision_flags_the_recognition(app, browser):
    """A year decided on 01/11, before this fix: a school-violence incident on 14/11 flags it for review, on its
    page and on the overview, and tells the office and UBND TP."""
    with app.app_context():
        at(2022, 2, 15, 8, 0)
        cycle_id = open_year(2022)
        at(2022, 11, 1, 9, 0)
        decided_before_the_fix(participation(cycle_id, SCHOOL))
        at(2022, 11, 14, 15, 0)
        raise_violence(SCHOOL, "2022-11-14T10:00")
        p = participation(cycle_id, SCHOOL)
        assert p.status == "under_review" and p.recognised
        assert [f["code"] for f in p.findings if f["source"] == "incident"] == ["school_violence"]
        assert sum("cần xem xét lại" in t for t in notified("pgddt.cttt")) == 1
        assert any("cần xem xét lại" in t for t in notified("ubndtp.lanhdao"))
        assert any(t.startswith("Cảnh báo TT 124") for t in notified(people(org(SCHOOL).id)["principal"]))
        page = browser(people(org(SCHOOL).id)["principal"]).get(f"/tt124/schools/{p.id}").get_data(as_text=True)
        assert 'data-status="under_review"' in page and "cần xem xét lại" in page
        overview = browser("pgddt.cttt").get(f"/tt124?cycle={cycle_id}").get_data(as_text=True)
        assert f'data-school="{SCHOOL}" data-status="under_review"' in overview
        data = browser("pgddt.cttt").get(f"/tt124/cycles/{cycle_id}/rollups.json").get_json()
        assert next(r for r in data["schools"] if r["school"] == org(SCHOOL).name)["recognised"] is True
        # the same incident is not flagged twice, and one after the window (16/11) is not the year's business
        at(2022, 11, 20, 9, 0)
        raise_violence(SCHOOL, "2022-11-16T10:00")
        assert len(participation(cycle_id, SCHOOL).flagged_incident_ids) == 1
        assert sum("cần xem xét lại" in t for t in notified("pgddt.cttt")) == 1
