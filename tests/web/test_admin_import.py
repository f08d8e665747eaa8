"""Importing schools and people from a spreadsheet: a preview of every line with its errors in Vietnamese,
nothing written until a file without errors is confirmed, then everything in one commit, audited; hostile files
refused with a clear message; the lines kept between preview and confirmation cannot be altered."""

from __future__ import annotations

import io
import re
import uuid
import zipfile

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models import db
from models.org import Organisation, User
from models.workflow import AuditEvent

SCHOOL_HEADERS = ["Mã trường", "Tên trường", "Cấp học", "Phường/xã", "Đơn vị quản lý"]
OFFICE = "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả"


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def schools(prefix: str, count: int) -> list[list[str]]:
    rows = [SCHOOL_HEADERS]
    for i in range(count):
        rows.append([f"{prefix}-{i}", f"Trường Tiểu học Thử {prefix} {i}", "Tiểu học", "Phường Cẩm Sơn", OFFICE])
    return rows


def upload(admin, data: bytes, name: str = "danh-sach.xlsx", kind: str = "schools"):
    token = admin.csrf("/admin/import")
    payload = {"kind": kind, "csrf_token": token, "file": (io.BytesIO(data), name)}
    return admin.client.post("/admin/import", data=payload, content_type="multipart/form-data")


def confirm(admin, html: str):
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return admin.post_form("/admin/import/confirm", {"token": token}, form_page="/admin/import")


def count_codes(prefix: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(Organisation.code.like(f"{prefix}-%")))


def test_a_file_with_bad_lines_shows_each_error_and_writes_nothing_then_the_fixed_file_writes_all(app, browser):
    with app.app_context():
        admin, prefix = browser("admin"), f"imp{uuid.uuid4().hex[:5]}"
        rows = schools(prefix, 20)
        rows[4][4] = "Phòng Giáo dục huyện Không Có"
        rows[9][2] = "Đại học"
        rows[12][0] = rows[11][0]
        response = upload(admin, xlsx(rows))
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'name="token"' not in html
        assert "Dòng 5 · Đơn vị quản lý: Không tìm thấy đơn vị quản lý này" in html
        assert "Dòng 10 · Cấp học: Cấp học không hợp lệ" in html
        assert "Dòng 13 · Mã trường: Trùng với một dòng khác trong tệp." in html
        assert count_codes(prefix) == 0
        rows[4][4], rows[9][2], rows[12][0] = "cp-pgddt", "TH", f"{prefix}-x"
        preview = upload(admin, xlsx(rows))
        assert preview.status_code == 200
        done = confirm(admin, preview.get_data(as_text=True))
        assert "Đã thêm 20 trường học." in done.get_data(as_text=True)
        assert count_codes(prefix) == 20
        school = db.session.scalars(select(Organisation).where(Organisation.code == f"{prefix}-3")).one()
        assert (school.short_name, school.school_level, school.parent.code) == (f"TH Thử {prefix} 3", "TH", "cp-pgddt")
        assert school.ward.code == "cp-w-cam-son"
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.import")).all()
        assert audit[-1].detail["after"]["lines"] == 20 and audit[-1].detail["after"]["file"] == "danh-sach.xlsx"


def test_people_from_a_csv_get_roles_by_their_vietnamese_label_and_one_time_passwords(app, browser):
    with app.app_context():
        admin, name = browser("admin"), f"imp{uuid.uuid4().hex[:5]}"
        text = (
            "Tên đăng nhập;Họ tên;Chức vụ;Đơn vị;Vai trò;Email\n"
            f"{name}.ht;Trần Thị Hoa;Hiệu trưởng;cp-pgddt;Hiệu trưởng, Văn thư;hoa@example.vn\n"
            f"{name}.gv;Lê Văn Nam;Giáo viên;{OFFICE};Cán bộ, giáo viên;\n"
        )
        bad = upload(admin, (text + f"{name}.x;;;Nơi Nào Đó;Thần tiên;sai\n").encode(), "nguoi.csv", "people")
        words = bad.get_data(as_text=True)
        for expected in ("Họ tên: Bắt buộc nhập.", "Không tìm thấy đơn vị này", "Vai trò không hợp lệ", "thư điện tử"):
            assert expected in words
        preview = upload(admin, text.encode("utf-8-sig"), "nguoi.csv", "people")
        assert preview.status_code == 200
        done = confirm(admin, preview.get_data(as_text=True)).get_data(as_text=True)
        assert "Đã thêm 2 người dùng." in done
        db.session.expire_all()
        head = db.session.scalars(select(User).where(User.username == f"{name}.ht")).one()
        assert head.roles == {"principal", "clerk"} and head.must_change_password and head.title == "Hiệu trưởng"
        assert f"<code>{name}.gv</code>" in done


