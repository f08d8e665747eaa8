"""Vietnamese details (issue 13): a walked incident and reporting period show no English status and no raw key on
any page; every input has a visible label; figures read 1.250 and 1,7%; the compiled report counts each school's
incidents, not the sum of its section D figures."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.core.runtime import ServiceCall
from engine.reporting.rules import compile_reports
from engine.reporting.services import compile_period_reports
from models import db
from models.report import ReportSubmission
from tests.support.walk import complete, open_task, org
from tests.web.test_incidents import raise_incident
from tests.web.test_reports_web import file_report, open_q3
from web.deps import cascade, store

SK = "cp-s-thcs-suoi-khoang"
ENGLISH_STATUS = re.compile(r"\b(open|acknowledged|completed|cancelled|pending|submitted|closed|false_alarm)\b", re.I)
RAW_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b(?:task|instance|report|incident|document)\.[a-z_]+\b")
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def unlabelled(html: str) -> list[str]:
    """Inputs a person cannot see a label for: no <label for=id> and no label around them."""
    labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    out = []
    for match in FIELD.finditer(html):
        attrs = match.group(2)
        if re.search(r'type="(hidden|submit|checkbox|radio)"', attrs):
            continue  # checkboxes here sit inside their label (checked below by the label text)
        found = re.search(r'\bid="([^"]+)"', attrs)
        if not found or found.group(1) not in labels:
            out.append(match.group(0)[:120])
    return out


def walk_incident(browser) -> int:
    clock.freeze(datetime(2022, 9, 12, 9, 0, tzinfo=VN_TZ))
    _, incident_id = raise_incident(browser, "thcs-suoikhoang.gv")
    complete(
        browser("thcs-suoikhoang.ht"), open_task("confirm_incident", SK), {"xac_nhan": "confirm", "muc_do": "serious"}
    )
    complete(browser("pgddt.cttt"), open_task("acknowledge_incident", SK), {"chi_dao_ban_dau": "Xử lý theo quy định."})
    return incident_id


def test_incident_pages_speak_vietnamese_and_label_every_input(app, browser):
    with app.app_context():
        incident_id = walk_incident(browser)
        cttt, school = browser("pgddt.cttt"), browser("thcs-suoikhoang.gv")
        pages = {
            "/incidents": cttt,
            "/incidents?status=all": cttt,
            f"/incidents/{incident_id}": cttt,
            "/incidents/new": school,
            "/notifications": cttt,
            "/": cttt,
        }
        for url, client in pages.items():
            html = client.get(url).get_data(as_text=True)
            text = visible_text(html)
            assert not ENGLISH_STATUS.findall(text), (url, ENGLISH_STATUS.findall(text))
            assert not RAW_KEY.findall(text), (url, RAW_KEY.findall(text))
            assert not unlabelled(html), (url, unlabelled(html))
        board = visible_text(cttt.get("/incidents").get_data(as_text=True))
        assert "Đã tiếp nhận" in board and re.search(r"\d+,\d giờ", board)


def test_reporting_pages_label_the_period_form_and_write_vietnamese_numbers(app, browser):
    with app.app_context():
        period_id = open_q3(app)
        sub = db.session.scalars(select(ReportSubmission).where(ReportSubmission.period_id == period_id)).first()
        file_report(app, period_id, sub.school_id)
        cttt = browser("pgddt.cttt")
        for url in ("/reports", f"/reports/periods/{period_id}", f"/reports/submissions/{sub.id}"):
            html = cttt.get(url).get_data(as_text=True)
            text = visible_text(html)
            assert not ENGLISH_STATUS.findall(text), (url, ENGLISH_STATUS.findall(text))
            assert not unlabelled(html), (url, unlabelled(html))
        dashboard = cttt.get("/reports").get_data(as_text=True)
        assert re.search(r'<label for="period-year">Năm</label>', dashboard)
        assert re.search(r'<label for="period-index">Kỳ số', dashboard)
        assert "103" in visible_text(cttt.get(f"/reports/submissions/{sub.id}").get_data(as_text=True))


def test_compiled_report_counts_the_schools_incidents_not_its_d_figures():
    report = {"school": "THCS Suối Khoáng", "level": "THCS", "ward": "Quang Hanh", "status": "accepted"}
    figures = {"d_traffic_violations": 3, "d_fights": 1, "d_injuries": 1, "d_students_disciplined": 2}
    out = compile_reports([report | {"values": figures, "on_time": True, "incidents": 1}], list(figures))
    assert out["schools_with_incidents"] == [{"school": "THCS Suối Khoáng", "incidents": 1}]
    assert out["totals"]["d_traffic_violations"] == 3  # the figures are still summed
    quiet = compile_reports([report | {"values": figures, "on_time": True}], list(figures))
    assert quiet["schools_with_incidents"] == []  # D figures alone are not incidents


def test_compilation_text_names_each_school_with_its_incident_count(app, browser):
    with app.app_context():
        walk_incident(browser)
        period_id = open_q3(app)
        sk = org(SK)
        file_report(app, period_id, sk.id)  # its D figures sum to more than one
        call = ServiceCall("g", "compile", "compile_reports", {}, {"compile_period": {"period_id": period_id}})
        text = compile_period_reports(cascade(), store(), _Office(org("cp-pgddt").id), call)["noi_dung"]
        assert f"{sk.name} (1)" in text, text
        assert re.search(r"tỷ lệ đúng hạn \d+(,\d)?%", text)


class _Office:
    """The compiling instance as the handler reads it: only the organisation it runs at."""

    def __init__(self, org_id: int):
        self.org_id, self.id = org_id, 0
