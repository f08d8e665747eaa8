"""Chasing (đôn đốc) the organisations late on a directive: one notification to each of their people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import db
from models.incident import Notification
from models.org import User
from models.workflow import AuditEvent


def chase(user_id: int, org_id: int, document_id: int, symbol: str, late_org_ids: list[int], now: datetime) -> int:
    """Tell every active person of the late organisations that `symbol` is overdue, audit it, commit once.
    Returns how many people were told."""
    if not late_org_ids:
        return 0
    people = db.session.scalars(select(User.id).where(User.org_id.in_(late_org_ids), User.active.is_(True))).all()
    title = f"Đôn đốc thực hiện {symbol}"
    body = f"Đơn vị chưa hoàn thành {symbol} đúng hạn; đề nghị khẩn trương thực hiện và báo cáo."
    db.session.add_all(
        Notification(user_id=p, title=title, body=body, url=f"/documents/{document_id}", created_at=now) for p in people
    )
    db.session.add(
        AuditEvent(
            at=now,
            user_id=user_id,
            org_id=org_id,
            action="document.chase",
            detail={"document_id": document_id, "symbol": symbol, "orgs": sorted(late_org_ids), "people": len(people)},
        )
    )
    db.session.commit()
    return len(people)
