"""Deploying a new version while many instances run breaks none of them: running instances keep their
version and carry on; new ones start on the new version (PostgreSQL, with completions racing the deploy)."""

from __future__ import annotations

import os
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine.core.clock import VN_TZ, clock
from engine.core.ports import Actor
from models import db
from models.workflow import HumanTask, ProcessDefinition, ProcessInstance
from seed.data import ROLES
from tests.support.walk import org, user
from web.deps import actor_for, cascade, store

RUNNING = int(os.environ.get("CASCADE_DEPLOY_INSTANCES", "1000"))


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)  # SQLite serialises writers: no race to test
def test_deploy_while_many_instances_run(app):
    clock.freeze(datetime(2022, 8, 1, 8, 0, tzinfo=VN_TZ))
    with app.app_context():
        cttt = actor_for(user("pgddt.cttt"))
        v1 = store().latest_definition("directive_plan")
        ids = [cascade().start_process(store(), cttt, "directive_plan") for _ in range(RUNNING)]
        assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) >= RUNNING

        xml = (
            store()
            .definition(v1.id)
            .xml.replace("Soạn dự thảo kế hoạch | Draft the plan".encode(), "Soạn dự thảo | Draft (v2)".encode())
        )
        done, errors = [], []

        def complete_some(chunk):
            with app.app_context():
                for instance_id in chunk:
                    task = db.session.scalars(
                        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                    ).one()
                    try:
                        cascade().complete_task(
                            store(),
                            cttt,
                            task.id,
                            {
                                "trich_yeu": "KH",
                                "noi_dung": "…",
                                "han_nop": "2022-08-31",
                                "noi_nhan": [{"org_id": org("cp-s-thcs-suoi-khoang").id, "purpose": "thuc_hien"}],
                            },
                        )
                        done.append(instance_id)
                    except Exception as exc:  # noqa: BLE001 - collected and asserted below
                        errors.append(repr(exc))
                db.session.remove()

        workers = [threading.Thread(target=complete_some, args=(ids[i::4][:50],)) for i in range(4)]
        for w in workers:
            w.start()
        deployed = cascade().deploy(store(), Actor.system(), xml, source="test", known_roles=set(ROLES))
        for w in workers:
            w.join(120)
        assert errors == []
        assert [d.version for d in deployed] == [v1.version + 1]

        db.session.expire_all()
        assert {
            i.definition_id for i in db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))
        } == {v1.id}  # running instances keep their version
        for instance_id in done:  # and carried on to the approval step
            assert (
                db.session.scalars(
                    select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                ).one()
                == "approve_plan"
            )
        new_id = cascade().start_process(store(), cttt, "directive_plan")
        new = db.session.get(ProcessInstance, new_id)
        assert new.definition.version == v1.version + 1
        assert db.session.scalars(select(HumanTask.name).where(HumanTask.instance_id == new_id)).one() == (
            "Soạn dự thảo | Draft (v2)"
        )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ProcessDefinition)
                .where(ProcessDefinition.process_key == "directive_plan")
            )
            == v1.version + 1
        )
