"""Circular 124 ("An toàn về an ninh, trật tự"): the rules, and a whole 2022 year for the seeded schools — preschools
and primary schools and one school the administrator took out are excluded, one school is disqualified by a
school-violence incident (flagged at once to the school and CTTT), one registers after Q1, the others are
recognised by UBND TP after the city police's appraisal; the roll-ups per ward and level match; the Word files
of the dossier say what they should."""

from __future__ import annotations

import io
import time as timer
from datetime import date, datetime

from docx import Document as WordDocument
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.incidents import services as incident_services
from engine.tt124 import services as tt124_services
from engine.tt124.rules import (
    calendar,
    eligibility,
    incident_findings,
    registration_findings,
    rollup,
    ward_condition,
)
from models import db
from models.document import Document
from models.incident import Notification
from models.org import Organisation, User
from models.tt124 import Tt124File, Tt124Participation
from models.workflow import HumanTask, ProcessInstance
from tests.conftest import IsolatedClient
from tests.support.reporting_walk import people, token_actor
from tests.support.walk import open_task, org
from tests.web.test_api import token_for
from web.deps import cascade, store

EXCLUDED_BY_ADMIN = "cp-s-thcs-le-quy-don"  # Cẩm Thành
DISQUALIFIED = "cp-s-thcs-suoi-khoang"  # Quang Hanh, which also has THCS Quang Hanh
LATE = "cp-s-ththcs-cong-hoa"  # the only eligible school of xã Cộng Hòa
LOOKED_AT = "cp-s-thcs-cam-dong"  # files evidence for every criterion; its dossier is read back
PRESCHOOL = "cp-s-mn-cam-dong"


def at(*args) -> None:
    clock.freeze(datetime(*args, tzinfo=VN_TZ))


# --------------------------------------------------------------------------- the rules
def test_window_deadlines_and_eligibility():
    cal = calendar(2022)
    assert (cal.start, cal.end, cal.register_due, cal.submit_due) == (
        date(2021, 11, 16),
        date(2022, 11, 15),
        date(2022, 3, 31),
        date(2022, 11, 19),
    )
    assert [eligibility(level).eligible for level in ("MN", "TH", "THCS", "TH&THCS", None)] == [
        False,
        False,
        True,
        True,
        False,
    ]
    overridden = eligibility("TH", (True, "Trường có học sinh THCS từ năm học 2022-2023"))
    assert overridden.eligible and overridden.source == "override" and "2022-2023" in overridden.note


def test_ward_condition_and_checklist():
    assert ward_condition(0, 0, 0) is None
    assert ward_condition(3, 3, 3) and ward_condition(10, 10, 7)
    assert not ward_condition(10, 10, 6) and not ward_condition(3, 2, 3)
    groups = rollup(
        [
            {"ward": "A", "eligible": True, "registered": True, "recognised": True},
            {"ward": "A", "eligible": True, "registered": True, "recognised": False},
            {"ward": "A", "eligible": False},
            {"ward": "B", "eligible": True, "registered": True, "recognised": True},
        ],
        "ward",
    )
    assert groups["A"]["recognised_rate"] == 50.0 and groups["A"]["condition_met"] is False
    assert groups["A"]["excluded"] == 1 and groups["B"]["condition_met"] is True

    good = {
        "so_ke_hoach": "12/KH-THCS",
        "xac_nhan_dang_ky": True,
        "noi_quy": True,
        "pho_bien_100": True,
        "mo_hinh": "Cổng trường an toàn",
        "co_to_chuc_dang": True,
        "so_nghi_quyet": "05-NQ/CB",
    }
    assert registration_findings(good, True) == []
    assert [f.code for f in registration_findings(good, False)] == ["no_registration"]
    assert [f.code for f in registration_findings(dict(good, so_nghi_quyet=""), True)] == ["no_party_resolution"]
    found = incident_findings(
        [
            {"id": 1, "category": "school_violence", "severity": "minor", "occurred_at": "2022-09-12T08:40:00+07:00"},
            {"id": 2, "category": "fire_explosion", "severity": "minor", "occurred_at": "2022-05-02T10:00:00+07:00"},
            {"id": 3, "category": "fire_explosion", "severity": "serious", "occurred_at": "2022-05-03T10:00:00+07:00"},
            {"id": 4, "category": "fight", "severity": "serious", "occurred_at": "2022-05-04T10:00:00+07:00"},
        ]
    )
    assert [(f.code, f.verdict) for f in found] == [
        ("school_violence", "fail"),
        ("art6_event", "review"),
        ("art6_event", "fail"),
    ]
    assert "12/09/2022" in found[0].detail


