"""Folding every loop shape (engine/core/fold.py): an instance folded after each step behaves exactly as the same
instance never folded (same data, same next tasks, same timers, across a save and restore after every step),
while its stored rows stay bounded and the unfolded one's grow."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

from SpiffWorkflow.task import TaskState
from sqlalchemy import delete, func, select

from engine.core import runtime as runtime_module
from engine.core.clock import VN_TZ, clock
from engine.core.diagram import element_states
from engine.core.ports import DefinitionRecord
from engine.core.runtime import Runtime, waiting_timers
from engine.core.state import Snapshot
from tests.engine.test_state import RowStore

BENCH = Path(__file__).resolve().parents[2] / "bench" / "workflows"
START = datetime(2022, 7, 29, 8, 0, tzinfo=VN_TZ)
ELEMENTS = {"start", "step", "draft", "decide", "late", "pause", "fork", "left", "right", "join", "end"}

_FORM = """<bpmn:extensionElements><camunda:formData>
  <camunda:formField id="so" label="Số" type="long"/><camunda:formField id="ghi_chu" label="Ghi chú" type="string"/>
</camunda:formData></bpmn:extensionElements>"""


def _diagram(key: str, body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d_{key}" targetNamespace="http://cascade.example/test">
  <bpmn:process id="{key}" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>""".encode()


# a loop whose way back waits on an intermediate timer (a pause before the task is offered again)
CATCH_LOOP = _diagram(
    "catch_loop",
    f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="step"/>
    <bpmn:userTask id="step" camunda:candidateGroups="specialist">{_FORM}
      <bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="step" targetRef="decide"/>
    <bpmn:exclusiveGateway id="decide" default="f_end">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f_end</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="pause">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">so &gt;= 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="pause" targetRef="step"/>
    <bpmn:sequenceFlow id="f_end" sourceRef="decide" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>""",
)

# a parallel split and join inside a gateway loop: the join reads the tree, so the fold must stay out of it
PARALLEL_LOOP = _diagram(
    "parallel_loop",
    f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="step"/>
    <bpmn:userTask id="step" camunda:candidateGroups="specialist">{_FORM}
      <bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>f_again</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="step" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="left"/>
    <bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="right"/>
    <bpmn:scriptTask id="left"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing>
      <bpmn:script>trai = so * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="right" camunda:candidateGroups="specialist">{_FORM}
      <bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="fa2" sourceRef="left" targetRef="join"/>
    <bpmn:sequenceFlow id="fb2" sourceRef="right" targetRef="join"/>
    <bpmn:parallelGateway id="join"><bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="decide"/>
    <bpmn:exclusiveGateway id="decide" default="f_end">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_end</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_again" sourceRef="decide" targetRef="step">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">so &gt;= 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_end" sourceRef="decide" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>""",
)


@contextmanager
def frozen():
    clock.freeze(START)
    try:
        yield
    finally:
        clock.reset()


