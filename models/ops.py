"""Operations failures ("Lỗi vận hành"): a step of a diagram that could not run — in a request, a timer or a
message delivery — with the element, the reason and the attempts, for administrators to retry or cancel. Not the
schools' incidents (models/incident.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.workflow import ProcessInstance

KINDS = {
    "request": ("Khi thực hiện thao tác", "During a request"),
    "timer": ("Bộ hẹn giờ", "Timer"),
    "message": ("Chuyển thông điệp", "Message delivery"),
}
STATUSES = {
    "open": ("Chưa xử lý", "Open"),
    "retried": ("Đã thử lại", "Retried"),
    "resolved": ("Đã xử lý", "Resolved"),
    "cancelled": ("Đã huỷ quy trình", "Instance cancelled"),
    "skipped": ("Đã bỏ qua bước", "Step skipped"),
}


class OperationFailure(db.Model):
    __tablename__ = "operation_failure"
    __table_args__ = (Index("ix_operation_failure_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # KINDS
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(Integer)
    process_key: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(120))
    element_name: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="open")  # STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    instance: Mapped[ProcessInstance | None] = relationship()
