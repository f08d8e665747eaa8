"""`flask export-data` while the app is busy: the file is one snapshot, so it restores (no row points at a row
the file lacks) and a restored instance carries on."""

from __future__ import annotations

import io
import threading
import uuid

from sqlalchemy import func, select

from engine.core.ports import Actor
from models import db
from models.commands import orgs, users
from models.org import Organisation, User
from models.workflow import HumanTask, ProcessInstance
from tests.conftest import Browser, _empty_database
from tests.models.test_backup import empty_target
from tests.support.walk import complete, open_task, org
from tests.web.test_web import draft_form, start_office_plan

ADMIN = Actor(user_id=None, org_id=None, is_admin=True, name="test")


def keep_writing(app, stop: threading.Event, added: list) -> None:
    """Keep adding a school then its principal (who points at it), and starting plans (an instance, its task
    rows, its inbox row): an export reading the parents before a commit and the children after would not
    restore."""
    with app.app_context():
        office, ward = org("cp-pgddt").id, org("cp-w-cam-son").id
        cttt = Browser(app, "pgddt.cttt")
        while not stop.is_set():
            code = f"cp-s-th-snap-{uuid.uuid4().hex[:8]}"
            fields = {"code": code, "name": f"Trường {code}", "short_name": code, "kind": "school"}
            fields |= {"parent_id": office, "ward_id": ward, "school_level": "TH"}
            school_id = orgs.create_org(ADMIN, fields)
            person = {"username": f"{code}.ht", "full_name": "Hiệu trưởng", "org_id": school_id, "roles": ["principal"]}
            users.create_user(ADMIN, person)
            cttt.post_form("/processes/start", {"process_key": "directive_plan"}, form_page="/processes/start")
            added.append(code)
        db.session.remove()


def test_an_export_taken_under_writes_restores_and_carries_on(app, browser, tmp_path, request):
    from models.backup import export_all, restore_all
    from web import create_app

    backend = "postgres" if "postgres" in request.node.callspec.id else "sqlite"
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form([org("cp-pgddt").id]))
        stop, added = threading.Event(), []
        writer = threading.Thread(target=keep_writing, args=(app, stop, added))
        writer.start()
        try:
            while len(added) < 3:
                stop.wait(0.05)
            buffers = []
            for _ in range(8):  # several exports, each racing the writer
                buffers.append(io.StringIO())
                export_all(buffers[-1])
        finally:
            stop.set()
            writer.join(30)
        assert len(added) > 3
    target = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_target(backend, tmp_path)})
    with target.app_context():
        for buffer in buffers:
            _empty_database(db)
            db.create_all()
            buffer.seek(0)
            restore_all(buffer)  # raises on a foreign-key violation (PostgreSQL) …
            orphans = select(func.count()).select_from(User).outerjoin(Organisation, Organisation.id == User.org_id)
            assert db.session.scalar(orphans.where(Organisation.id.is_(None))) == 0  # … and SQLite is checked here
            tasks = select(func.count()).select_from(HumanTask)
            tasks = tasks.outerjoin(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            assert db.session.scalar(tasks.where(ProcessInstance.id.is_(None))) == 0
            db.session.remove()
        # the last restore carries on: the deputy finds the draft to approve in the inbox and opens it
        task = open_task("approve_plan", instance_id=instance_id)
        deputy = Browser(target, "pgddt.pho")
        assert f'/tasks/{task.id}"' in deputy.get("/").get_data(as_text=True)
        assert deputy.get(f"/tasks/{task.id}").status_code == 200
        db.session.remove()
        db.engine.dispose()
