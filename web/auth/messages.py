"""The words for refusals that models/ gives as codes: weak passwords, refused fields, refused logins."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.commands.logins import LoginOutcome
from models.passwords import MIN_LENGTH

PASSWORD = {
    "short": _l("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_LENGTH),
    "long": _l("Mật khẩu quá dài (tối đa 200 ký tự)."),
    "demo": _l("Không được dùng mật khẩu dùng chung của bản trình diễn."),
    "common": _l("Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn một cụm từ khác."),
    "username": _l("Mật khẩu không được trùng tên đăng nhập."),
    "same": _l("Mật khẩu mới phải khác mật khẩu hiện tại."),
    "mismatch": _l("Hai lần nhập mật khẩu mới không khớp."),
    "wrong": _l("Mật khẩu hiện tại không đúng."),
}

FIELDS = {
    "required": _l("Bắt buộc nhập."),
    "username_format": _l("Tên đăng nhập gồm chữ thường không dấu, số, dấu chấm, gạch ngang (2–80 ký tự)."),
    "username_taken": _l("Tên đăng nhập đã có người dùng."),
    "email_format": _l("Địa chỉ thư điện tử không hợp lệ."),
    "org_closed": _l("Đơn vị đã đóng."),
    "org_missing": _l("Không có đơn vị này."),
    "roles_required": _l("Chọn ít nhất một vai trò."),
    "roles_unknown": _l("Vai trò không hợp lệ."),
    "code_format": _l("Mã đơn vị gồm chữ thường không dấu, số và gạch ngang (2–80 ký tự)."),
    "code_taken": _l("Mã đơn vị đã tồn tại."),
    "kind_unknown": _l("Loại đơn vị không hợp lệ."),
    "parent_cycle": _l("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."),
    "ward_unknown": _l("Phường/xã không hợp lệ."),
    "level_required": _l("Chọn cấp học của trường."),
    "has_people": _l("Đơn vị còn người dùng đang hoạt động; hãy chuyển hoặc khoá tài khoản trước."),
    "has_units": _l("Đơn vị còn đơn vị cấp dưới đang hoạt động."),
    "self": _l("Không thể tự khoá tài khoản của mình."),
    "missing": _l("Không tìm thấy."),
    "parent_missing": _l("Không có đơn vị quản lý với mã này."),
    "ward_missing": _l("Không có phường/xã với mã này."),
    "duplicate": _l("Trùng với một dòng khác trong tệp."),
    "kind_column": _l("Cột 'loai' phải là 'truong' hoặc 'nguoi_dung'."),
}


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    return {name: str(FIELDS.get(code) or PASSWORD.get(code) or code) for name, code in errors.items()}


def _minutes(outcome: LoginOutcome) -> int:
    return max(1, round(outcome.wait.total_seconds() / 60)) if outcome.wait else 1


def login_refusal(outcome: LoginOutcome) -> str:
    if outcome.refused == "locked":
        return _(
            "Tài khoản tạm khoá vì đăng nhập sai nhiều lần. Vui lòng thử lại sau %(n)s phút "
            "hoặc liên hệ quản trị hệ thống.",
            n=_minutes(outcome),
        )
    if outcome.refused == "throttled":
        return _("Quá nhiều lần đăng nhập sai từ máy này; vui lòng thử lại sau %(n)s phút.", n=_minutes(outcome))
    return _("Tên đăng nhập hoặc mật khẩu không đúng.")
