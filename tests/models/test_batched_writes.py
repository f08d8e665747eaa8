"""New rows written with fewer statements (issue 18): all of a step's new tasks in one write whatever their number
(a multi-instance over N schools), and on PostgreSQL a new instance's id taken ahead (models.deferred.next_ids) so
its row waits like the step's other writes and travels with its state and first tasks in one statement. Ids stay
unique and grow in the order one process takes them; a task opened and closed in one transaction ends closed; a
broken waiting insert fails the transaction and stores nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from engine.core.clock import clock
from engine.core.ports import Actor
from models import db, deferred
from models.store import SqlStore
from models.workflow import HumanTask, HumanTaskCandidate, ProcessInstance
from tests.support.walk import open_task, user
from web.deps import actor_for, cascade

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://cascade.example/test">'
)


def fan_xml(process_id: str) -> bytes:
    """A parallel multi-instance user task over the collection `truong` given at the start."""
    return (
        f'{HEAD}<bpmn:process id="{process_id}" name="Đa phiên | Fan {process_id}" isExecutable="true">'
        '<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="orgKinds" value="office"/></camunda:properties></bpmn:extensionElements>'
        "</bpmn:startEvent>"
        '<bpmn:userTask id="review" name="Xem xét | Review" camunda:candidateGroups="specialist">'
        '<bpmn:extensionElements><camunda:formData><camunda:formField id="kq" label="Kết quả | Result" type="string"/>'
        "</camunda:formData></bpmn:extensionElements>"
        '<bpmn:multiInstanceLoopCharacteristics isSequential="false">'
        "<bpmn:loopDataInputRef>truong</bpmn:loopDataInputRef>"
        "<bpmn:loopDataOutputRef>ket_qua</bpmn:loopDataOutputRef>"
        '<bpmn:inputDataItem id="ten_truong"/><bpmn:outputDataItem id="kq"/>'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        '<bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/>'
        "</bpmn:process></bpmn:definitions>"
    ).encode()


class Statements:
    """Statements sent on the app's engine, those sent ahead of another one included."""

    def __init__(self):
        self.sent: list[str] = []

    def _on(self, conn, cursor, statement, *args):
        self.sent.append(" ".join(statement.split())[:80])

    def __enter__(self):
        self.ahead = deferred.sent_ahead
        event.listen(db.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._on)
        self.sent += ["(sent ahead)"] * (deferred.sent_ahead - self.ahead)


def _start_fan(n: int) -> tuple[int, list[str]]:
    cttt = actor_for(user("pgddt.cttt"))
    with Statements() as seen:
        instance_id = cascade().start_process(SqlStore(), cttt, "fan_out_test", {"truong": list(range(n))})
    db.session.remove()
    return instance_id, seen.sent


def test_a_step_opening_many_tasks_writes_them_in_statements_independent_of_their_number(app):
    with app.app_context():
        cascade().deploy(
            SqlStore(),
            Actor.system(),
            fan_xml("fan_out_test"),
            source="tests/fan_out_test.bpmn",
            known_roles={"specialist"},
        )
        _start_fan(2)  # caches warm
        _, few = _start_fan(3)
        instance_id, many = _start_fan(60)
        ids_taken = lambda sent: [s for s in sent if "nextval" not in s]  # noqa: E731 - a block of ids now and then
        assert len(ids_taken(many)) == len(ids_taken(few)), (few, many)
        tasks = db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
        ).all()
        assert len(tasks) == 60 and {t.status for t in tasks} == {"open"}
        # the order the step opened them in (the collection's order) is the order of their ids
        data = cascade().load_instance(SqlStore(), SqlStore().instance(instance_id))
        items = [data.task(t.guid).data["ten_truong"] for t in tasks]
        assert items == list(range(60))
        candidates = db.session.execute(
            select(HumanTaskCandidate.human_task_id, HumanTaskCandidate.role, HumanTaskCandidate.is_open).where(
                HumanTaskCandidate.human_task_id.in_([t.id for t in tasks])
            )
        ).all()
        assert sorted(c.human_task_id for c in candidates) == [t.id for t in tasks]
        assert {(c.role, c.is_open) for c in candidates} == {("specialist", True)}


def test_a_start_travels_in_one_statement_and_its_ids_grow(pg_app):
    """PostgreSQL: the new instance (its id taken ahead) and its state wait and go in the first task's insert, one
    statement; ids grow start after start, across pooled connections of this process."""
    with pg_app.app_context():
        cttt = actor_for(user("pgddt.cttt"))
        deferred._ahead.clear()  # as in a new process: no ids taken yet
        cascade().start_process(SqlStore(), cttt, "directive_plan")  # caches warm, ids taken
        db.session.remove()
        ids = []
        for _ in range(5):
            with Statements() as seen:
                ids.append(cascade().start_process(SqlStore(), cttt, "directive_plan"))
            db.session.remove()
            writes = [s for s in seen.sent if "INSERT INTO process_instance" in s or s == "(sent ahead)"]
            assert len(writes) <= 1, seen.sent
            assert not any(s.startswith("INSERT INTO human_task") for s in seen.sent), seen.sent
        assert ids == sorted(ids) and len(set(ids)) == 5
        tasks = [open_task("draft_plan", instance_id=i).id for i in ids]
        assert tasks == sorted(tasks)
        instances = db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))).all()
        draft = open_task("draft_plan", instance_id=ids[0]).name
        assert {(i.status, bool(i.state_stamp), tuple(i.summary["current"])) for i in instances} == {
            ("running", True, (draft,))
        }


def test_a_task_opened_and_closed_in_one_transaction_ends_closed(pg_app):
    with pg_app.app_context():
        cttt = actor_for(user("pgddt.cttt"))
        cascade().start_process(SqlStore(), cttt, "directive_plan")
        db.session.remove()
        s = SqlStore()
        definition = s.latest_definition("directive_plan")
        instance_id = cascade().start_instance(
            s,
            definition,
            cttt.org_id,
            (definition.start_messages or [None])[0],
            {"directive_id": None, "sender_org_id": None},
            started_by=cttt.user_id,
            title="t",
            directive_id=None,
            sender_org_id=None,
            parent_instance_id=None,
        )
        (task_id,) = s.open_task_guids(instance_id).values()
        s.close_human_task(task_id, "cancelled", None, clock.now())
        s.commit()
        task = db.session.get(HumanTask, task_id)
        assert task.status == "cancelled"
        assert db.session.scalars(
            select(HumanTaskCandidate.is_open).where(HumanTaskCandidate.human_task_id == task_id)
        ).all() == [False]


def test_a_duplicate_business_key_in_a_waiting_insert_fails_the_transaction(pg_app):
    with pg_app.app_context():
        cttt = actor_for(user("pgddt.cttt"))
        s = SqlStore()
        definition = s.latest_definition("directive_plan")

        def start() -> int:
            return cascade().start_instance(
                s,
                definition,
                cttt.org_id,
                (definition.start_messages or [None])[0],
                {"directive_id": None, "sender_org_id": None},
                started_by=None,
                title="t",
                directive_id=None,
                sender_org_id=None,
                parent_instance_id=None,
                subject="test:duplicate",
            )

        first = start()
        s.commit()
        with pytest.raises(IntegrityError):  # at the statement the waiting insert travels with, or the commit
            start()
            s.commit()
        db.session.rollback()
        keyed = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.subject == "test:duplicate")).all()
        assert keyed == [first]
        assert open_task("draft_plan", instance_id=first)
        assert db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.instance_id > first)) == 0
