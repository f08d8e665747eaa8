"""Statistics (Thống kê, issue 13): the figures match a walked scenario (a directive done on time by one school and
not by another, one report on time and one late, an incident), a chart per table, the Excel export; an office's
leaders and specialists see its schools, a school only itself."""

from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from models import db
from models.report import ReportSubmission
from tests.support.reporting_walk import people
from tests.support.walk import complete, open_task, org
from tests.web.test_daily import _approve_and_issue, _issue_to_schools
from tests.web.test_incidents import raise_incident
from tests.web.test_reports_web import file_report, open_q3

SK, HQ = "cp-s-thcs-suoi-khoang", "cp-s-mn-huong-quynh"


def _cells(page: str, section: str, code: str) -> dict[str, str]:
    """The numbers of one unit's row in one table of the page: {column key: text}."""
    part = page[page.index(f'id="{section}"') :]
    row = re.search(rf'<tr data-org="{re.escape(code)}">(.*?)</tr>', part, re.S).group(1)
    return dict(re.findall(r'<td class="num (\w+)"[^>]*>([^<]*)</td>', row))


def _numbers(cells: dict[str, str]) -> dict[str, int]:
    return {k: int(v.replace(".", "")) for k, v in cells.items()}


def _walk(browser):
    """811-like plan to SK and HQ; SK's plan goes through (done on time); HQ does nothing. Q3 report: one school
    files on time, another late. SK raises a serious school-violence incident."""
    _cttt, pho, instance_id = _issue_to_schools(browser, [SK, HQ], returned_once=False)
    _approve_and_issue(browser, pho, instance_id, [SK, HQ])
    complete(browser("thcs-suoikhoang.gv"), open_task("draft_school_plan", SK), {"trich_yeu": "KH", "noi_dung": "…"})
    complete(browser("thcs-suoikhoang.ht"), open_task("principal_approval", SK), {"hieu_truong_duyet": "approve"})
    complete(browser("pgddt.cttt"), open_task("office_review", SK), {"ket_qua_xem_xet": "accept"})
    raise_incident(browser, "thcs-suoikhoang.ht", occurred_at="2022-07-28T08:40")


def test_statistics_match_the_walk_and_export(app, browser):
    with app.app_context():
        leader = browser("pgddt.truongphong")
        seeded = leader.get("/stats?year=2022").get_data(as_text=True)  # the seed's history (811 to every school)
        before = {code: _numbers(_cells(seeded, "directives", code)) for code in (SK, HQ)}
        _walk(browser)
        period_id = open_q3(app)
        subs = db.session.scalars(
            select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.school_id)
        ).all()
        on_time, late = subs[0], subs[1]
        file_report(app, period_id, on_time.school_id)
        clock.freeze(datetime(2022, 9, 19, 9, 0, tzinfo=VN_TZ))  # after the 16/9 deadline
        file_report(app, period_id, late.school_id)

        page = leader.get("/stats?year=2022").get_data(as_text=True)
        added = {
            code: {k: n - before[code][k] for k, n in _numbers(_cells(page, "directives", code)).items()}
            for code in (SK, HQ)
        }
        assert added[SK] == {"received": 1, "on_time": 1, "late": 0, "not_done": 0, "overdue": 0}
        assert added[HQ] == {
            "received": 1,
            "on_time": 0,
            "late": 0,
            "not_done": 1,
            "overdue": 1,
        }  # 31/08 passed: the clock is at 19/09
        assert _cells(page, "reports", on_time.school.code) == {"due": "1", "on_time": "1", "late": "0", "missing": "0"}
        assert _cells(page, "reports", late.school.code) == {"due": "1", "on_time": "0", "late": "1", "missing": "0"}
        footer = page[page.index('id="reports"') :]
        missing = re.search(r'<th class="num missing"[^>]*>([^<]*)</th>', footer).group(1)
        assert missing == f"{len(subs) - 2:,}".replace(",", ".")
        assert "Bạo lực học đường" in page[page.index('id="incidents"') :]
        assert page.count('<svg class="chart"') == 3 and 'style="' not in page
        assert "(1)" in page[page.index('id="incidents"') : page.index('id="incidents"') + 200]

        quarters = [leader.get(f"/stats?year=2022&quarter={q}").get_data(as_text=True) for q in (1, 2, 3, 4)]
        by_quarter = [_numbers(_cells(q, "directives", SK))["received"] for q in quarters]
        assert sum(by_quarter) == _numbers(_cells(page, "directives", SK))["received"] and by_quarter[2] >= 1

        xlsx = leader.get("/stats.xlsx?year=2022")
        assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
        book = load_workbook(BytesIO(xlsx.data))
        assert book.sheetnames == ["Văn bản chỉ đạo", "Báo cáo định kỳ", "Sự việc"]
        rows = {r[0]: r[1:] for r in book["Văn bản chỉ đạo"].iter_rows(min_row=3, values_only=True)}
        assert rows[org(SK).name] == tuple(_numbers(_cells(page, "directives", SK)).values())
        incidents = list(book["Sự việc"].iter_rows(min_row=3, values_only=True))
        assert incidents == [("Bạo lực học đường", 0, 1, 0, 0, 1)]  # nhẹ, nghiêm trọng, rất nghiêm trọng, đặc biệt


def test_each_unit_sees_only_what_it_may_count(app, browser):
    with app.app_context():
        raise_incident(browser, "thcs-suoikhoang.ht", occurred_at="2022-07-28T08:40")
        office = browser("pgddt.cttt").get("/stats?year=2022").get_data(as_text=True)
        assert office.count('<tr data-org="cp-s-') >= 2 * 55  # every school, in both tables
        assert 'data-org="cp-pgddt"' in office and "Sự việc" in office
        school = browser("thcs-suoikhoang.ht").get("/stats?year=2022").get_data(as_text=True)
        assert re.findall(r'<tr data-org="([^"]+)"', school) == [SK, SK]
        assert "Bạo lực học đường" in school
        other = browser(people(org(HQ).id)["principal"]).get("/stats?year=2022").get_data(as_text=True)
        assert re.findall(r'<tr data-org="([^"]+)"', other) == [HQ, HQ]
        assert "Bạo lực học đường" not in other  # another school's incident is not counted there
        assert "Statistics" in browser("pgddt.cttt").get("/stats?lang=en").get_data(as_text=True)
