"""Jinja filters: dates as dd/mm/yyyy in Vietnam time, numbers as 1.250 and 1,7 % in Vietnamese, purpose, role,
status and event labels."""

from __future__ import annotations

from datetime import date, datetime

from engine.core.clock import VN_TZ
from engine.documents.nd30 import PURPOSES
from models.roles import ROLES
from web.locale import lang


def vn_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value  # what the person typed, shown back to them with its error
    return value.strftime("%d/%m/%Y")


def vn_datetime(value) -> str:
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def purpose_label(code: str) -> str:
    p = PURPOSES.get(code)
    if p is None:
        return code
    return p.label_en if lang() == "en" else p.label_vi


def role_label(code: str) -> str:
    vi, en = ROLES.get(code, (code, code))
    return en if lang() == "en" else vi


def bilingual(text: str) -> str:
    """Diagram labels are "Vietnamese | English": show the half for the current language."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    if not text or " | " not in text:
        return text or ""
    vi, en = text.split(" | ", 1)
    return en if lang() == "en" else vi


ACTIONS = {
    "instance.start": ("khởi tạo quy trình", "started the process"),
    "instance.cancel": ("hủy quy trình", "cancelled the process"),
    "instance.migrate": ("chuyển sang phiên bản mới", "moved to a newer version"),
    "instance.error": ("lỗi khi chạy", "error while running"),
    "task.complete": ("hoàn thành", "completed"),
    "task.approve": ("duyệt", "approved"),
    "task.return": ("trả lại để sửa", "returned for changes"),
    "task.claim": ("nhận xử lý", "claimed"),
    "task.unclaim": ("trả lại cho đơn vị", "released"),
    "document.issue": ("cấp số, phát hành", "numbered and issued"),
    "timer.fire": ("đến hạn (hẹn giờ)", "timer fired"),
    "definition.deploy": ("triển khai phiên bản quy trình", "deployed a process version"),
    "decision.deploy": ("triển khai phiên bản bảng quyết định (DMN)", "deployed a decision table (DMN) version"),
    "message.duplicate": ("bỏ qua thông điệp trùng", "duplicate message dropped"),
    "message.closed_org": ("không gửi: đơn vị đã giải thể/ngừng hoạt động", "not delivered: the unit is closed"),
    "message.deliver": ("chuyển thông điệp", "message delivered"),
    "report.period_open": ("mở kỳ báo cáo", "reporting period opened"),
    "report.extension": ("xét gia hạn báo cáo", "report extension decided"),
    "report.extension_request": ("đề nghị gia hạn báo cáo", "report extension requested"),
    "report.compiled": ("tổng hợp báo cáo", "report compiled"),
    "report.extension_moot": ("đề nghị gia hạn không còn cần xét", "extension request no longer needed"),
    "report.notice_skipped": ("bỏ qua nhắc nhở trùng", "duplicate reminder skipped"),
    "definition.migrate": ("chuyển các quy trình đang chạy sang phiên bản mới", "running instances migrated"),
    "tt124.open": ("mở năm đánh giá TT 124", "Circular 124 year opened"),
    "tt124.eligibility": ("xác định trường thuộc diện đánh giá", "eligibility decided"),
    "tt124.evidence_files": ("đính kèm tệp minh chứng", "evidence files attached"),
    "tt124.dossier": ("lập hồ sơ đề nghị công nhận", "recognition dossier prepared"),
    "report.status": ("cập nhật trạng thái báo cáo", "report status updated"),
    "incident.raise": ("báo cáo sự việc", "incident raised"),
    "incident.raised": ("báo cáo sự việc", "incident raised"),
    "tt124.open_year": ("mở năm đánh giá TT 124", "Circular 124 year opened"),
    "tt124.evidence": ("cập nhật minh chứng", "evidence added"),
    "tt124.decision": ("quyết định công nhận", "recognition decided"),
}
STATUSES = {
    "open": ("Đang chờ", "Open"),
    "completed": ("Đã xong", "Completed"),
    "cancelled": ("Đã hủy", "Cancelled"),
    "running": ("Đang chạy", "Running"),
    "error": ("Lỗi", "Error"),
    "acknowledged": ("Đã tiếp nhận", "Acknowledged"),
    "closed": ("Đã kết thúc", "Closed"),
    "false_alarm": ("Báo nhầm", "False alarm"),
    "pending": ("Đang làm", "Pending"),
    "submitted": ("Đã nộp", "Submitted"),
    "returned": ("Trả lại", "Returned"),
    "accepted": ("Đã tiếp nhận", "Accepted"),
    "sent": ("Đã gửi", "Sent"),
    "failed": ("Lỗi gửi", "Failed"),
    "approve": ("Duyệt", "Approved"),
    "return": ("Trả lại", "Returned"),
    "accept": ("Tiếp nhận", "Accepted"),
    "grant": ("Đồng ý gia hạn", "Granted"),
    "refuse": ("Không đồng ý", "Refused"),
    "confirm": ("Xác nhận", "Confirmed"),
}
INCIDENT_STATUSES = {
    "open": ("Mới báo cáo", "Newly raised"),
    "acknowledged": ("Đã tiếp nhận", "Acknowledged"),
    "closed": ("Đã kết thúc", "Closed"),
    "false_alarm": ("Báo nhầm", "False alarm"),
}


DECISION_KEYS = ("quyet_dinh", "hieu_truong_duyet", "ket_qua_xem_xet", "gia_han", "xac_nhan", "ket_thuc")
COMMENT_KEYS = ("y_kien", "y_kien_hieu_truong", "y_kien_phong", "y_kien_gia_han", "ly_do", "ghi_chu_don_doc")
DECISIONS = {
    "approve": ("duyệt", "approved"),
    "return": ("trả lại để sửa", "returned for changes"),
    "accept": ("tiếp nhận", "accepted"),
    "grant": ("đồng ý gia hạn", "granted the extension"),
    "refuse": ("không đồng ý gia hạn", "refused the extension"),
    "confirm": ("xác nhận, báo cáo lên", "confirmed and reported"),
    "false_alarm": ("xác định báo nhầm", "marked a false alarm"),
    "close": ("kết thúc vụ việc", "closed the case"),
    "continue": ("cập nhật, tiếp tục theo dõi", "updated, kept following"),
}


def decision_of(data: dict) -> str | None:
    """The decision a completed task's form took (approve, return, accept, …), if it took one."""
    return next((str(data[k]) for k in DECISION_KEYS if isinstance(data, dict) and data.get(k)), None)


