"""In Chromium at 1366×768 and 360×800 (issue 13): the principal signing the periodic report sees its figures
beside last period's, and UBND TP deciding a school's Circular 124 year sees the school, its window, the criteria
with their evidence and the dossier's files — read-only above the form, nothing wider than the screen, no English
status or raw key. Screenshots go to $CASCADE_SUBJECT_SHOTS when set."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest

from engine.core.clock import VN_TZ
from engine.documents.attachments import IncomingFile, attach_files
from engine.tt124 import services as tt124_services
from tests.browser.test_browser import live_server, login  # noqa: F401 - fixtures
from tests.browser.test_daily_browser import assert_header_clean, sized_page  # noqa: F401 - fixtures
from tests.conftest import Browser
from tests.e2e.test_tt124 import EVIDENCE, LOOKED_AT, REGISTRATION, act, at, candidate, participation
from tests.support.reporting_walk import figures_for, instance_of, people, token_actor
from tests.support.walk import complete, open_task, org
from tests.web.test_daily import SK, _school_plan_at_office
from tests.web.test_reports_web import file_report
from tests.web.test_task_subjects import _period, checkboxes
from tests.web.test_tt124_subjects import MEETING
from web.deps import cascade, store

pytestmark = pytest.mark.browser
ENGLISH = re.compile(r"\b(open|registered|submitted|appraised|recognised|accepted|pending|approve|None|True|False)\b")


def shot(page, name: str) -> None:
    folder = os.environ.get("CASCADE_SUBJECT_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}-{page.size_name}.png", full_page=True)


def assert_subject_reads(page, selector: str) -> str:
    subject = page.locator(selector)
    assert subject.is_visible()
    assert subject.bounding_box()["y"] < page.locator("form.task-form").bounding_box()["y"]
    assert_header_clean(page)  # also: the page is no wider than the screen
    text = subject.inner_text()
    assert not ENGLISH.search(text) and not re.search(r"\b[a-z]+_[a-z_]+\b", text), text
    return text


def test_principal_signs_with_the_figures_beside_last_period(live_server, sized_page, sqlite_app):  # noqa: F811
    page, base = sized_page, live_server
    with sqlite_app.app_context():
        school = org(SK).id
        file_report(sqlite_app, _period(2022, 2, datetime(2022, 6, 15, 8, 0, tzinfo=VN_TZ)), school)
        q3 = _period(2022, 3, datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))
        who = people(school)
        values = figures_for(3) | {"b_participants_students": 1250}
        complete(
            Browser(sqlite_app, who["staff"]),
            open_task("fill_report", instance_id=instance_of(q3, school)),
            checkboxes(values),
        )
        sign = open_task("principal_sign", instance_id=instance_of(q3, school))
    login(page, base, who["principal"])
    page.goto(f"{base}/tasks/{sign.id}")
    text = assert_subject_reads(page, "section.subject.report")
    assert "1.250" in text and "Kỳ trước" in text and "Suối Khoáng" in text
    plan_row = page.locator("section.subject.report tr", has_text="Đã ban hành kế hoạch").inner_text()
    assert plan_row.split("\t")[1:] == ["Có", "Có"], plan_row
    shot(page, "subject-report-sign")


def test_the_city_decides_seeing_the_school_year_and_its_dossier(live_server, sized_page, sqlite_app):  # noqa: F811
    page, base = sized_page, live_server
    with sqlite_app.app_context():
        at(2022, 2, 15, 8, 0)
        cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2022)
        cascade().deliver_messages(store())
        instance = participation(cycle_id, LOOKED_AT).instance_id
        who = people(org(LOOKED_AT).id)
        at(2022, 3, 10, 9, 0)
        act(who["principal"], "register", instance, REGISTRATION)
        at(2022, 5, 10, 9, 0)
        for number, (text, ref) in EVIDENCE.items():
            values = {"tieu_chi": str(number), "minh_chung": text, "van_ban": ref, "ket_thuc": number == 6}
            act(who["staff"], "add_evidence", instance, values)
        at(2022, 11, 1, 8, 1)
        cascade().fire_due_timers(store())
        cascade().deliver_messages(store())
        at(2022, 11, 8, 14, 0)
        act(who["principal"], "hold_meeting", instance, MEETING)
        police = candidate(open_task("police_countersign", instance_id=instance), "police")
        act(police, "police_countersign", instance, {"ca_dong_y": "agree"})
        act("pgddt.cttt", "office_countersign", instance, {"pgd_dong_y": "agree"})
        at(2022, 11, 15, 9, 0)
        act(who["principal"], "sign_dossier", instance, {"de_nghi": "submit"})
        at(2022, 11, 21, 9, 0)
        act("catp.canbo", "appraise", instance, {"tham_dinh": "dat"})
        decide = open_task("decide", instance_id=instance)
    login(page, base, "ubndtp.lanhdao")
    page.goto(f"{base}/tasks/{decide.id}")
    text = assert_subject_reads(page, "section.subject.tt124")
    assert "Cẩm Đông" in text and "16/11/2021" in text and EVIDENCE[6][0] in text and ".docx" in text
    shot(page, "subject-tt124-decide")


def test_the_office_reviews_a_school_plan_seeing_the_school_and_the_files(live_server, sized_page, sqlite_app):  # noqa: F811
    page, base = sized_page, live_server
    with sqlite_app.app_context():
        review = _school_plan_at_office(lambda u=None: Browser(sqlite_app, u))
        review_id = review.id
        attach_files(
            store(),
            token_actor("pgddt.vanthu"),
            review.instance.directive_id,
            "appendix",
            [IncomingFile("phu-luc-bieu-mau.txt", "text/plain", "Biểu mẫu kế hoạch".encode())],
        )
    login(page, base, "pgddt.cttt")
    page.goto(f"{base}/tasks/{review_id}")
    text = assert_subject_reads(page, "section.subject.plan")
    assert "Suối Khoáng" in text and "phu-luc-bieu-mau.txt" in text
    assert "Nội dung kế hoạch trường" in page.locator("section.draft").inner_text()
    shot(page, "subject-plan-review")