# --------------------------------------------------------------------------- a whole year
def notified(username: str) -> list[str]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return [n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def participation(cycle_id: int, code: str) -> Tt124Participation:
    db.session.expire_all()
    return db.session.scalars(
        select(Tt124Participation).where(
            Tt124Participation.cycle_id == cycle_id, Tt124Participation.school_id == org(code).id
        )
    ).one()


def act(username: str, bpmn_id: str, instance_id: int, values: dict) -> HumanTask:
    task = open_task(bpmn_id, instance_id=instance_id)
    cascade().complete_task(store(), token_actor(username), task.id, values)
    cascade().deliver_messages(store())
    return task


def candidate(task: HumanTask, role: str) -> str:
    """A user who holds `role` at the task's candidate organisation (e.g. the school's ward police)."""
    org_id = next(c.org_id for c in task.candidates if c.role == role)
    return next(u.username for u in db.session.scalars(select(User).where(User.org_id == org_id)) if role in u.roles)


REGISTRATION = {
    "so_ke_hoach": "15/KH-THCS",
    "ngay_ke_hoach": "05/01/2022",
    "co_to_chuc_dang": True,
    "so_nghi_quyet": "02-NQ/CB",
    "ngay_nghi_quyet": "10/01/2022",
    "noi_quy": True,
    "pho_bien_100": True,
    "mo_hinh": "Cổng trường an toàn giao thông",
    "xac_nhan_dang_ky": True,
}
EVIDENCE = {
    1: ("Kế hoạch 15/KH-THCS; Bản đăng ký phấn đấu; Nghị quyết 02-NQ/CB", "15/KH-THCS ngày 05/01/2022"),
    2: ("Quy chế phối hợp với Công an phường; 4 buổi họp Ban đại diện cha mẹ học sinh", "QC phối hợp 2022"),
    3: ("Không xảy ra vụ việc thuộc Điều 6 khoản 3 (đối chiếu sổ theo dõi)", ""),
    4: ("Không có bạo lực học đường; 100% học sinh ký cam kết", "Sổ theo dõi nề nếp"),
    5: ("Tổ bảo vệ đạt Hoàn thành tốt nhiệm vụ năm học 2021-2022", "QĐ khen thưởng số 08/QĐ-THCS"),
    6: ("6/7 tổ chuyên môn, bộ phận đạt Hoàn thành tốt nhiệm vụ (85,7%)", "Biên bản xét thi đua tháng 6/2022"),
}


def test_a_whole_year_for_the_seeded_schools(app, browser):
    started = timer.perf_counter()
    with app.app_context():
        # the administrator takes one THCS out of scope (merging with another school), with the reason
        admin = browser("admin")
        excluded = org(EXCLUDED_BY_ADMIN)
        assert browser("pgddt.cttt").get("/tt124/eligibility").status_code == 403
        refused = admin.post_form("/tt124/eligibility", {"school": excluded.id, "eligible": "no", "reason": ""})
        assert refused.status_code == 422
        reason = "Sáp nhập vào Trường THCS Cẩm Thành từ năm học 2022-2023"
        done = admin.post_form("/tt124/eligibility", {"school": excluded.id, "eligible": "no", "reason": reason})
        assert done.status_code == 303

        # 15/02/2022: CTTT opens the year; each eligible school gets its own instance
        at(2022, 2, 15, 8, 0)
        pgddt = org("cp-pgddt")
        cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), pgddt.id, 2022)
        cascade().deliver_messages(store())
        rows = db.session.scalars(select(Tt124Participation).where(Tt124Participation.cycle_id == cycle_id)).all()
        schools = {r.school_id: r for r in rows}
        by_code = {db.session.get(Organisation, r.school_id).code: r for r in rows}
        assert len(rows) == 59  # every school of Phòng GDĐT has its record for the year
        eligible = {code for code, r in by_code.items() if r.eligible}
        assert eligible == {
            o.code
            for o in db.session.scalars(select(Organisation).where(Organisation.parent_id == pgddt.id))
            if o.kind == "school" and o.school_level in ("THCS", "TH&THCS") and o.code != EXCLUDED_BY_ADMIN
        }
        assert len(eligible) == 18 and all(by_code[c].instance_id for c in eligible)
        assert by_code[EXCLUDED_BY_ADMIN].status == "excluded" and reason in by_code[EXCLUDED_BY_ADMIN].eligibility_note
        assert by_code[PRESCHOOL].status == "excluded" and "Mầm non" in by_code[PRESCHOOL].eligibility_note
        instance = {code: by_code[code].instance_id for code in eligible}
        principal = {code: people(org(code).id)["principal"] for code in eligible}
        task = open_task("register", instance_id=instance[LOOKED_AT])
        assert task.due_at == datetime(2022, 3, 31, 17, 0, tzinfo=VN_TZ)

        # Q1: everyone but one registers; one registration goes through the JSON API
        at(2022, 3, 10, 9, 0)
        client = IsolatedClient(app)
        api_school = sorted(eligible - {LATE})[0]
        task = open_task("register", instance_id=instance[api_school])
        headers = token_for(principal[api_school])
        bad = client.post(f"/api/tasks/{task.id}/complete", headers=headers, json={"so_ke_hoach": ""})
        assert bad.status_code == 422 and "ngay_ke_hoach" in bad.get_json()["fields"]
        ok = client.post(f"/api/tasks/{task.id}/complete", headers=headers, json=REGISTRATION)
        assert ok.status_code == 200, ok.get_json()
        for code in sorted(eligible - {LATE, api_school}):
            act(principal[code], "register", instance[code], REGISTRATION)
        at(2022, 3, 31, 17, 1)
        cascade().fire_due_timers(store())
        assert any("chưa đăng ký phấn đấu năm 2022" in t for t in notified(principal[LATE]))
        assert sum("chưa đăng ký" in t for t in notified("pgddt.cttt")) == 1
        at(2022, 4, 4, 9, 0)
        act(principal[LATE], "register", instance[LATE], REGISTRATION)
        assert any("đăng ký phấn đấu muộn" in t for t in notified("pgddt.cttt"))
        late = participation(cycle_id, LATE)
        assert late.registered_at and late.registered_on_time is False
        assert participation(cycle_id, LOOKED_AT).registered_on_time is True

        # through the year: evidence against the criteria (one school for all six, the others one entry)
        at(2022, 5, 10, 9, 0)
        staff = people(org(LOOKED_AT).id)["staff"]
        for number, (text, ref) in EVIDENCE.items():
            act(
                staff,
                "add_evidence",
                instance[LOOKED_AT],
                {"tieu_chi": str(number), "minh_chung": text, "van_ban": ref, "ngay_minh_chung": "10/05/2022"},
            )
        for code in sorted(eligible):
            values = {"tieu_chi": "1", "minh_chung": "Kế hoạch và Bản đăng ký phấn đấu", "ket_thuc": True}
            act(principal[code], "add_evidence", instance[code], values)
        assert len(participation(cycle_id, LOOKED_AT).evidence) == 7

        # 12/09: school violence at one school — flagged to its principal and CTTT at once, from the incident path
        at(2022, 9, 12, 10, 0)
        incident_services.raise_incident(
            store(),
            token_actor(principal[DISQUALIFIED]),
            {
                "category": "school_violence",
                "severity": "serious",
                "location": "inside",
                "place": "Sân trường",
                "occurred_at": "2022-09-12T08:40",
                "description": "Hai nhóm học sinh lớp 8 xô xát, một em bị thương nhẹ.",
            },
        )
        cascade().deliver_messages(store())
        incident_services.raise_incident(  # not a disqualifier: nobody is warned
            store(),
            token_actor(principal[LOOKED_AT]),
            {
                "category": "traffic_accident",
                "severity": "minor",
                "location": "gate",
                "occurred_at": "2022-09-12T07:10",
                "description": "Học sinh va quệt xe đạp trước cổng trường.",
            },
        )
        cascade().deliver_messages(store())
        assert not [t for t in notified(principal[LOOKED_AT]) if t.startswith("Cảnh báo TT 124")]
        warning = [t for t in notified(principal[DISQUALIFIED]) if t.startswith("Cảnh báo TT 124")]
        assert warning and "bạo lực học đường" in warning[0]
        assert any(t.startswith("Cảnh báo TT 124") and "Suối Khoáng" in t for t in notified("pgddt.cttt"))
        flagged = participation(cycle_id, DISQUALIFIED)
        assert [f["code"] for f in flagged.findings] == ["school_violence"] and flagged.status == "registered"

        # 01/11: the evidence closes and the checklist runs: two schools are out, sixteen hold their meeting
        at(2022, 11, 1, 8, 1)
        cascade().fire_due_timers(store())
        cascade().deliver_messages(store())
        assert participation(cycle_id, DISQUALIFIED).status == "disqualified"
        assert participation(cycle_id, LATE).status == "disqualified"
        assert [f["code"] for f in participation(cycle_id, LATE).findings] == ["no_registration"]
        assert any("không đủ điều kiện" in t for t in notified(principal[LATE]))
        recognised = sorted(eligible - {DISQUALIFIED, LATE})
        for code in (DISQUALIFIED, LATE):  # out, but still watched for incidents until the window's end
            assert db.session.get(ProcessInstance, instance[code]).status == "running"
        fields, values = cascade().form_for(
            store(), token_actor(principal[LOOKED_AT]), open_task("hold_meeting", instance_id=instance[LOOKED_AT]).id
        )
        assert all(values[f"tc{n}"] for n in range(1, 7))  # prefilled from the evidence

        # November: the meeting, countersigned by the ward police and Phòng GDĐT; the dossier before 20/11
        at(2022, 11, 8, 14, 0)
        meeting = {
            "ngay_hop": "08/11/2022",
            "dia_diem": "Phòng họp Hội đồng nhà trường",
            "thu_ky": "Nguyễn Thị Thư",
            "thanh_phan": "Bí thư Chi bộ, Chủ tịch Công đoàn, Bí thư Đoàn, các tổ trưởng",
            **{f"tc{n}": True for n in range(1, 7)},
            "ty_le_to_dat": 86,
            "ty_le_tan_thanh": 100,
            "ket_luan": "dat",
            "noi_dung_hop": "Nhà trường đạt đủ 6 tiêu chí theo Điều 7 Thông tư 124.",
        }
        police_of = {}
        for code in recognised:
            act(principal[code], "hold_meeting", instance[code], meeting)
            task = open_task("police_countersign", instance_id=instance[code])
            police_of[code] = candidate(task, "police")
            act(police_of[code], "police_countersign", instance[code], {"ca_dong_y": "agree", "ca_y_kien": "Nhất trí."})
            act("pgddt.cttt", "office_countersign", instance[code], {"pgd_dong_y": "agree"})
        assert police_of[LOOKED_AT] == "ca.camdong"
        at(2022, 11, 15, 9, 0)
        for code in recognised:
            act(principal[code], "sign_dossier", instance[code], {"de_nghi": "submit"})
        at(2022, 11, 16, 0, 1)
        cascade().fire_due_timers(store())  # the window closes: no more watching
        for code in (DISQUALIFIED, LATE):
            assert db.session.get(ProcessInstance, instance[code]).status == "completed"
        at(2022, 11, 21, 9, 0)
        for code in recognised:
            act("catp.canbo", "appraise", instance[code], {"tham_dinh": "dat"})
        at(2022, 11, 25, 15, 0)
        for code in recognised:
            act("ubndtp.lanhdao", "decide", instance[code], {"quyet_dinh_cong_nhan": "cong_nhan"})

        db.session.expire_all()
        final = {code: participation(cycle_id, code) for code in eligible}
        assert {code for code, p in final.items() if p.status == "recognised"} == set(recognised)
        for code in recognised:
            p = final[code]
            assert p.submitted_on_time and p.certificate_number.endswith("/QĐ-UBND")
            assert p.certificate_date == date(2022, 11, 25) and len(p.files) == 5  # dossier, decision, certificate
            assert db.session.get(ProcessInstance, instance[code]).status == "completed"
        decision = db.session.get(Document, final[LOOKED_AT].decision_document_id)
        assert decision.signer_name == "Phan Văn Quyết" and decision.signing_mode == "TM"
        assert any("được công nhận" in t for t in notified(principal[LOOKED_AT]))

        # the roll-ups, against what happened
        expected: dict[str, dict[str, int]] = {}
        for school_id in schools:
            school = db.session.get(Organisation, school_id)
            group = expected.setdefault(school.ward.name, {"total": 0, "registered": 0, "recognised": 0})
            if school.code in eligible:
                group["total"] += 1
                group["registered"] += 1  # everyone registered, one of them late
                group["recognised"] += school.code in recognised
        cttt = browser("pgddt.cttt")
        data = cttt.get(f"/tt124/cycles/{cycle_id}/rollups.json").get_json()
        for ward, group in expected.items():
            got = data["by_ward"][ward]
            assert (got["total"], got["registered"], got["recognised"]) == tuple(group.values()), ward
            assert got["condition_met"] == ward_condition(*group.values()), ward
        quang_hanh = data["by_ward"][org(DISQUALIFIED).ward.name]
        assert (quang_hanh["total"], quang_hanh["recognised"], quang_hanh["condition_met"]) == (2, 1, False)
        assert data["by_ward"][org(LATE).ward.name]["condition_met"] is False
        assert data["by_ward"][org(EXCLUDED_BY_ADMIN).ward.name]["condition_met"] is True
        assert data["by_level"]["THCS"]["recognised"] == 13 and data["by_level"]["THCS"]["excluded"] == 1
        assert data["by_level"]["TH&THCS"]["recognised"] == 3 and data["by_level"]["MN"]["total"] == 0
        assert data["by_level"]["MN"]["excluded"] == 22 and data["by_level"]["TH"]["excluded"] == 18

        page = cttt.get(f"/tt124?cycle={cycle_id}").get_data(as_text=True)
        assert f'data-school="{EXCLUDED_BY_ADMIN}" data-status="excluded"' in page and reason in page
        assert f'data-school="{DISQUALIFIED}" data-status="disqualified"' in page
        assert f'data-ward="{org(DISQUALIFIED).ward.name}" data-condition="not_met"' in page
        assert browser("ubndtp.chuyenvien").get(f"/tt124/cycles/{cycle_id}/rollups.json").status_code == 200
        assert browser(principal[LATE]).get(f"/tt124/cycles/{cycle_id}/rollups.json").status_code == 404

        # the school's page and its dossier: seen by the school, the office, the ward police; not by others
        looked_at = final[LOOKED_AT]
        assert browser(principal[LOOKED_AT]).get("/tt124").status_code == 302
        assert browser("ca.camdong").get(f"/tt124/schools/{looked_at.id}").status_code == 200
        assert browser(principal[DISQUALIFIED]).get(f"/tt124/schools/{looked_at.id}").status_code == 404
        assert browser("ca.camson").get(f"/tt124/schools/{looked_at.id}").status_code == 404
        assert browser("ubndtp.vanthu").get(f"/tt124/cycles/{cycle_id}/rollups.json").status_code == 404
        page = browser(principal[DISQUALIFIED]).get(f"/tt124/schools/{final[DISQUALIFIED].id}").get_data(as_text=True)
        assert 'data-code="school_violence"' in page
        files = {
            f.kind: f for f in db.session.scalars(select(Tt124File).where(Tt124File.participation_id == looked_at.id))
        }
        download = browser("catp.canbo").get(f"/tt124/files/{files['to_trinh'].id}")
        assert download.status_code == 200 and download.data == files["to_trinh"].data
        assert browser(principal[DISQUALIFIED]).get(f"/tt124/files/{files['to_trinh'].id}").status_code == 404
        check_dossier(files, org(LOOKED_AT), principal[LOOKED_AT])
    print(f"\nwhole Circular 124 year, {len(eligible)} schools: {timer.perf_counter() - started:.1f} s")


