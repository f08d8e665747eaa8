"""Advances live workflows: load from rows, run to the next wait state, run service tasks, and collect what
the step produced (ready user tasks, waiting timers, thrown messages) for the services to persist."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_MODULE_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import TaskState

from engine.core import parser as bpmn_parser
from engine.core.calls import Resolve, pin_called, stored_pins, with_called
from engine.core.clock import VN_TZ, clock, install_clock
from engine.core.decisions import DecisionSource, attach, pin_decisions
from engine.core.errors import EngineError
from engine.core.fold import fold_after_step
from engine.core.ports import DefinitionRecord
from engine.core.sandbox import make_script_engine
from engine.core.spec_checks import DEFAULT_CANDIDATE_GROUP
from engine.core.state import Snapshot, StateCodec, StoredState
from engine.core.touched import busy_tasks
from engine.core.walks import Collected, install_fast_walks, ready_and_waiting, verifying

SERIALIZER_VERSION = SERIALIZER_MODULE_VERSION
_ISO_DURATION = re.compile(
    r"^P(?!$)(\d+(?:\.\d+)?Y)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?W)?(\d+(?:\.\d+)?D)?"
    r"(T(?=\d)(\d+(?:\.\d+)?H)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?S)?)?$"
)
END_OF_WORKING_DAY = time(17, 0)
HOLIDAYS_TTL = 600.0  # seconds a process keeps the holiday calendar before asking its source again
_WHOLE_DAYS = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?$")  # P5D, P1W: counted in working days
MAX_ENGINE_ROUNDS = 200


@dataclass
class ReadyUserTask:
    guid: str
    bpmn_id: str
    name: str
    groups: list[str]
    users: list[str]
    due_expression: str | None
    data: dict


@dataclass
class ServiceCall:
    """A service task waiting for the application: `handler(call)` returns data to merge into the task."""

    guid: str
    bpmn_id: str
    service: str
    properties: dict
    data: dict
    name: str | None = None  # the element's name in the diagram


@dataclass
class StepResult:
    ready: list[ReadyUserTask] = field(default_factory=list)
    timers: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # guid -> (bpmn id, due)
    messages: list[tuple[str, dict]] = field(default_factory=list)  # (name, payload)
    completed: bool = False
    current_steps: list[str] = field(default_factory=list)


class LiveInstance:
    """A loaded workflow and the snapshot it was loaded from."""

    def __init__(self, workflow: BpmnWorkflow, snapshot: Snapshot, definition: DefinitionRecord):
        self.workflow = workflow
        self.snapshot = snapshot
        self.definition = definition
        self.called: dict[str, int] = {}  # process called in another file -> its definition (engine.core.calls)
        self.timers = waiting_timers(workflow) if snapshot.rows else {}  # as stored: guid -> (bpmn id, due)
        # id(task) -> (task, spec, data, ReadyUserTask) as collected last: reused while the same (keyed by the object's
        # id, which the entry keeps alive, not by its UUID, whose hash is Python code: 500 of them a step)
        self.ready: dict = {}
        self.collected: Collected | None = None  # the ready and waiting tasks as collected last (engine.core.walks)

    def task(self, guid: str):
        return self.workflow.get_task_from_id(UUID(guid))


class Runtime:
    """Parsed specs cached per definition version, the restricted script engine and the state codec."""

    def __init__(self, script_time_limit: float = 1.0, extra_globals: dict | None = None):
        install_fast_walks()  # also bpmn_parser.install_engine_patches()
        install_clock()
        self.registry = bpmn_parser.make_registry()
        self.codec = StateCodec(self.registry)
        self.script_engine = make_script_engine(extra_globals=extra_globals, time_limit=script_time_limit)
        self._specs: dict[tuple[int, int], tuple[Any, dict]] = {}
        self._lock = threading.Lock()
        # the public holidays (Tết, 30/4, 2/9 …) for due dates; the application plugs in where they are stored
        self.holiday_source: Callable[[], Iterable[date]] | None = None
        self._holidays: frozenset[date] = frozenset()
        self._holidays_until = 0.0

    # -- specs ------------------------------------------------------------------------------------------
    def specs(self, definition: DefinitionRecord):
        key = (definition.id, hash(definition.xml))  # an id reused after a delete must not hit a stale spec
        with self._lock:
            cached = self._specs.get(key)
        if cached is None:
            name = f"{definition.process_key}.bpmn"
            parsed = bpmn_parser.load_definition(definition.xml, filename=name, calls_out=True)
            cached = parsed.specs[definition.process_key]
            _connect_loops(cached)
            with self._lock:
                self._specs[key] = cached
        return cached

    # -- lifecycle --------------------------------------------------------------------------------------
    def new(
        self, definition: DefinitionRecord, resolve: Resolve | None = None, decide: DecisionSource | None = None
    ) -> LiveInstance:
        spec, subs = specs = self.specs(definition)
        subs, called = with_called(self, specs, {}, resolve)
        live = LiveInstance(BpmnWorkflow(spec, subs, script_engine=self.script_engine), Snapshot(), definition)
        live.called = called
        attach(live.workflow, decide)  # business rule tasks read their pinned tables (engine.core.decisions)
        pin_decisions(live.workflow)  # the tables in force when the instance starts stay its tables
        return live

    def load(
        self,
        definition: DefinitionRecord,
        stored: StoredState,
        resolve: Resolve | None = None,
        decide: DecisionSource | None = None,
    ) -> LiveInstance:
        spec, subs = specs = self.specs(definition)
        subs, called = with_called(self, specs, stored_pins(stored.parts), resolve)
        wf, snapshot = self.codec.restore(spec, subs, stored, self.script_engine)
        live = LiveInstance(wf, snapshot, definition)
        live.called = called
        attach(wf, decide)
        return live

    def start_with_message(self, live: LiveInstance, name: str, payload: dict) -> None:
        """Run to the start event, then deliver the start message (the payload lands in variable `name`)."""
        live.workflow.do_engine_steps()
        self.send(live, name, payload)

    def send(self, live: LiveInstance, name: str, payload: dict) -> None:
        """Deliver a message; raises WorkflowException when nothing in the instance waits for it."""
        event = BpmnEvent(MessageEventDefinition(name), {"payload": payload, "result_var": name})
        live.workflow.send_event(event)

    def refresh_timers(self, live: LiveInstance) -> None:
        live.workflow.refresh_timers()

    def advance(self, live: LiveInstance, services: Callable[[ServiceCall], dict]) -> StepResult:
        """Run engine steps until only people, timers or messages can move the instance on."""
        wf = live.workflow
        for _ in range(MAX_ENGINE_ROUNDS):
            wf.do_engine_steps()
            if not any(_engine_work(t) for t in busy_tasks(wf)):  # no walk of every open task to learn that
                if verifying():
                    assert not any(map(_engine_work, wf.get_tasks(state=TaskState.STARTED | TaskState.READY)))
                break
            calls, ready_timers = [], False  # one walk for both questions (same tasks, same order as two)
            for t in wf.get_tasks(state=TaskState.STARTED | TaskState.READY):
                if t._state == TaskState.STARTED:
                    if isinstance(t.task_spec, ServiceTask):
                        calls.append(t)
                elif not t.task_spec.manual:
                    ready_timers = True
            if not calls and not ready_timers:
                break
            for task in calls:
                ext = dict(getattr(task.task_spec, "extensions", {}) or {})
                props = dict(ext.get("properties", {}) or {}, **{k: v for k, v in ext.items() if isinstance(v, str)})
                service = props.get("service") or ext.get("topic")
                if not service:
                    raise EngineError(f"service task {task.task_spec.bpmn_id} names no service")
                spec = task.task_spec
                call = ServiceCall(str(task.id), spec.bpmn_id, service, props, task.data, spec.bpmn_name)
                result = services(call)
                task.data.update(result or {})
                task.complete()
        else:
            raise EngineError("the instance did not reach a wait state")
        fold_after_step(wf)
        pin_called(live)
        return self.collect(live)

    def collect(self, live: LiveInstance) -> StepResult:
        wf = live.workflow
        out = StepResult(completed=wf.is_completed())
        ready, waiting, items = ready_and_waiting(wf, live.collected)
        if items is None:  # walked: reuse what was made of each task whose spec and data are the same objects
            known, live.ready, items = live.ready, {}, []
            for task in ready:
                spec = task.task_spec
                hit = known.get(id(task))
                if hit is not None and hit[0] is task and hit[1] is spec and hit[2] is task.data:
                    item = hit[3]  # the same task, spec and data as at the last step: a multi-instance's open ones
                else:
                    item = _ready_user_task(task, spec)
                live.ready[id(task)] = (task, spec, task.data, item)
                items.append(item)
        live.collected = Collected(wf, ready, items, waiting)
        out.ready, out.current_steps = items, [item.name for item in items]
        out.timers = waiting_timers(wf, waiting)
        for event in wf.get_events():
            if isinstance(event.event_definition, BaseMessageEventDefinition):
                payload = event.payload
                if isinstance(payload, dict) and "result_var" in payload:
                    payload = payload.get("payload")
                out.messages.append((event.event_definition.name, payload if isinstance(payload, dict) else {}))
        return out

    # -- due dates --------------------------------------------------------------------------------------
    def due_at(self, expression: str | None, task_data: dict, created: datetime) -> datetime | None:
        """`camunda:dueDate` as an ISO duration from creation (P3D), an ISO date or datetime, or a restricted
        expression over the task's data yielding one of those."""
        if not expression:
            return None
        value: Any = expression.strip()
        if not _is_iso_literal(value):
            value = self.script_engine.environment.evaluate(value, dict(task_data))
        return due_from_value(value, created, self.holidays)

    def holidays(self) -> frozenset[date]:
        """The holiday calendar, read from `holiday_source` at most every HOLIDAYS_TTL seconds."""
        if self.holiday_source is not None and monotonic() >= self._holidays_until:
            self._holidays = frozenset(self.holiday_source())
            self._holidays_until = monotonic() + HOLIDAYS_TTL
        return self._holidays