class Side:
    """One instance saved to rows after every step, folded or not; restored in a fresh Runtime after every step
    (the next step in another process), or kept warm (the next step in this one: the save looks at the tasks the
    step touched, the fold is skipped when they cannot have made anything foldable): then what is stored must be
    what a full dump of the live instance stores."""

    def __init__(self, definition: DefinitionRecord, fold: bool, restore: bool = True):
        self.definition, self.fold, self.restore, self.store = definition, fold, restore, RowStore()
        self.runtime = Runtime()
        self.live = self.runtime.new(definition)
        self._advance()

    def _advance(self):
        fold = runtime_module.fold_after_step if self.fold else (lambda wf: 0)
        with mock.patch.object(runtime_module, "fold_after_step", fold):
            self.result = self.runtime.advance(self.live, lambda call: {})
        self.store.apply(self.runtime.codec.changes(self.live.workflow, self.live.snapshot))
        if self.restore:
            self.live = Runtime().load(self.definition, self.store.stored())
        else:
            full = self.runtime.codec.changes(self.live.workflow, Snapshot())
            assert {r.guid: (r.props, r.data_hash) for r in full.rows} == {
                g: (r.props, r.data_hash) for g, r in self.store.rows.items()
            }
            assert full.parts == self.store.parts

    def complete(self, bpmn_id: str, **data):
        ready = self.live.workflow.get_tasks(state=TaskState.READY, manual=True)
        (task,) = [t for t in ready if t.task_spec.bpmn_id == bpmn_id]
        task.set_data(**data)
        task.run()
        self._advance()

    def fire_timers(self):
        self.live.workflow.refresh_timers()
        self._advance()

    def seen(self) -> tuple:
        """What a user and the worker can see: the ready tasks with their data, the timers, the end."""
        wf = self.live.workflow
        ready = sorted(
            (t.task_spec.bpmn_id, sorted(t.data.items())) for t in wf.get_tasks(state=TaskState.READY, manual=True)
        )
        timers = sorted(waiting_timers(wf).values())
        diagram = element_states(self.store.stored(), ELEMENTS)  # what the instance's page colours
        return ready, timers, wf.is_completed(), sorted(wf.data.items()), self.result.messages, diagram

    @property
    def rows(self) -> int:
        return len(self.store.rows) + len(self.store.parts)


def side_by_side(xml: bytes, key: str, rounds: int, round_steps) -> tuple[list[int], list[int]]:
    """Run each round's steps (`round_steps(i)`: actions on a side, or a timedelta the clock moves on) on a
    folded and an unfolded instance restored after every step and a folded one kept warm, step by step; they must
    look the same after every step. Returns the stored row counts of the first two, per round."""
    definition = DefinitionRecord(1, key, 1, "p", xml, [], {})
    folded, plain = Side(definition, fold=True), Side(definition, fold=False)
    warm = Side(definition, fold=True, restore=False)
    sizes_folded, sizes_plain = [], []
    for i in range(rounds):
        for step in round_steps(i):
            if isinstance(step, timedelta):
                clock.advance(step)
                continue
            for side in (folded, plain, warm):
                step(side)
            assert folded.seen() == plain.seen() == warm.seen(), f"round {i}"
        assert warm.rows == folded.rows
        sizes_folded.append(folded.rows)
        sizes_plain.append(plain.rows)
    return sizes_folded, sizes_plain


def _bounded(sizes: list[int]) -> bool:
    return max(sizes[20:]) == max(sizes[10:20])


def _grows(sizes: list[int]) -> bool:
    return sizes[-1] - sizes[20] >= len(sizes) - 20  # at least a row per round


def test_gateway_loop_folded_behaves_as_unfolded_and_stays_bounded():
    xml = (BENCH / "bench_gateway_loop.bpmn").read_bytes()

    def one_round(i):
        return [lambda side: side.complete("step", so=i, ghi_chu=f"Lần {i}")]

    with frozen():
        folded, plain = side_by_side(xml, "bench_gateway_loop", 150, one_round)
    assert _bounded(folded), folded[::20]
    assert _grows(plain), plain[::20]


def test_boundary_timer_loop_folded_behaves_as_unfolded_and_stays_bounded():
    """The draft is sent back by its review's late (interrupting) timer every third round, by the gateway after
    the review otherwise."""
    xml = (BENCH / "bench_event_loop.bpmn").read_bytes()

    def one_round(i):
        steps = [lambda side: side.complete("draft", ghi_chu=f"Dự thảo {i}")]
        if i % 3 == 2:
            return [*steps, timedelta(days=4), lambda side: side.fire_timers()]
        return [*steps, lambda side: side.complete("step", so=i, ghi_chu=f"Lần {i}")]

    with frozen():
        folded, plain = side_by_side(xml, "bench_event_loop", 90, one_round)
    assert _bounded(folded), folded[::20]
    assert _grows(plain), plain[::20]


