"""Error pages (and JSON under /api), rolling the session back before rendering."""

from __future__ import annotations

from flask import jsonify, render_template, request

from models import db

MESSAGES = {
    400: ("Yêu cầu không hợp lệ.", "Bad request."),
    403: ("Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."),
    404: ("Không tìm thấy trang hoặc bạn không có quyền xem.", "Not found, or not yours to see."),
    405: ("Phương thức không được hỗ trợ.", "Method not allowed."),
    413: ("Tệp quá lớn.", "File too large."),
    429: ("Quá nhiều lần thử; vui lòng thử lại sau ít phút.", "Too many attempts; try again in a few minutes."),
    500: ("Đã xảy ra lỗi hệ thống; không có thay đổi nào được lưu.", "Something went wrong; nothing was saved."),
}


def register(app) -> None:
    def handle(exc):
        code = getattr(exc, "code", 500) or 500
        if code == 500:
            db.session.rollback()
            app.logger.exception("unhandled error", exc_info=exc)
        vi, en = MESSAGES.get(code, MESSAGES[500])
        if request.path.startswith("/api/"):
            return jsonify({"error": en}), code
        return render_template("error.html", code=code, message_vi=vi, message_en=en), code

    for code in MESSAGES:
        app.register_error_handler(code, handle)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template(
            "error.html",
            code=400,
            message_vi="Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (CSRF). Vui lòng tải lại trang.",
            message_en="Form expired or invalid (CSRF): reload the page and try again.",
        ), 400