def _text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    parts = [p.text for p in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def check_dossier(files: dict, school: Organisation, principal_username: str) -> None:
    principal = db.session.scalars(select(User).where(User.username == principal_username)).one()
    documents = {kind: db.session.get(Document, f.document_id) for kind, f in files.items()}
    symbols = {kind: d.symbol for kind, d in documents.items()}
    assert symbols["to_trinh"].endswith("/TTr-THCSCĐ") and symbols["bao_cao"].endswith("/BC-THCSCĐ")
    assert symbols["bien_ban"].endswith("/BB-THCSCĐ")

    to_trinh = _text(files["to_trinh"].data)
    for expected in (
        "PHÒNG GD&ĐT CẨM PHẢ",
        "TRƯỜNG THCS CẨM ĐÔNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        f"Số: {symbols['to_trinh']}",
        "Cẩm Phả, ngày 15 tháng 11 năm 2022",
        "TỜ TRÌNH",
        "Đề nghị xét duyệt, công nhận cơ sở giáo dục đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm 2022",
        "- Ủy ban nhân dân thành phố Cẩm Phả;",
        "- Công an thành phố Cẩm Phả (cơ quan thường trực Ban Chỉ đạo).",
        "Thông tư số 124/2021/TT-BCA",
        "Kế hoạch số 15/KH-THCS ngày 05/01/2022",
        "Nghị quyết số 02-NQ/CB",
        "từ ngày 16/11/2021 đến ngày 15/11/2022",
        f"Báo cáo số {symbols['bao_cao']}",
        f"Biên bản số {symbols['bien_ban']}",
        "- Như trên;",
        "- Phòng Giáo dục và Đào tạo thành phố Cẩm Phả (báo cáo);",
        "- Lưu: VT.",
        "HIỆU TRƯỞNG",
        principal.full_name,
    ):
        assert expected in to_trinh, expected

    bao_cao = _text(files["bao_cao"].data)
    word = WordDocument(io.BytesIO(files["bao_cao"].data))
    criteria = word.tables[1]  # after the header's layout table
    assert len(criteria.rows) == 7 and criteria.rows[0].cells[3].text == "Tự đánh giá"
    assert [row.cells[3].text for row in criteria.rows[1:]] == ["Đạt"] * 6
    for number, (text, _ref) in EVIDENCE.items():
        assert text in criteria.rows[number].cells[2].text
    assert "không có trường hợp nào thuộc diện không được xét công nhận" in bao_cao
    assert "86%" in bao_cao and "BÁO CÁO" in bao_cao

    bien_ban = _text(files["bien_ban"].data)
    police = db.session.scalars(select(User).where(User.username == "ca.camdong")).one()
    cttt = db.session.scalars(select(User).where(User.username == "pgddt.cttt")).one()
    for expected in (
        "BIÊN BẢN",
        "Ngày 08/11/2022, tại Phòng họp Hội đồng nhà trường",
        f"- Chủ trì: {principal.full_name}, Hiệu trưởng;",
        f"- Đại diện Công an phường Cẩm Đông: {police.full_name};",
        f"- Đại diện Phòng Giáo dục và Đào tạo thành phố Cẩm Phả: {cttt.full_name};",
        "- Thư ký: Nguyễn Thị Thư.",
        "nhất trí với kết quả tự đánh giá. Nhất trí.",
        "Biểu quyết tán thành: 100%",
        "ĐẠI DIỆN CÔNG AN PHƯỜNG CẨM ĐÔNG",
        "CHỦ TRÌ",
    ):
        assert expected in bien_ban, expected
    assert documents["to_trinh"].issuer_id == school.id and documents["to_trinh"].signer_name == principal.full_name


def test_schools_that_never_register_are_out_at_the_assessment(app, browser):
    with app.app_context():
        at(2023, 1, 5, 8, 0)
        cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2023)
        cascade().deliver_messages(store())
        assert db.session.scalars(
            select(HumanTask).where(HumanTask.bpmn_id == "register", HumanTask.status == "open")
        ).all()
        at(2023, 11, 1, 8, 1)
        cascade().fire_due_timers(store())
        db.session.expire_all()
        rows = db.session.scalars(
            select(Tt124Participation).where(
                Tt124Participation.cycle_id == cycle_id, Tt124Participation.eligible.is_(True)
            )
        ).all()
        assert len(rows) == 19 and {r.status for r in rows} == {"not_registered"}
        assert not db.session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
        data = browser("pgddt.cttt").get(f"/tt124/cycles/{cycle_id}/rollups.json").get_json()
        assert data["cycle"]["start"] == "2022-11-16" and data["cycle"]["end"] == "2023-11-15"
        assert all(g["condition_met"] is not True for g in data["by_ward"].values())
        assert data["by_level"]["THCS"]["registered"] == 0 and data["by_level"]["THCS"]["total"] == 15