def test_intermediate_timer_loop_folded_behaves_as_unfolded_and_stays_bounded():
    def one_round(i):
        return [
            lambda side: side.complete("step", so=i, ghi_chu=f"Lần {i}"),
            timedelta(hours=2),
            lambda side: side.fire_timers(),  # the pause ends: the step is offered again
        ]

    with frozen():
        folded, plain = side_by_side(CATCH_LOOP, "catch_loop", 120, one_round)
    assert _bounded(folded), folded[::20]
    assert _grows(plain), plain[::20]


def test_looped_subprocess_folded_behaves_as_unfolded_and_stays_bounded():
    xml = (BENCH / "bench_loop.bpmn").read_bytes()

    def one_round(i):
        return [lambda side: side.complete("step", so=i, ghi_chu=f"Lần {i}")]

    with frozen():
        folded, plain = side_by_side(xml, "bench_loop", 100, one_round)
    assert _bounded(folded), folded[::20]
    assert _grows(plain), plain[::20]


def test_a_parallel_join_in_a_loop_is_left_as_it_is():
    """A join merges the data of its earlier instances and walks their ancestors: the fold keeps out of it (the
    instance is the same as one never folded) and still ends where the diagram says."""

    rounds = 25

    def one_round(i):
        return [
            lambda side: side.complete("step", so=i, ghi_chu=f"Lần {i}"),
            lambda side: side.complete("right", so=i if i < rounds - 1 else -1, ghi_chu=f"Phải {i}"),
        ]

    with frozen():
        side_by_side(PARALLEL_LOOP, "parallel_loop", rounds, one_round)


def test_a_folded_gateway_loop_ends_where_the_diagram_says():
    xml = (BENCH / "bench_gateway_loop.bpmn").read_bytes()
    definition = DefinitionRecord(1, "bench_gateway_loop", 1, "p", xml, [], {})
    with frozen():
        side = Side(definition, fold=True)
        for i in range(30):
            side.complete("step", so=i)
        side.complete("step", so=-1, ghi_chu="Xong")
        assert side.live.workflow.is_completed()
        assert side.live.workflow.data["ghi_chu"] == "Xong"
        assert len(side.live.workflow.tasks) < 15


def test_a_300_round_gateway_loop_keeps_its_stored_rows_bounded(app):
    """Through the real store: complete_task 300 times; the instance's task rows and parts stay as they were."""
    from engine.core.ports import Actor
    from models import db
    from models.workflow import HumanTask, ProcessDefinition, WorkflowPart, WorkflowTaskRow
    from seed import data
    from tests.conftest import reset_dynamic
    from tests.support.walk import user
    from web.deps import actor_for, cascade, store

    def stored(instance_id: int) -> int:
        tasks = select(func.count()).select_from(WorkflowTaskRow).where(WorkflowTaskRow.instance_id == instance_id)
        parts = select(func.count()).select_from(WorkflowPart).where(WorkflowPart.instance_id == instance_id)
        return db.session.scalar(tasks) + db.session.scalar(parts)

    with app.app_context():
        engine = cascade()
        xml = (BENCH / "bench_gateway_loop.bpmn").read_bytes()
        engine.deploy(store(), Actor.system(), xml, source="bench_gateway_loop.bpmn", known_roles=set(data.ROLES))
        try:
            who = actor_for(user("pgddt.cttt"))
            instance_id = engine.start_process(store(), who, "bench_gateway_loop")
            sizes = []
            for i in range(300):
                task_id = db.session.scalars(
                    select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                ).one()
                engine.complete_task(store(), who, task_id, {"so": i, "ghi_chu": f"Lần {i}"})
                db.session.remove()
                sizes.append(stored(instance_id))
            assert max(sizes[10:]) == sizes[10], sizes[::25]
            assert sizes[-1] < 20
        finally:
            db.session.rollback()
            reset_dynamic()
            db.session.execute(delete(ProcessDefinition).where(ProcessDefinition.process_key == "bench_gateway_loop"))
            db.session.commit()
