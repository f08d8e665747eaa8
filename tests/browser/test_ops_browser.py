"""In Chromium, an administrator's "Lỗi vận hành" page: two instances whose escalation step keeps failing are parked
by the worker; the administrator sees each with its step and error, retries one once its cause is fixed (it runs and
finishes) and cancels the other with a reason; both pages are looked at at 1366×768 and 360×800."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.core.clock import clock
from engine.core.registry import Feature
from models import db
from models.ops import OperationFailure
from models.workflow import ProcessInstance
from tests.browser.test_browser import live_server, login, page  # noqa: F401 - fixtures
from tests.e2e.test_step_failures import FLAKY, START, cleanup, deploy, flaky, flaky_diagram
from tests.support.reporting_walk import token_actor
from web.deps import cascade, store

pytestmark = pytest.mark.browser


def test_administrator_retries_and_cancels_failed_steps(live_server, page, sqlite_app, tmp_path):  # noqa: F811
    base = live_server
    with sqlite_app.app_context():
        if "probe_flaky" not in cascade().registry.services:
            cascade().register(Feature(name="probe", services={"probe_flaky": flaky}))
        clock.freeze(START)
        deploy(flaky_diagram())
        FLAKY["failing"] = True
        try:
            first = cascade().start_process(store(), token_actor("pgddt.cttt"), "probe_flaky")
            second = cascade().start_process(store(), token_actor("pgddt.cttt"), "probe_flaky")
            for minutes in (0, 2, 4, 8):
                clock.freeze(START + timedelta(hours=2, minutes=minutes))
                cascade().fire_due_timers(store())
            failures = {f.instance_id: f.id for f in db.session.scalars(select(OperationFailure))}
            assert set(failures) == {first, second}

            login(page, base, "admin")
            for width, height in ((1366, 768), (360, 800)):
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{base}/ops/failures")
                page.screenshot(path=str(tmp_path / f"ops-{width}.png"), full_page=True)
            assert page.locator("tr[data-status=open]").count() == 2
            row = page.locator(f"#failure-{failures[first]}")
            assert "ConnectionError" in row.inner_text() and "Gửi sang hệ thống khác" in row.inner_text()

            FLAKY["failing"] = False  # the other system answers again
            row.locator("button", has_text="Thử lại").click()
            page.wait_for_url(f"{base}/ops/failures")
            assert "Đã đặt lại để chạy lại ngay" in page.content()
            assert cascade().fire_due_timers(store()) == 1  # the worker's next round

            other = page.locator(f"#failure-{failures[second]}")
            other.locator("input[name=reason]").fill("Sơ đồ cũ, không dùng nữa")
            other.locator("button", has_text="Huỷ quy trình").click()
            page.wait_for_url(f"{base}/ops/failures")
            assert page.locator("tr[data-status=open]").count() == 0
            db.session.expire_all()
            assert db.session.get(ProcessInstance, first).status == "completed"
            assert db.session.get(ProcessInstance, second).status == "cancelled"
        finally:
            FLAKY["failing"] = True
            clock.freeze(START)
            cleanup("probe_flaky")