def _engine_work(task) -> bool:
    """A started service task (its handler to call) or a task ready for the engine (a timer come due)."""
    state = task._state
    if state == TaskState.STARTED:
        return isinstance(task.task_spec, ServiceTask)
    return state == TaskState.READY and not task.task_spec.manual


def _ready_user_task(task, spec) -> ReadyUserTask:
    ext = getattr(spec, "extensions", {}) or {}
    users = list(ext.get("candidateUsers") or [])
    groups = list(ext.get("candidateGroups") or ([spec.lane] if spec.lane else []))
    if not groups and not users:
        groups = [DEFAULT_CANDIDATE_GROUP]  # deployed with a warning (spec_checks.spec_warnings)
    return ReadyUserTask(
        guid=str(task.id),
        bpmn_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        groups=groups,
        users=users,
        due_expression=ext.get("dueDate"),
        data=task.data,
    )


def waiting_timers(wf: BpmnWorkflow, waiting: list | None = None) -> dict[str, tuple[str, datetime]]:
    """Timers the workflow waits on: guid -> (bpmn id, due); `waiting`: its WAITING tasks if already found."""
    out = {}
    for task in wf.get_tasks(state=TaskState.WAITING) if waiting is None else waiting:
        # timer events store their due time in `event_value`; so does an event-based gateway that waits on a
        # timer (SpiffWorkflow 3.2 keeps it on the gateway task)
        if "event_value" in task.internal_data:
            due = _timer_due(task)
            if due is not None:
                out[str(task.id)] = (task.task_spec.bpmn_id, due)
    return out


