"""Circular 124 task subjects (issue 13): every step of a school's year — registration, evidence, the meeting, its
countersigning by the ward police and Phòng GDĐT, the dossier, the appraisal and the decision — shows on its page
the school, the year and its window, the criteria with the evidence recorded so far and, once sent, the dossier's
files, above the form."""

from __future__ import annotations

import re

from engine.tt124 import services as tt124_services
from tests.e2e.test_tt124 import EVIDENCE, LOOKED_AT, REGISTRATION, act, at, candidate, participation
from tests.support.reporting_walk import people, token_actor
from tests.support.walk import open_task, org
from web.deps import cascade, store

MEETING = {
    "ngay_hop": "08/11/2022",
    "dia_diem": "Phòng họp Hội đồng nhà trường",
    "thu_ky": "Nguyễn Thị Thư",
    "thanh_phan": "Bí thư Chi bộ, các tổ trưởng",
    **{f"tc{n}": True for n in range(1, 7)},
    "ty_le_to_dat": 86,
    "ty_le_tan_thanh": 100,
    "ket_luan": "dat",
    "noi_dung_hop": "Nhà trường đạt đủ 6 tiêu chí.",
}


def _subject(browser, username: str, bpmn_id: str, instance_id: int) -> str:
    """The task's page as `username` sees it, checked to show the year's subject above the form; its subject."""
    task = open_task(bpmn_id, instance_id=instance_id)
    page = browser(username).get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'class="subject tt124"' in page, bpmn_id
    assert page.index('class="subject tt124"') < page.index('class="task-form"'), bpmn_id
    subject = page[page.index('class="subject tt124"') : page.index("</section>", page.index('class="subject tt124"'))]
    assert "Cẩm Đông" in subject and "2022" in subject and "16/11/2021" in subject and "15/11/2022" in subject
    assert subject.count("data-criterion=") == 6 and "Tiêu chí" in subject
    text = re.sub(r"<[^>]+>", " ", subject)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), bpmn_id  # no raw key
    return subject


def test_each_step_of_the_year_shows_the_school_the_criteria_and_the_evidence(app, browser):
    with app.app_context():
        at(2022, 2, 15, 8, 0)
        cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2022)
        cascade().deliver_messages(store())
        instance = participation(cycle_id, LOOKED_AT).instance_id
        who = people(org(LOOKED_AT).id)
        subject = _subject(browser, who["principal"], "register", instance)
        assert "Chưa đăng ký" in subject and "31/03/2022" in subject and "Chưa có minh chứng" in subject
        at(2022, 3, 10, 9, 0)
        act(who["principal"], "register", instance, REGISTRATION)
        at(2022, 5, 10, 9, 0)
        text, ref = EVIDENCE[2]
        values = {"tieu_chi": "2", "minh_chung": text, "van_ban": ref, "ngay_minh_chung": "10/05/2022"}
        act(who["staff"], "add_evidence", instance, values)
        subject = _subject(browser, who["staff"], "add_evidence", instance)
        assert "15/KH-THCS" in subject and "Đã đăng ký" in subject
        row = re.search(r'data-criterion="2">.*?</tr>', subject, re.S).group(0)
        assert text in row and ref in row and "10/05/2022" in row
        for number in (1, 3, 4, 5, 6):
            text, ref = EVIDENCE[number]
            values = {"tieu_chi": str(number), "minh_chung": text, "van_ban": ref, "ket_thuc": number == 6}
            act(who["staff"], "add_evidence", instance, values)
        at(2022, 11, 1, 8, 1)
        cascade().fire_due_timers(store())
        cascade().deliver_messages(store())
        subject = _subject(browser, who["principal"], "hold_meeting", instance)
        assert "Chưa có minh chứng" not in subject and EVIDENCE[6][0] in subject
        at(2022, 11, 8, 14, 0)
        act(who["principal"], "hold_meeting", instance, MEETING)
        police = candidate(open_task("police_countersign", instance_id=instance), "police")
        assert "Họp kiểm điểm" in _subject(browser, police, "police_countersign", instance)
        act(police, "police_countersign", instance, {"ca_dong_y": "agree", "ca_y_kien": "Nhất trí."})
        assert "Đạt" in _subject(browser, "pgddt.cttt", "office_countersign", instance)
        act("pgddt.cttt", "office_countersign", instance, {"pgd_dong_y": "agree"})
        _subject(browser, who["principal"], "sign_dossier", instance)
        at(2022, 11, 15, 9, 0)
        act(who["principal"], "sign_dossier", instance, {"de_nghi": "submit"})
        at(2022, 11, 21, 9, 0)
        subject = _subject(browser, "catp.canbo", "appraise", instance)
        files = participation(cycle_id, LOOKED_AT).files
        assert files and all(f.filename in subject and f"/tt124/files/{f.id}" in subject for f in files)
        act("catp.canbo", "appraise", instance, {"tham_dinh": "dat"})
        subject = _subject(browser, "ubndtp.lanhdao", "decide", instance)
        assert 'id="dossier-files"' in subject and "Đủ điều kiện" in subject
        assert all(f.filename in subject for f in files)
        assert browser("ubndtp.lanhdao").get(f"/tt124/files/{files[0].id}").status_code == 200
