"""Timer start events of deployed processes: when each is due, and at which organisations.

A process's top-level start event with `timeDate` (one due time) or `timeCycle` `R[n]/<start>/<duration>` (the
start, then each due time one duration after the last one, `n` times or for ever) is started by `flask worker`
at every organisation whose kind is in the start event's `orgKinds` property. A due time before the deployment
of the version in force is not started (nothing is started for the past); when the worker was down over
several due times of a cycle, only the latest is started. The schedule is read from the XML once per
definition version (`Schedules`), and a cycle's position is kept so each round costs a comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import TaskState

from engine.core.clock import VN_TZ
from engine.core.errors import EngineError, Problem
from engine.core.timer_literals import ISO_DURATION, iso_literal_kind
from engine.core.xmlsafe import BPMN_MODEL_NS, parse_xml

B = f"{{{BPMN_MODEL_NS}}}"
_KINDS = {"timeDate": "date", "timeCycle": "cycle", "timeDuration": "duration"}
_NOT_STARTED = TaskState.FUTURE | TaskState.PREDICTED_MASK  # a new workflow's start events (FUTURE when alone)


@dataclass
class TimerStart:
    """One timer start event: its due times and the organisation kinds it starts at."""

    event_id: str
    first: datetime
    org_kinds: frozenset[str]
    duration: str | None = None  # ISO-8601 duration between due times (None: a single timeDate)
    repeats: int = 1  # how many due times in all; -1 for ever
    _last: datetime | None = field(default=None, repr=False)  # the latest due time found so far
    _count: int = field(default=0, repr=False)  # due times up to and including _last

    def next_after(self, due: datetime) -> datetime:
        """The due time after `due`: one duration on, computed from `due` itself (P1Y stays on the same date)."""
        parsed = TimerEventDefinition.parse_iso_duration(self.duration)
        return due + TimerEventDefinition.get_timedelta_from_start(parsed, due)

    def latest_due(self, now: datetime) -> datetime | None:
        """The latest due time at or before `now` (None when the first is still ahead)."""
        if self._last is None:
            if self.first > now:
                return None
            self._last, self._count = self.first, 1
        while self.duration and (self.repeats < 0 or self._count < self.repeats):
            following = self.next_after(self._last)
            if following > now or following <= self._last:
                break
            self._last, self._count = following, self._count + 1
        return self._last


def _as_aware(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=VN_TZ)


def _properties(node: etree._Element) -> dict[str, str]:
    out = {}
    for prop in node.iter("{http://camunda.org/schema/1.0/bpmn}property"):
        if prop.get("name"):
            out[prop.get("name")] = prop.get("value") or ""
    return out


def _timer_start_events(root: etree._Element):
    for process in root.iter(B + "process"):
        for start in process.findall(B + "startEvent"):
            definition = start.find(B + "timerEventDefinition")
            if definition is not None:
                yield process, start, definition


def _parse(start: etree._Element, definition: etree._Element) -> TimerStart | str:
    """The TimerStart, or why the worker cannot start it (an English problem message)."""
    nodes = [n for n in definition if isinstance(n.tag, str) and etree.QName(n).localname in _KINDS]
    if not nodes:
        return "timer start event has no timeDate or timeCycle"
    tag, text = etree.QName(nodes[0]).localname, (nodes[0].text or "").strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()  # written as a Python string: the same literal
    kinds = frozenset(k.strip() for k in _properties(start).get("orgKinds", "").split(",") if k.strip())
    if not kinds:
        return "timer start event needs the property orgKinds (the kinds of organisation it starts at)"
    if tag == "timeDuration" or iso_literal_kind(text) not in ("date", "cycle"):
        return (
            f"timer start event {tag} '{text}' is not an ISO-8601 date or repeating interval with a start date "
            "(the worker starts the process at timeDate or at each time of timeCycle R/<start>/<duration>)"
        )
    if iso_literal_kind(text) != _KINDS[tag]:
        return f"timer start event {tag} '{text}' is an ISO-8601 {iso_literal_kind(text)}, not a {_KINDS[tag]}"
    try:
        if tag == "timeDate":
            return TimerStart(start.get("id"), _as_aware(text), kinds)
        count, anchor, duration = text.split("/") if text.count("/") == 2 else ("", "", "")
        if not anchor or ISO_DURATION.match(anchor) or not ISO_DURATION.match(duration):
            return f"timer start event timeCycle '{text}' needs a start date: R/<start>/<duration>"
        repeats = int(count[1:]) if count[1:] else -1
        timer = TimerStart(start.get("id"), _as_aware(anchor), kinds, duration, repeats)
        if timer.next_after(timer.first) <= timer.first:
            return f"timer start event timeCycle '{text}' has an empty duration"
        return timer
    except ValueError as exc:
        return f"timer start event {tag} '{text}' is not valid: {exc}"


def timer_start_problems(root: etree._Element) -> list[Problem]:
    """Deploy-time check: every timer start event of a process can be scheduled by the worker."""
    out = []
    for _process, start, definition in _timer_start_events(root):
        parsed = _parse(start, definition)
        if isinstance(parsed, str):
            out.append(Problem(start.get("id"), parsed))
    return out


def timer_starts(xml: bytes, process_key: str) -> list[TimerStart]:
    """The schedulable timer start events of `process_key` in a deployed file."""
    out = []
    for process, start, definition in _timer_start_events(parse_xml(xml)):
        if process.get("id") == process_key:
            parsed = _parse(start, definition)
            if isinstance(parsed, TimerStart):
                out.append(parsed)
    return out


def fire_timer_start(workflow, event_id: str) -> None:
    """Start a new workflow at its timer start event `event_id`, now (the worker found it due): the event counts
    as fired, its outgoing flow is predicted (SpiffWorkflow predicts none for a cycle, which it would fire again
    and again in the same instance), and the other start events are cancelled when the start join fires."""
    for task in workflow.get_tasks(state=_NOT_STARTED):
        if isinstance(task.task_spec, StartEvent) and task.task_spec.bpmn_id == event_id:
            task._set_internal_data(event_fired=True)
            if not task.children:
                TaskSpec._predict_hook(task.task_spec, task)
            return
    raise EngineError(f"the process has no timer start event '{event_id}'")


def without_timer_starts(workflow) -> None:
    """Started by hand or by a message, an instance never waits on a timer start event (the worker starts those,
    and a cycle would run again inside the instance at each due time): they are cancelled; a process whose only
    start events are timers starts at the first one at once."""
    starts = [t for t in workflow.get_tasks(state=_NOT_STARTED) if isinstance(t.task_spec, StartEvent)]
    timers = [t for t in starts if isinstance(t.task_spec.event_definition, TimerEventDefinition)]
    if timers and len(timers) == len(starts):
        fire_timer_start(workflow, timers.pop(0).task_spec.bpmn_id)
    for task in timers:
        task.cancel()


class Schedules:
    """Timer starts per definition version (id and content hash), parsed once; the worker's round reads this."""

    def __init__(self) -> None:
        self._by_version: dict[tuple[int, str], list[TimerStart]] = {}
        self.handled: dict[tuple[int, str], datetime] = {}  # (definition, event) -> last due time fully started
        self.failing: dict[tuple[int, str], tuple[datetime, int, datetime]] = {}  # -> (due, attempts, retry at)

    def of(self, definition_id: int, sha256: str, load) -> list[TimerStart]:
        key = (definition_id, sha256)
        found = self._by_version.get(key)
        if found is None:
            definition = load(definition_id)
            found = self._by_version[key] = timer_starts(definition.xml, definition.process_key)
        return found


__all__ = [
    "Schedules",
    "TimerStart",
    "fire_timer_start",
    "timer_start_problems",
    "timer_starts",
    "without_timer_starts",
]