def _connect_loops(specs) -> None:
    """Wire each loop/multi-instance task to its child's completion, as SpiffWorkflow's own spec
    deserializer does. A freshly parsed spec is only wired when a loop first creates a child, so a process
    that loads an instance from rows (a restart, another worker) would never see that child complete."""
    spec, subprocess_specs = specs
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in list(process.task_specs.values()):
            if isinstance(task_spec, LoopTask):
                child = process.task_specs.get(task_spec.task_spec)
                if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                    child.completed_event.connect(task_spec.merge_child)


def _is_iso_literal(text: str) -> bool:
    if _ISO_DURATION.match(text):
        return True
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def due_from_value(
    value: Any, created: datetime, holidays: Callable[[], frozenset[date]] | None = None
) -> datetime | None:
    """A due date from a dueDate's value. A duration lands on a working day (weekends and `holidays()` skipped),
    as the reporting deadlines do: whole days or weeks count working days (P2D from Friday 10:00 is Tuesday
    10:00; P1W is five); a duration of 24 hours or more (PT24H) moves past days off to the next working day at
    the same time; shorter ones (PT1H, PT12H: an incident's urgency) stay exact."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN_TZ)
    if isinstance(value, date):
        return datetime.combine(value, END_OF_WORKING_DAY, VN_TZ)
    text = str(value).strip()
    if _ISO_DURATION.match(text):
        whole = _WHOLE_DAYS.match(text)
        if whole and any(whole.groups()):
            days = int(whole.group(1) or 0) * 5 + int(whole.group(2) or 0)
            return _working_days_after(created.astimezone(VN_TZ), days, holidays)
        duration = TimerEventDefinition.parse_iso_duration(text)
        delta = TimerEventDefinition.get_timedelta_from_start(duration, created)
        if delta < timedelta(hours=24):
            return created + delta
        return _working_days_after((created + delta).astimezone(VN_TZ), 0, holidays)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), END_OF_WORKING_DAY, VN_TZ)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def _working_days_after(start: datetime, days: int, holidays: Callable[[], frozenset[date]] | None) -> datetime:
    """`start` moved on `days` working days (0: to the first working day from `start`), same time of day."""
    off = holidays() if holidays is not None else frozenset()
    current = start
    for _ in range(min(days, 3660)):  # ten years of working days at most: a due date, not a loop
        current += timedelta(days=1)
        while current.weekday() >= 5 or current.date() in off:
            current += timedelta(days=1)
    while current.weekday() >= 5 or current.date() in off:
        current += timedelta(days=1)
    return current


def _timer_due(task) -> datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, END_OF_WORKING_DAY, VN_TZ)


def now() -> datetime:
    return clock.now()


__all__ = [
    "Runtime",
    "LiveInstance",
    "StepResult",
    "ReadyUserTask",
    "ServiceCall",
    "SERIALIZER_VERSION",
    "due_from_value",
    "end_of_day",
    "timedelta",
]
