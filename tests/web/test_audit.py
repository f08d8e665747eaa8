"""The audit trail: every completion leaves a row, and nobody can change or remove one afterwards, not even
with the application's own database connection."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError

from models import db
from models.workflow import AuditEvent
from tests.support.walk import open_task, org, user
from web.deps import actor_for, cascade, store


def test_audit_rows_are_append_only(app):
    with app.app_context():
        who = actor_for(user("pgddt.cttt"))
        instance_id = cascade().start_process(store(), who, "directive_plan")
        task = open_task("draft_plan", instance_id=instance_id)
        values = {
            "trich_yeu": "Kế hoạch thử",
            "noi_dung": "Nội dung",
            "han_nop": "2022-08-31",
            "noi_nhan": [{"org_id": org("cp-s-thcs-suoi-khoang").id, "purpose": "thuc_hien"}],
        }
        cascade().complete_task(store(), who, task.id, values)
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.action == "task.complete")
        ).one()
        assert row.user_id == who.user_id and row.detail["task"] == "draft_plan"
        for statement in (
            update(AuditEvent).where(AuditEvent.id == row.id).values(action="forged"),
            delete(AuditEvent).where(AuditEvent.id == row.id),
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(statement)
                db.session.flush()
            db.session.rollback()
        assert db.session.get(AuditEvent, row.id).action == "task.complete"
