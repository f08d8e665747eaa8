"""The import's web side: the uploaded file read into lines, the words for its refusals, and how the lines
are kept between the preview and the confirmation.

Kept in the page, signed: the preview carries the parsed lines in a hidden field signed with the app's secret
key (itsdangerous, zlib-compressed), bound to the administrator who uploaded them and to the file's SHA-256, and
valid for an hour. Nothing is kept on the server, so any worker can take the confirmation; the signature means
the lines confirmed are exactly the lines previewed; and the confirmation checks every line again against the
database as it is then (a code taken in between refuses the whole file)."""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage

from models.commands.changes import InputError
from models.commands.imports import COLUMNS, MAX_ROWS, Line, read_lines
from web.admin.sheets import MAX_BYTES, SheetError, read_table
from web.auth.messages import field_errors
from web.uploads import human_size, safe_filename

MAX_AGE = 3600
EXAMPLES = {
    "schools": ("cp-s-th-hoa-sen", "Trường Tiểu học Hoa Sen", "TH Hoa Sen", "TH", "Phường Cẩm Trung",
                "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả"),
    "people": ("thhoasen.ht", "Trần Thị Hoa", "Hiệu trưởng", "cp-s-th-hoa-sen", "Hiệu trưởng", "hoa@example.vn"),
}  # fmt: skip
FILE_ERRORS = {
    "empty": _l("Tệp trống hoặc không có dòng nào."),
    "too_big": _l("Tệp quá lớn (tối đa %(size)s).", size=human_size(MAX_BYTES)),
    "xls": _l("Tệp Excel 97–2003 (.xls) chưa được hỗ trợ; hãy lưu lại dưới dạng .xlsx hoặc CSV UTF-8."),
    "type": _l("Tệp không phải bảng tính .xlsx hoặc .csv."),
    "bomb": _l("Tệp nén bất thường (giải nén quá lớn); tệp bị từ chối."),
    "broken": _l("Không đọc được tệp bảng tính (tệp hỏng?)."),
    "encoding": _l("Không đọc được bảng mã của tệp CSV; hãy lưu dưới dạng CSV UTF-8."),
    "expired": _l("Bản xem trước đã hết hạn hoặc không hợp lệ; hãy tải tệp lên lại."),
    "kind": _l("Chọn loại danh sách."),
}
LINE_ERRORS = {
    "level_unknown": _l("Cấp học không hợp lệ (MN, TH, THCS, TH&THCS, THPT)."),
    "parent_missing": _l("Không tìm thấy đơn vị quản lý này (nhập mã hoặc tên)."),
    "ward_missing": _l("Không tìm thấy phường/xã này (nhập mã hoặc tên)."),
    "org_missing": _l("Không tìm thấy đơn vị này (nhập mã hoặc tên)."),
}
HEADERS = {key: name for columns in COLUMNS.values() for name, key in columns}
LABELS = {"parent_id": "parent", "ward_id": "ward", "org_id": "org"}  # the checks' field → the file's column


class ImportFileError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="admin-import")


def read_upload(kind: str, upload: FileStorage | None) -> tuple[list[Line], dict]:
    """The file's lines and where they came from (name, SHA-256, size).

    :raises ImportFileError: the kind, the file or its columns are refused (the message says why).
    """
    if kind not in COLUMNS:
        raise ImportFileError(str(FILE_ERRORS["kind"]))
    data = upload.stream.read(MAX_BYTES + 1) if upload else b""
    name = safe_filename(upload.filename if upload else "", "danh-sach")
    try:
        lines = read_lines(kind, read_table(name, data, MAX_ROWS[kind]))
    except SheetError as exc:
        if exc.reason == "too_many_rows":
            raise ImportFileError(str(_l("Tệp có quá %(n)s dòng; hãy chia nhỏ.", n=MAX_ROWS[kind]))) from exc
        raise ImportFileError(str(FILE_ERRORS[exc.reason])) from exc
    except InputError as exc:
        raise ImportFileError(str(_l("Thiếu cột: %(c)s.", c=exc.errors["columns"]))) from exc
    return lines, {"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def sign(kind: str, lines: list[Line], source: dict, user_id: int) -> str:
    rows = [[line.number, line.values] for line in lines]
    return _serializer().dumps({"kind": kind, "rows": rows, "source": source, "user": user_id})


def unsign(token: str, user_id: int) -> tuple[str, list[Line], dict]:
    """:raises ImportFileError: the token is not ours, not this admin's, or older than an hour."""
    try:
        payload = _serializer().loads(token or "", max_age=MAX_AGE)
    except BadSignature as exc:
        raise ImportFileError(str(FILE_ERRORS["expired"])) from exc
    if payload.get("user") != user_id or payload.get("kind") not in COLUMNS:
        raise ImportFileError(str(FILE_ERRORS["expired"]))
    lines = [Line(number, values) for number, values in payload["rows"]]
    return payload["kind"], lines, payload["source"]


def line_messages(line: Line) -> list[tuple[str, str]]:
    """(column header, message) for each error of the line, in the page's language."""
    worded = field_errors(line.errors)
    return [
        (HEADERS.get(LABELS.get(name, name), name), str(LINE_ERRORS.get(code) or worded[name]))
        for name, code in line.errors.items()
    ]
