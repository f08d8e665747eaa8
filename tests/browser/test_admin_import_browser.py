"""In Chromium: an administrator imports a 60-school spreadsheet with two bad lines, sees both errors and nothing
is written; the fixed file writes 60 schools. Screenshots at 1366×768 and 360×800 go to CASCADE_SCREENSHOTS
(default: the test's tmp dir)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import db
from models.org import Organisation
from tests.browser.test_admin_browser import shots
from tests.browser.test_browser import live_server, login, page  # noqa: F401 - fixtures
from tests.web.test_admin_import import schools, xlsx

pytestmark = pytest.mark.browser


def written(app, prefix: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(Organisation.code.like(f"{prefix}-%")))
        db.session.remove()
        return count


def test_a_60_school_import_with_two_bad_lines_shows_both_and_writes_nothing_until_fixed(
    live_server,  # noqa: F811
    page,  # noqa: F811
    sqlite_app,
    tmp_path,
):
    folder = Path(os.environ.get("CASCADE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    base, prefix = live_server, f"cp-s-imp{uuid.uuid4().hex[:4]}"
    rows = schools(prefix, 60)
    rows[7][4] = "Phòng GD huyện Không Có"
    rows[42][2] = "Đại học"
    bad, good = tmp_path / "truong-hoc.xlsx", tmp_path / "truong-hoc-da-sua.xlsx"
    bad.write_bytes(xlsx(rows))
    rows[7][4], rows[42][2] = "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả", "TH"
    good.write_bytes(xlsx(rows))

    login(page, base, "admin")
    page.goto(f"{base}/admin/users")
    page.click("text=Nhập từ tệp")
    shots(page, folder, "admin-import")
    page.set_input_files("#file", str(bad))
    page.click("button.primary")
    errors = page.inner_text("#import-errors")
    assert "2 dòng có lỗi" in errors
    assert "Dòng 8 · Đơn vị quản lý: Không tìm thấy đơn vị quản lý này" in errors
    assert "Dòng 43 · Cấp học: Cấp học không hợp lệ" in errors
    assert page.locator("table.import-preview tbody tr").count() == 60
    assert page.locator("#confirm-import").count() == 0
    shots(page, folder, "admin-import-errors")
    assert written(sqlite_app, prefix) == 0

    page.set_input_files("#file", str(good))
    page.click("button.primary")
    assert page.locator("#import-errors").count() == 0
    shots(page, folder, "admin-import-preview")
    assert written(sqlite_app, prefix) == 0  # a clean preview writes nothing either
    page.click("#confirm-import")
    assert "Đã thêm 60 trường học." in page.inner_text("#import-done")
    shots(page, folder, "admin-import-done")
    assert written(sqlite_app, prefix) == 60