def comment_of(data: dict) -> str:
    if not isinstance(data, dict):
        return ""
    return next((str(data[k]) for k in COMMENT_KEYS if isinstance(data.get(k), str) and data[k].strip()), "")


def event_text(event) -> str:
    """What an audit event says to a person: "trả lại để sửa", "duyệt", "hoàn thành"…"""
    detail = event.detail or {}
    decision = decision_of(detail.get("data") or {}) if event.action == "task.complete" else None
    if decision in DECISIONS:
        vi, en = DECISIONS[decision]
        return en if lang() == "en" else vi
    return action_label(event.action)


DRAFT_FIELDS = {
    "trich_yeu": ("trích yếu", "summary line"),
    "noi_dung": ("nội dung", "body"),
    "kinh_phi": ("kinh phí", "budget"),
    "han_nop": ("hạn nộp", "deadline"),
    "loai_van_ban": ("loại văn bản", "document type"),
    "noi_nhan": ("nơi nhận", "recipients"),
}


def draft_field(code: str) -> str:
    vi, en = DRAFT_FIELDS.get(code, (code, code))
    return en if lang() == "en" else vi


def event_decision(event) -> str | None:
    return decision_of((event.detail or {}).get("data") or {}) if event.action == "task.complete" else None


def event_comment(event) -> str:
    return comment_of((event.detail or {}).get("data") or {}) if event.action == "task.complete" else ""


def status_label(code) -> str:
    vi, en = STATUSES.get(code, (code, code)) if isinstance(code, str) else (code, code)
    return en if lang() == "en" else vi


def incident_status_label(code) -> str:
    """An incident's status ("open" is a case just raised, not an open task)."""
    vi, en = INCIDENT_STATUSES.get(code) or STATUSES.get(code, (code, code))
    return en if lang() == "en" else vi


def number(value, digits: int = 0) -> str:
    """1.250 and 1,7 in Vietnamese (1,250 and 1.7 in English); what is not a number is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.{digits}f}"
    if lang() == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value, digits: int = 1) -> str:
    """A share (0.017) as 1,7%."""
    if value is None:
        return ""
    return f"{number(value * 100, digits)}%"


def action_label(code: str) -> str:
    vi, en = ACTIONS.get(code, (code, code))
    return en if lang() == "en" else vi


def join_names(ids, names: dict, limit: int = 8) -> str:
    """'A, B, C … (+n)': a readable summary of a long recipient list."""
    shown = [names.get(i, str(i)) for i in ids[:limit]]
    more = len(ids) - len(shown)
    return ", ".join(shown) + (f" … (+{more})" if more > 0 else "")


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        vn_date=vn_date,
        vn_datetime=vn_datetime,
        purpose=purpose_label,
        role=role_label,
        bi=bilingual,
        action=action_label,
        status=status_label,
        incident_status=incident_status_label,
        event_text=event_text,
        event_comment=event_comment,
        event_decision=event_decision,
        draft_field=draft_field,
        num=number,
        pct=percent,
        join_names=join_names,
    )
    app.jinja_env.globals.update(lang=lang)
