"""Error answers in one place: HTTP errors and the engine's exceptions (engine/core/errors.py), as an HTML page
for the browser and JSON under /api (and for the modeller's JSON calls), the session rolled back first."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from engine.core.errors import (
    ActionRefusedError,
    DefinitionError,
    EngineError,
    FormValidationError,
    NotAllowedError,
    ScriptError,
    StepFailedError,
    TaskAlreadyCompletedError,
    TaskNotFoundError,
    UnknownProcessError,
)
from engine.core.forms import message as field_message
from engine.core.problem_text import problem_json
from models import db
from models.commands import Conflict
from models.commands.failures import record_request_failure
from web.locale import lang

MESSAGES = {
    400: ("Yêu cầu không hợp lệ.", "Bad request."),
    403: ("Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."),
    404: ("Không tìm thấy trang hoặc bạn không có quyền xem.", "Not found, or not yours to see."),
    405: ("Phương thức không được hỗ trợ.", "Method not allowed."),
    409: (
        "Dữ liệu vừa được người khác thay đổi; hãy tải lại trang rồi thử lại.",
        "Changed meanwhile: reload and retry.",
    ),
    413: ("Tệp quá lớn.", "File too large."),
    422: ("Dữ liệu gửi lên không hợp lệ; không có thay đổi nào được lưu.", "Invalid data; nothing was saved."),
    429: ("Quá nhiều lần thử; vui lòng thử lại sau ít phút.", "Too many attempts; try again in a few minutes."),
    500: ("Đã xảy ra lỗi hệ thống; không có thay đổi nào được lưu.", "Something went wrong; nothing was saved."),
}
CSRF_MESSAGE = (
    "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (CSRF). Vui lòng tải lại trang.",
    "Form expired or invalid (CSRF): reload the page and try again.",
)

# engine error → (status, the API's "error" text, the page's message or None for the status's own)
ENGINE_ERRORS: dict[type[Exception], tuple[int, str, tuple[str, str] | None]] = {
    TaskNotFoundError: (404, "task not found", None),
    UnknownProcessError: (404, "unknown process", None),
    NotAllowedError: (403, "not allowed", None),
    TaskAlreadyCompletedError: (
        409,
        "task already completed",
        (
            "Nhiệm vụ này đã được hoàn thành trước đó; không có thay đổi nào được lưu.",
            "This task was already completed; nothing was changed.",
        ),
    ),
    FormValidationError: (422, "invalid form data", None),
    StepFailedError: (422, "step failed", None),
    DefinitionError: (422, "invalid definition", None),
    ScriptError: (422, "script refused", None),
    Conflict: (409, "changed meanwhile", None),
    ActionRefusedError: (409, "refused", None),
    EngineError: (422, "refused", None),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def page(code: int, message: tuple[str, str] | None = None):
    vi, en = message or MESSAGES.get(code, MESSAGES[500])
    return render_template("error.html", code=code, message_vi=vi, message_en=en), code


def form_errors(exc: FormValidationError) -> dict[str, str]:
    """For a view that shows the form again with its field messages: nothing of the refused step is kept."""
    db.session.rollback()
    return {k: field_message(v, lang()) for k, v in exc.errors.items()}


def problems_json(problems) -> list[dict]:
    return [problem_json(p, lang()) for p in problems]


def _reason(exc: Exception) -> str | None:
    """The engine's own words for a refusal, when it gave some (a task id alone says nothing new)."""
    return str(exc) if exc.args and isinstance(exc.args[0], str) else None


def _engine_json(exc: Exception, code: int, text: str):
    if request.path.startswith("/api/"):
        if isinstance(exc, NotAllowedError):
            return jsonify({"error": str(exc) or text}), code
        if isinstance(exc, TaskAlreadyCompletedError | ActionRefusedError) and _reason(exc):
            return jsonify({"error": text, "message_vi": _reason(exc)}), code
        if isinstance(exc, FormValidationError):
            fields = {
                k: {"code": v.code, "message": field_message(v, "en"), "message_vi": field_message(v, "vi")}
                for k, v in exc.errors.items()
            }
            return jsonify({"error": text, "fields": fields}), code
        return jsonify({"error": text}), code
    problems = getattr(exc, "problems", [])
    if problems:
        message = _("Có %(n)s lỗi cần sửa trước khi triển khai.", n=len(problems))
    elif isinstance(exc, DefinitionError | ScriptError):
        message = _("Tệp bị từ chối: %(reason)s", reason=str(exc))
    else:
        vi, en = ENGINE_ERRORS[type(exc)][2] or MESSAGES[code]
        message = en if lang() == "en" else vi
    return jsonify({"ok": False, "error": text, "message": message, "problems": problems_json(problems)}), code


def step_failed(exc: StepFailedError):
    """A step of the diagram could not run: nothing of it is kept, administrators find it under "Lỗi vận hành",
    and the person is told which step and why."""
    db.session.rollback()
    record_request_failure(exc, getattr(current_user, "id", None))
    element = exc.element_name or exc.element_id or "?"
    vi = (
        f"Bước «{element}» ({exc.element_id}) không thực hiện được: {exc.reason}. Không có thay đổi nào được lưu; "
        "quản trị viên đã được thông báo (Lỗi vận hành)."
    )
    en = (
        f"The step “{element}” ({exc.element_id}) could not run: {exc.reason}. Nothing was saved; "
        "administrators were told."
    )
    if wants_json():
        body = {"error": "step failed", "element": exc.element_id, "element_name": exc.element_name}
        return jsonify({**body, "reason": exc.reason, "message_vi": vi, "message": en}), 422
    return page(422, (vi, en))


def engine_error(exc: Exception):
    if isinstance(exc, StepFailedError):
        return step_failed(exc)
    db.session.rollback()
    code, text, message = next(v for t, v in ENGINE_ERRORS.items() if isinstance(exc, t))
    if wants_json():
        return _engine_json(exc, code, text)
    if isinstance(exc, TaskAlreadyCompletedError | ActionRefusedError) and _reason(exc):
        message = (_reason(exc), (message or MESSAGES[code])[1])  # the engine's reason is in Vietnamese
    return page(code, message)


def register(app) -> None:
    def handle(exc):
        code = getattr(exc, "code", 500) or 500
        if code == 500:
            db.session.rollback()
            app.logger.exception("unhandled error", exc_info=exc)
        if request.path.startswith("/api/"):
            return jsonify({"error": MESSAGES.get(code, MESSAGES[500])[1]}), code
        return page(code)

    for code in MESSAGES:
        app.register_error_handler(code, handle)
    for exc_type in ENGINE_ERRORS:
        app.register_error_handler(exc_type, engine_error)
    app.register_error_handler(CSRFError, lambda exc: page(400, CSRF_MESSAGE))
