"""On SQLite and PostgreSQL: the worker starts a deployed process at its timer start event, at every organisation
of the event's orgKinds, once per due time (also with a second worker, by the business key), never for a due time
before the deployment; a call activity to another deployed process runs the version deployed latest when the call
starts, pinned for that instance; deploy refuses a call to a process that is not deployed, naming the element."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select

from engine import create_engine
from engine.core.calls import PINS
from engine.core.clock import VN_TZ, clock
from engine.core.errors import DefinitionError
from engine.core.ports import Actor
from engine.core.timer_starts import Schedules
from models import db
from models.ops import OperationFailure
from models.org import Organisation, User
from models.roles import ROLES
from models.workflow import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance
from tests.conftest import reset_dynamic
from tests.engine.test_timer_starts_and_calls import child_xml, parent_xml, timer_xml
from web.deps import cascade, store

KEYS = ("yearly", "child_review", "parent")


@pytest.fixture
def engine_app(app):
    with app.app_context():
        cascade().timer_schedules = Schedules()
    yield app
    with app.app_context():
        reset_dynamic()
        db.session.execute(delete(ProcessDefinition).where(ProcessDefinition.process_key.in_(KEYS)))
        db.session.commit()
        cascade().timer_schedules = Schedules()


def deploy(xml: bytes, engine=None):
    return (engine or cascade()).deploy(store(), Actor.system(), xml, source="tests", known_roles=set(ROLES))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def started(process_key: str = "yearly") -> list[ProcessInstance]:
    db.session.expire_all()
    stmt = select(ProcessInstance).where(ProcessInstance.process_key == process_key).order_by(ProcessInstance.id)
    return list(db.session.scalars(stmt))


def offices() -> set[int]:
    return set(db.session.scalars(select(Organisation.id).where(Organisation.kind == "office")))


def test_the_worker_starts_a_yearly_process_at_every_office_once_per_due_time(engine_app):
    with engine_app.app_context():
        deploy(timer_xml())
        clock.freeze(at(2022, 11, 15, 23, 59))
        assert cascade().fire_due_timers(store()) == 0
        clock.freeze(at(2022, 11, 16, 0, 0, 1))
        assert cascade().fire_due_timers(store()) == len(offices()) == 2
        instances = started()
        assert {i.org_id for i in instances} == offices()
        assert {i.subject for i in instances} == {"timer:every_year:2022-11-16T00:00:00+07:00"}
        tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id.in_([i.id for i in instances])))
        assert sorted(t.bpmn_id for t in tasks) == ["review", "review"]
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "instance.timer_start")).all()
        assert len(audit) == 2

        assert cascade().fire_due_timers(store()) == 0  # this worker: done for this due time
        other_worker = create_engine()  # another process: nothing in memory, the business key holds
        assert other_worker.start_due_processes(store()) == 0
        assert len(started()) == 2

        clock.freeze(at(2023, 11, 16, 0, 0, 1))  # next year's due time, one year after the last
        assert cascade().fire_due_timers(store()) == 2
        assert {i.subject for i in started()[2:]} == {"timer:every_year:2023-11-16T00:00:00+07:00"}


def test_two_workers_racing_for_one_due_time_start_one_instance_per_office(engine_app):
    with engine_app.app_context():
        deploy(timer_xml())
        clock.freeze(at(2022, 11, 16, 0, 0, 1))
    counts, errors = [], []

    def worker():
        try:
            with engine_app.app_context():
                counts.append(create_engine().start_due_processes(store()))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sum(counts) == 2, (counts, errors)
    with engine_app.app_context():
        assert len(started()) == 2


def test_a_process_deployed_after_its_due_time_does_not_start_for_the_past(engine_app):
    with engine_app.app_context():
        clock.freeze(at(2022, 9, 1, 8))
        deploy(timer_xml("<bpmn:timeDate>2022-08-31T17:00:00+07:00</bpmn:timeDate>"))
        assert cascade().fire_due_timers(store()) == 0
        clock.freeze(at(2022, 12, 1, 8))
        assert cascade().fire_due_timers(store()) == 0
        assert started() == []


def test_a_call_activity_runs_the_called_process_deployed_latest_and_keeps_that_version(engine_app):
    with engine_app.app_context():
        with pytest.raises(DefinitionError) as refused:
            deploy(parent_xml("child_review"))  # not deployed yet
        assert [(p.element_id, p.name) for p in refused.value.problems] == [("ask_child", "Hỏi con")]
        message = refused.value.problems[0].message
        assert message == "calls process 'child_review', which is not in this file nor deployed"

        (child_v1,) = deploy(child_xml(factor=2))
        (parent,) = deploy(parent_xml())
        office = db.session.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        clerk_user = db.session.scalars(select(User).where(User.org_id == office.id)).first()
        clerk = Actor(clerk_user.id, office.id, frozenset({"clerk", "leader"}), frozenset({office.id}))

        def start() -> int:
            instance_id = cascade().start_instance(
                store(), parent, office.id, None, {}, started_by=None, title="Gọi", directive_id=None,
                sender_org_id=None, parent_instance_id=None,
            )  # fmt: skip
            store().commit()
            return instance_id

        def open_task(instance_id: int, bpmn_id: str) -> HumanTask:
            db.session.expire_all()
            stmt = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
            (task,) = db.session.scalars(stmt)
            assert task.bpmn_id == bpmn_id
            return task

        def data_at_confirm(instance_id: int) -> dict:
            task = open_task(instance_id, "confirm")
            live = cascade().load_instance(store(), store().instance(instance_id))
            return dict(live.task(task.guid).data, pins=live.workflow.data[PINS])

        first = start()
        check = open_task(first, "child_check")  # the called process's task, in the calling instance's inbox
        (child_v2,) = deploy(child_xml(factor=10))  # deployed while the call runs
        cascade().complete_task(store(), clerk, check.id, {})
        data = data_at_confirm(first)
        assert (data["amount"], data["doubled"], data["result"]) == (5, 10, 11)  # in and out; v1's factor 2
        assert data["pins"] == {"child_review": child_v1.id}

        second = start()  # a new call takes the version deployed latest
        cascade().complete_task(store(), clerk, open_task(second, "child_check").id, {})
        data = data_at_confirm(second)
        assert data["doubled"] == 50 and data["pins"] == {"child_review": child_v2.id}


def test_an_instance_waiting_before_its_call_takes_the_version_deployed_while_it_waited(engine_app):
    with engine_app.app_context():
        deploy(child_xml(factor=2))
        (parent,) = deploy(parent_xml(prepare=True))
        office = db.session.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        user = db.session.scalars(select(User).where(User.org_id == office.id)).first()
        actor = Actor(user.id, office.id, frozenset({"clerk", "leader"}), frozenset({office.id}))
        instance_id = cascade().start_instance(
            store(), parent, office.id, None, {}, started_by=None, title="Gọi", directive_id=None,
            sender_org_id=None, parent_instance_id=None,
        )  # fmt: skip
        store().commit()  # the instance stays warm in this process, waiting before its call
        (child_v2,) = deploy(child_xml(factor=3))

        def open_task(bpmn_id: str) -> HumanTask:
            db.session.expire_all()
            stmt = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
            (task,) = db.session.scalars(stmt)
            assert task.bpmn_id == bpmn_id
            return task

        cascade().complete_task(store(), actor, open_task("init").id, {"amount": "7"})
        cascade().complete_task(store(), actor, open_task("child_check").id, {})
        live = cascade().load_instance(store(), store().instance(instance_id))
        data = live.task(open_task("confirm").guid).data
        assert (data["doubled"], data["result"]) == (21, 22)  # v2's factor 3: the latest at call time
        assert live.workflow.data[PINS] == {"child_review": child_v2.id}


def test_a_timer_start_that_fails_is_retried_with_back_off_then_shown_as_an_operations_failure(engine_app):
    failing = (
        timer_xml()
        .decode()
        .replace(
            '<bpmn:userTask id="review" name="Tổng kết" camunda:candidateGroups="leader"/>',
            '<bpmn:scriptTask id="review" name="Tổng kết"><bpmn:script>x = 1 // 0</bpmn:script></bpmn:scriptTask>',
        )
    )
    with engine_app.app_context():
        deploy(failing.encode())
        moment = at(2022, 11, 16, 0, 0, 1)
        for wait_minutes in (0, 0, 1, 2, 4):  # the second round is inside the back-off: no attempt
            moment += timedelta(minutes=wait_minutes, seconds=1)
            clock.freeze(moment)
            assert cascade().fire_due_timers(store()) == 0  # the worker goes on with its other work
        assert started() == []
        (failure,) = db.session.scalars(select(OperationFailure).where(OperationFailure.process_key == "yearly"))
        found = (failure.kind, failure.element_id, failure.attempts, failure.status)
        assert found == ("timer", "every_year", 4, "open")
        assert "ZeroDivisionError" in failure.error and "review" in failure.error
