"""Export every table and restore it into an empty database: same rows, and work carries on there."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from models import db
from tests.conftest import fresh_postgres
from tests.support.walk import complete, open_task, org
from tests.web.test_web import draft_form, start_office_plan


def empty_target(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return fresh_postgres("restore")


def test_export_and_restore_round_trip(app, browser, tmp_path, request):
    from models.backup import export_all, restore_all
    from web import create_app

    backend = "postgres" if "postgres" in request.node.callspec.id else "sqlite"
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form([org("cp-pgddt").id]))
        buffer = io.StringIO()
        counts = export_all(buffer)
        assert counts["workflow_task"] > 0 and counts["audit_event"] > 0
    target = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_target(backend, tmp_path)})
    with target.app_context():
        db.create_all()
        buffer.seek(0)
        restored = restore_all(buffer)
        assert restored == counts
        for table in db.metadata.sorted_tables:
            assert db.session.scalar(select(func.count()).select_from(table)) == counts[table.name], table.name
        # the restored instance carries on: the deputy approves the draft in the new database
        from tests.conftest import Browser

        deputy = Browser(target, "pgddt.pho")
        task = open_task("approve_plan", instance_id=instance_id)
        assert deputy.post_form(f"/tasks/{task.id}", {"quyet_dinh": "approve"}).status_code == 303
        open_task("register_plan", instance_id=instance_id)
        buffer.seek(0)
        try:
            restore_all(buffer)
            raise AssertionError("restore into a non-empty database must be refused")
        except ValueError as exc:
            assert "not empty" in str(exc)
        db.session.remove()
        db.engine.dispose()
