"""In Chromium: an administrator adds a school and its principal; the principal logs in with the one-time
password, must change it, and sees the school's inbox; a deactivated person's session ends at the next click.
Screenshots of the pages at 1366×768 and 360×800 go to CASCADE_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.browser.test_browser import live_server, login, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
SIZES = {"desktop": (1366, 768), "phone": (360, 800)}
STRONG = "mua thu ha long vang"


def shots(page, folder: Path, name: str) -> None:  # noqa: F811
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{label}.png"))
    page.set_viewport_size({"width": 1366, "height": 768})


def test_an_admin_creates_a_school_and_its_principal_who_starts_with_a_one_time_password(
    live_server,  # noqa: F811
    page,  # noqa: F811
    tmp_path,
):
    folder = Path(os.environ.get("CASCADE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    base, suffix = live_server, uuid.uuid4().hex[:5]
    login(page, base, "admin")
    page.goto(f"{base}/admin/orgs/new")
    page.fill("#code", f"cp-s-th-hoa-sen-{suffix}")
    page.fill("#name", "Trường Tiểu học Hoa Sen")
    page.fill("#short_name", "TH Hoa Sen")
    page.select_option("#parent_id", label="Phòng Giáo dục và Đào tạo thành phố Cẩm Phả")
    page.select_option("#school_level", "TH")
    page.select_option("#ward_id", index=1)
    shots(page, folder, "admin-org-new")
    page.click("button.primary")
    assert "Đã thêm đơn vị" in page.content()
    page.click("text=+ Thêm người dùng cho đơn vị này")
    page.fill("#username", f"thhoasen{suffix}.ht")
    page.fill("#full_name", "Trần Thị Hoa")
    page.click("button.primary")  # no role chosen: refused, nothing lost
    assert "Chọn ít nhất một vai trò" in page.content()
    assert page.input_value("#full_name") == "Trần Thị Hoa"
    shots(page, folder, "admin-user-error")
    page.check("input[name=roles][value=principal]")
    page.click("button.primary")
    password = page.inner_text("#one-time-password")
    shots(page, folder, "admin-one-time")
    page.goto(f"{base}/admin/users")
    shots(page, folder, "admin-users")
    page.goto(f"{base}/admin/changes")
    shots(page, folder, "admin-changes")
    page.click("button:has-text('Đăng xuất')")

    page.fill("#username", f"thhoasen{suffix}.ht")
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/profile/password")
    shots(page, folder, "password-change")
    page.fill("#current", password)
    page.fill("#new", "1234567890")
    page.fill("#confirm", "1234567890")
    page.click("button.primary")
    assert "quá phổ biến" in page.content()
    page.fill("#current", password)
    page.fill("#new", STRONG)
    page.fill("#confirm", STRONG)
    page.click("button.primary")
    page.wait_for_url(f"{base}/profile")
    shots(page, folder, "profile")
    page.goto(f"{base}/")
    assert "TH Hoa Sen" in page.content()


def test_a_deactivated_persons_session_ends_at_the_next_click(live_server, page, sqlite_app):  # noqa: F811
    from sqlalchemy import select

    from engine.core.ports import Actor
    from models.commands.users import set_active
    from models.org import User

    base = live_server
    login(page, base, "pgddt.vanthu")
    with sqlite_app.app_context():
        from models import db

        target = db.session.scalars(select(User).where(User.username == "pgddt.vanthu")).one()
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        set_active(Actor(user_id=admin.id, org_id=admin.org_id, is_admin=True), target.id, False)
        db.session.remove()
    page.click("text=Văn bản")
    assert "/login" in page.url