def test_hostile_or_wrong_files_are_refused_with_a_clear_message(app, browser):
    with app.app_context():
        admin = browser("admin")
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
            archive.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
        docx = io.BytesIO()
        with zipfile.ZipFile(docx, "w") as archive:
            archive.writestr("word/document.xml", "<w/>")
        cases = [
            (b"%PDF-1.7 not a table", "a.pdf", "không phải bảng tính"),
            (bomb.getvalue(), "bom.xlsx", "Tệp nén bất thường"),
            (docx.getvalue(), "a.xlsx", "không phải bảng tính"),
            (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "cu.xls", "Excel 97"),
            (b"PK\x03\x04garbage", "hong.xlsx", "Không đọc được tệp"),
            (b"", "rong.csv", "Tệp trống"),
            (b"x" * (2 * 1024 * 1024 + 1), "to.csv", "Tệp quá lớn"),
            (xlsx(schools("many", 1001)), "nhieu.xlsx", "quá 1000 dòng"),
            (xlsx([["Mã trường", "Tên trường"], ["a-b", "X"]]), "thieu.xlsx", "Thiếu cột: Cấp học, Đơn vị quản lý"),
        ]
        for data, name, words in cases:
            response = upload(admin, data, name)
            assert response.status_code == 422, name
            assert words in response.get_data(as_text=True), name
        assert count_codes("many") == 0


def test_the_confirmation_refuses_altered_lines_and_checks_again(app, browser):
    with app.app_context():
        admin, prefix = browser("admin"), f"imp{uuid.uuid4().hex[:5]}"
        html = upload(admin, xlsx(schools(prefix, 3))).get_data(as_text=True)
        token = re.search(r'name="token" value="([^"]+)"', html).group(1)
        tampered = admin.post_form("/admin/import/confirm", {"token": token[:-3] + "abc"}, "/admin/import")
        assert tampered.status_code == 422 and "hết hạn hoặc không hợp lệ" in tampered.get_data(as_text=True)
        other = browser("admin")  # the same administrator, in another session (bound to the person, not the tab)
        assert other.post_form("/admin/import/confirm", {"token": token}, "/admin/import").status_code == 200
        assert count_codes(prefix) == 3
        again = admin.post_form("/admin/import/confirm", {"token": token}, "/admin/import")  # codes now taken
        assert again.status_code == 409 and "Mã đơn vị đã tồn tại" in again.get_data(as_text=True)
        assert count_codes(prefix) == 3


def test_templates_download_with_the_vietnamese_headers_and_only_admins_import(app, browser):
    with app.app_context():
        response = browser("admin").get("/admin/import/template/schools.xlsx")
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert [c.value for c in sheet[1]] == ["Mã trường", "Tên trường", "Tên ngắn", "Cấp học", "Phường/xã",
                                               "Đơn vị quản lý"]  # fmt: skip
        assert browser("pgddt.cttt").get("/admin/import").status_code == 403


def test_the_administration_profile_and_login_pages_read_in_english(app, browser):
    with app.app_context():
        admin = browser("admin")
        page = admin.get("/admin/import?lang=en").get_data(as_text=True)
        assert "Import schools or people from a file" in page and "Download the template" in page
        assert "Search by name or username" in admin.get("/admin/users").get_data(as_text=True)
        assert "API access tokens" in admin.get("/profile").get_data(as_text=True)
        bad = upload(admin, b"%PDF-1.7", "a.pdf")
        assert "The file is not an .xlsx or .csv spreadsheet." in bad.get_data(as_text=True)
