"""In Chromium, at 1366×768 and 360×800 (issue 13): the reviewer sees the school in the inbox and its plan on the
task page, a returned draft carries its badge, the follow-up page filters the late and exports Excel, and the
header's links never overlap. Screenshots go to docs/images/ when CASCADE_SCREENSHOTS=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_browser import ARGS, CHROMIUM, live_server, login  # noqa: F401 - fixtures
from tests.conftest import IN_CI, Browser
from tests.web.test_daily import SK, _issue_to_schools, _school_plan_at_office

pytestmark = pytest.mark.browser
SIZES = {"desktop": (1366, 768), "phone": (360, 800)}
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(params=list(SIZES))
def sized_page(request):
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    width, height = SIZES[request.param]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": height})
        page = context.new_page()
        page.size_name = request.param
        yield page
        browser.close()


def shot(page, name: str) -> None:
    if os.environ.get("CASCADE_SCREENSHOTS"):
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / f"{name}-{page.size_name}.png"), full_page=True)


def overlaps(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and (b["y"] < a["y"] + a["height"])
    )


def assert_header_clean(page) -> None:
    """No two header items overlap, none wraps onto two lines, nothing is wider than the screen."""
    items = page.locator("header.top nav a, header.top .who > *, header.top .lang a, header.top .brand")
    boxes = [b for b in (items.nth(i).bounding_box() for i in range(items.count())) if b]
    width = page.viewport_size["width"]
    for i, a in enumerate(boxes):
        assert a["x"] + a["width"] <= width + 1, f"header item {i} runs off the screen"
        assert a["height"] < 40, f"header item {i} wraps onto two lines ({a['height']} px)"
        for b in boxes[i + 1 :]:
            assert not overlaps(a, b), f"header items overlap: {a} {b}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def test_reviewer_inbox_task_and_follow_up(live_server, sized_page, sqlite_app):  # noqa: F811
    page, base = sized_page, live_server
    with sqlite_app.app_context():
        review = _school_plan_at_office(lambda u=None: Browser(sqlite_app, u))
        document_id = review.instance.directive_id
    login(page, base, "pgddt.cttt")
    assert_header_clean(page)
    row = page.locator(f"tr:has(a[href='/tasks/{review.id}'])")
    assert "Suối Khoáng" in row.inner_text() and "/KH-PGDĐT" in row.inner_text()
    shot(page, "inbox")
    page.fill("#q", "Suối Khoáng")
    page.click(".inbox-filters button.primary")
    assert page.locator(f"a[href='/tasks/{review.id}']").count() == 1
    page.click(f"a[href='/tasks/{review.id}']")
    assert "Nội dung kế hoạch trường" in page.locator("section.draft").inner_text()
    assert page.locator("label[for=f-ket_qua_xem_xet]").is_visible()
    assert_header_clean(page)
    shot(page, "review-task")
    page.goto(f"{base}/documents/{document_id}/cascade")
    assert "built-in method" not in page.content() and page.locator("svg.progress").count() == 1
    page.select_option("#only", "late")
    page.click(".follow-filters button.primary")
    assert "only=late" in page.url
    with page.expect_download() as download:
        page.click("text=Xuất Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.goto(f"{base}/documents/{document_id}/cascade?group=level")
    shot(page, "follow-up")


def test_returned_draft_and_school_header(live_server, sized_page, sqlite_app):  # noqa: F811
    page, base = sized_page, live_server
    with sqlite_app.app_context():
        _issue_to_schools(lambda u=None: Browser(sqlite_app, u), [SK])
    login(page, base, "pgddt.cttt")
    assert page.locator("tr.returned .badge.returned").count() == 1
    assert "Bổ sung phần kinh phí." in page.locator("tr.returned").inner_text()
    page.click("tr.returned a")
    assert page.locator(".returned-banner").is_visible()
    shot(page, "returned-task")
    page.click("text=Đăng xuất")
    login(page, base, "thcs-suoikhoang.ht")
    assert_header_clean(page)
    raise_box = page.locator("a.raise").bounding_box()
    assert raise_box["height"] < 40
    shot(page, "school-inbox")
    page.click("a.raise")
    assert_header_clean(page)
    for field in ("category", "severity", "description"):
        assert page.locator(f"label[for={field}]").count() == 1
    shot(page, "incident-form")


def test_principal_sees_the_incident_before_confirming(live_server, sized_page, sqlite_app):  # noqa: F811
    page, base = sized_page, live_server
    login(page, base, "thcs-suoikhoang.gv")
    page.click("a.raise")
    page.select_option("#category", "fight")
    page.select_option("#severity", "minor")
    page.fill("#description", "Hai học sinh lớp 9 xô xát ở cổng trường.")
    page.click("button.primary")
    page.click("text=Đăng xuất")
    login(page, base, "thcs-suoikhoang.ht")
    page.click("text=Xác nhận sự việc")
    assert "Hai học sinh lớp 9 xô xát ở cổng trường." in page.locator("section.subject.incident").inner_text()
    assert_header_clean(page)
    shot(page, "confirm-incident")


def test_leader_reads_the_statistics(live_server, sized_page, sqlite_app):  # noqa: F811
    """The office's head opens Thống kê: three tables, a chart each, the Excel link; nothing wider than the screen."""
    page = sized_page
    login(page, live_server, "pgddt.truongphong")
    page.goto(f"{live_server}/stats?year=2022")
    assert page.locator("h1").inner_text().startswith("Thống kê")
    assert page.locator("svg.chart").count() >= 2 and page.locator("table.stats").count() >= 2
    assert page.locator("label[for=year]").is_visible() and page.locator("label[for=quarter]").is_visible()
    assert_header_clean(page)
    shot(page, "statistics")
    with page.expect_download() as download:
        page.get_by_text("Tải Excel").click()
    assert download.value.suggested_filename == "thong-ke-2022.xlsx"
