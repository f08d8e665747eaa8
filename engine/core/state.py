"""A workflow's state as rows: one small part per (sub)workflow and one row per task, data stored by hash.

Saving compares against what was loaded and returns only the rows that changed, so the cost of a step
follows what the step touched, not how long the instance has lived (engine-notes §6.3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.task import TaskState

from engine.core.canonical import CanonicalText, canonical_json, data_hash
from engine.core.errors import StepFailedError
from engine.core.touched import TOUCHED, follow, install_change_tracking

TOP = ""  # part key of the top-level workflow; subprocesses use their parent task's id
FOLDED = ""  # what a folded iteration's id becomes in its loop's `merged` list (only the count matters)


def folded_prefix(merged: list) -> int:
    """How many entries at the head of a loop's `merged` list are folded iterations (FOLDED)."""
    i = len(merged)
    while i and merged[i - 1] != FOLDED:
        i -= 1
    return i if merged[:i].count(FOLDED) == i else 0


def pack_internal(internal: dict) -> dict:
    """A loop's `merged` list stored as a count of folded iterations and the ids after them, so its row
    stays the same size however many rounds the loop has made."""
    merged = internal.get("merged")
    if not isinstance(merged, list) or not merged or merged[0] != FOLDED:
        return internal
    folded = folded_prefix(merged)
    return dict(internal, merged={"folded": folded, "ids": merged[folded:]}) if folded else internal


def unpack_internal(internal: dict) -> dict:
    merged = internal.get("merged")
    if isinstance(merged, dict):
        return dict(internal, merged=[FOLDED] * merged["folded"] + list(merged["ids"]))
    return internal


MAX_TASK_DATA = 1_000_000  # characters of one task's data as stored (JSON): a step may not grow an instance more


@dataclass
class TaskRow:
    guid: str
    part_key: str
    props: dict
    data_hash: str


@dataclass
class StoredState:
    """What the store returns for one instance."""

    parts: dict[str, dict]
    rows: list[TaskRow]
    data: dict[str, dict]  # hash -> task data


@dataclass
class StateChanges:
    """What the store must write after a step."""

    parts: dict[str, dict] = field(default_factory=dict)  # changed or new parts
    deleted_parts: list[str] = field(default_factory=list)
    rows: list[TaskRow] = field(default_factory=list)  # changed or new task rows
    deleted_rows: list[str] = field(default_factory=list)
    data: dict[str, dict] = field(default_factory=dict)  # new data blobs by hash (store skips known ones)
    new_parts: set[str] = field(default_factory=set)  # keys of `parts` that are not stored yet
    new_rows: set[str] = field(default_factory=set)  # guids of `rows` that are not stored yet

    @property
    def empty(self) -> bool:
        return not (self.parts or self.deleted_parts or self.rows or self.deleted_rows)

    @property
    def unchanged(self) -> bool:
        return self.empty and not self.data


@dataclass
class Snapshot:
    """What was loaded (or last saved), to compute the next StateChanges."""

    parts: dict[str, str] = field(default_factory=dict)  # key -> canonical json
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)  # guid -> (props json, data hash)
    finished: dict[str, tuple] = field(default_factory=dict)  # guid -> (state, last_state_change, children, parent)
    quiet: dict[str, tuple] = field(default_factory=dict)  # guid -> (shape, data, internal data) as last stored
    stored_data: set[str] = field(default_factory=set)  # data hashes known to be in the store already
    touched: dict | None = None  # the dict the workflow notes touched tasks in (engine.core.touched), if followed
    specs: tuple = ()  # the specs the workflow ran on when this was taken (a migration changes them)
    children: dict[str, tuple] = field(default_factory=dict)  # guid -> (child ids, as text) of tasks with many
    text: CanonicalText = field(default_factory=CanonicalText)  # canonical JSON, long lists' text remembered

    def copy(self) -> Snapshot:
        return Snapshot(dict(self.parts), dict(self.rows), dict(self.finished), dict(self.quiet), set(self.stored_data))


_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR


_PLAIN = frozenset({str, int, float, bool, type(None)})  # what the serializer registry leaves as it is


def _convert(registry, value):
    """`registry.convert(value)` (fresh containers, callables dropped from dicts, registered types as dicts) with
    JSON-plain lists and dict values copied in C instead of one Python call per item: a multi-instance's
    collection is in the data of every task it touches."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: _convert(registry, v) for k, v in registry.clean(value).items()}
    if kind is list:
        if set(map(type, value)) <= _PLAIN:  # the item types collected in C
            return list(value)
        return [_convert(registry, v) for v in value]
    return registry.convert(value)


def _child_names(children: list, guid: str, snapshot: Snapshot) -> list[str]:
    """The children's ids as text, reusing those of the last dump while the list only grew at its end (a
    multi-instance or a loop adds children one by one: 500 ids made text at every step otherwise)."""
    ids = tuple(children)
    known = snapshot.children.get(guid)
    if known is not None and ids[: len(known[0])] == known[0]:
        names = known[1] + [str(c) for c in ids[len(known[0]) :]] if len(ids) > len(known[0]) else known[1]
    else:
        names = [str(c) for c in ids]
    if len(ids) > 8:
        snapshot.children[guid] = (ids, names)
    return list(names)


def _shape(task, fingerprint: tuple) -> tuple:
    """Everything a task's stored row is made of but its data and internal data."""
    return fingerprint, task.task_spec.name, task.triggered


def _specs(wf: BpmnWorkflow) -> tuple:
    return (wf.spec, wf.subprocess_specs, *(sub.spec for sub in wf.subprocesses.values()))


def _touched_tasks(touched: dict, keys: dict, snapshot: Snapshot, live_count: int) -> list | None:
    """(task, part key) for each touched task still in the tree and its parent, or None when tasks have left
    the tree (all tasks are compared then): every new task is noted, so the stored rows plus the new ones are
    all the tasks unless some were removed."""
    out, seen, new = [], set(), 0
    for noted in touched:
        for task in (noted, noted.parent):
            if task is None or id(task) in seen:
                continue
            seen.add(id(task))
            key = keys.get(id(task.workflow))
            if key is None or task.workflow.tasks.get(task.id) is not task:
                continue
            out.append((task, key))
            if str(task.id) not in snapshot.rows:
                new += 1
    return out if len(snapshot.rows) + new == live_count else None


def _assert_same(tracked: StateChanges, full: StateChanges) -> None:
    """`verify` mode: the changes found from the touched tasks are those a comparison of every task finds."""

    def rows(changes):
        return {r.guid: (r.part_key, r.props, r.data_hash) for r in changes.rows}

    for name, got, want in [
        ("parts", tracked.parts, full.parts),
        ("rows", rows(tracked), rows(full)),
        ("deleted rows", set(tracked.deleted_rows), set(full.deleted_rows)),
        ("deleted parts", set(tracked.deleted_parts), set(full.deleted_parts)),
        ("data", set(tracked.data), set(full.data)),
        ("new rows", tracked.new_rows, full.new_rows),
        ("new parts", tracked.new_parts, full.new_parts),
    ]:
        if got != want:
            raise AssertionError(f"tracked state changes differ from a full comparison in {name}: {got} != {want}")


def _same(live: dict, stored: dict) -> bool:
    """Whether a task's data (or internal data) is still what was stored: the stored form is JSON as converted
    (fresh containers, never shared with the task), so plain equality, a C-speed walk, answers for JSON data;
    anything else (dates, objects) compares unequal to its converted form and the task is dumped again. The top
    level's types are checked too (True == 1 for Python, not for the stored JSON)."""
    return live == stored and all(type(v) is type(stored[k]) for k, v in live.items())


class StateCodec:
    """Converts between a live BpmnWorkflow and rows, with a registry from engine.core.parser."""

    def __init__(self, registry, verify: bool | None = None):
        install_change_tracking()
        self.registry = registry
        self._converter = BpmnWorkflowConverter(BpmnWorkflow, registry)
        # verify: also compare every task at each save and fail if the touched tasks missed a change (tests)
        self.verify = os.environ.get("CASCADE_VERIFY_TRACKED_CHANGES") == "1" if verify is None else verify

    # -- dump -------------------------------------------------------------------------------------------
    def _workflows(self, wf: BpmnWorkflow):
        yield TOP, wf
        for task_id, sub in wf.subprocesses.items():
            yield str(task_id), sub

    def _part_props(self, key: str, workflow, top: BpmnWorkflow) -> dict:
        props = {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "root": str(workflow.task_tree.id),
        }
        if key == TOP:
            props["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        else:
            props["parent_task_id"] = str(workflow.parent_task_id)
            props["spec"] = workflow.spec.name
            props["typename"] = self.registry.typenames[type(workflow)]
        return props

    def changes(self, wf: BpmnWorkflow, snapshot: Snapshot) -> StateChanges:
        """Rows that differ from `snapshot`; updates `snapshot` to the new state. Looks at the tasks touched since
        the snapshot was taken (engine.core.touched) when it can, else at every task; the rows are the same."""
        keys = {id(wf): TOP, **{id(sub): key for key, sub in self._workflows(wf) if key != TOP}}
        touched = getattr(wf, TOUCHED, None)
        tasks = None
        if snapshot.rows and touched is not None and touched is snapshot.touched and snapshot.specs == _specs(wf):
            tasks = _touched_tasks(touched, keys, snapshot, sum(len(w.tasks) for _, w in self._workflows(wf)))
        if self.verify and tasks is not None:
            expected = self._changes(wf, snapshot.copy(), None, keys)
        out = self._changes(wf, snapshot, tasks, keys)
        if self.verify and tasks is not None:
            _assert_same(out, expected)
        if touched is not None and touched is snapshot.touched:
            touched.clear()
        else:
            snapshot.touched = follow(wf, snapshot)
        snapshot.specs = _specs(wf)
        return out

    def _changes(self, wf: BpmnWorkflow, snapshot: Snapshot, tasks: list | None, keys: dict) -> StateChanges:
        """`changes` over `tasks` ((task, part key) pairs: every task that may differ, none removed), or over
        every task of the instance when None."""
        out = StateChanges()
        for key, workflow in self._workflows(wf):
            props = self._part_props(key, workflow, wf)
            text = snapshot.text.text(props, ("part",))
            if snapshot.parts.get(key) != text:
                out.parts[key] = props
                if key not in snapshot.parts:
                    out.new_parts.add(key)
                snapshot.parts[key] = text
        if tasks is not None:
            for task, key in tasks:
                self._visit(task, str(task.id), key, snapshot, out)
            return out
        seen_rows = set()
        for key, workflow in self._workflows(wf):
            for task in workflow.tasks.values():
                guid = str(task.id)
                seen_rows.add(guid)
                self._visit(task, guid, key, snapshot, out)
        for key in [k for k in snapshot.parts if k not in keys.values()]:
            out.deleted_parts.append(key)
            del snapshot.parts[key]
        for guid in [g for g in snapshot.rows if g not in seen_rows]:
            out.deleted_rows.append(guid)
            del snapshot.rows[guid]
            snapshot.finished.pop(guid, None)
            snapshot.quiet.pop(guid, None)
        return out

    def _visit(self, task, guid: str, key: str, snapshot: Snapshot, out: StateChanges) -> None:
        """Adds the task's row to `out` unless it is the one stored (cheap checks first)."""
        fingerprint = (task.state, task.last_state_change, tuple(task._children), task._parent)
        if snapshot.finished.get(guid) == fingerprint:
            return  # finished and untouched since load: nothing can have changed
        shape = _shape(task, fingerprint)
        quiet = snapshot.quiet.get(guid)
        if (
            quiet is not None
            and quiet[0] == shape
            and _same(task.data, quiet[1])
            and _same(task.internal_data, quiet[2])
        ):
            return  # everything its row holds is as stored (waiting tasks, predicted ones)
        data, internal = self._dump_task(task, guid, key, snapshot, out)
        if task.state & _FINISHED:
            snapshot.finished[guid] = fingerprint
            snapshot.quiet.pop(guid, None)
        else:
            snapshot.quiet[guid] = (shape, data, internal)

    def _dump_task(self, task, guid: str, key: str, snapshot: Snapshot, out: StateChanges) -> tuple[dict, dict]:
        """Adds the task's row (and its data blob when new) to `out` if it differs from the stored one; returns
        its data and internal data as converted (fresh containers: what `changes` compares against next)."""
        data = _convert(self.registry, self.registry.clean(task.data))
        data_text = snapshot.text.text(data, ("data",))
        digest = data_hash(data_text)
        internal = _convert(self.registry, task.internal_data)
        props = {
            "parent": str(task._parent) if task._parent is not None else None,
            "children": _child_names(task._children, guid, snapshot),
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": pack_internal(internal),
            "typename": self.registry.typenames[type(task)],
        }
        props_text = snapshot.text.text(props, ("props",))
        stored = snapshot.rows.get(guid)
        if stored != (props_text, digest):
            out.rows.append(TaskRow(guid, key, props, digest))
            if stored is None:
                out.new_rows.add(guid)
            snapshot.rows[guid] = (props_text, digest)
            if digest not in snapshot.stored_data:  # blobs are content-addressed and never change
                if len(data_text) > MAX_TASK_DATA:
                    spec = task.task_spec
                    reason = f"dữ liệu của bước quá lớn ({len(data_text):,} ký tự; tối đa {MAX_TASK_DATA:,})"
                    raise StepFailedError(getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None), reason)
                out.data.setdefault(digest, data)
                snapshot.stored_data.add(digest)
        return data, internal

    # -- restore ----------------------------------------------------------------------------------------
    def restore(self, spec, subprocess_specs, stored: StoredState, script_engine) -> tuple[BpmnWorkflow, Snapshot]:
        """Rebuild the live workflow from rows, using already-parsed specs (never re-parsing them)."""
        by_part: dict[str, dict[str, dict]] = {}
        for row in stored.rows:
            task = dict(row.props, id=row.guid, data=stored.data[row.data_hash])
            if "merged" in task["internal_data"]:
                task["internal_data"] = unpack_internal(task["internal_data"])
            by_part.setdefault(row.part_key, {})[row.guid] = task
        subprocesses = {}
        for key, props in stored.parts.items():
            if key != TOP:
                subprocesses[key] = dict(props, tasks=by_part.get(key, {}))
        top = dict(stored.parts[TOP], tasks=by_part.get(TOP, {}), subprocesses=subprocesses)

        converter = self._converter
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = converter.mapping_from_dict(top["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(top["root"]))
        converter.set_default_attributes(workflow, top)
        converter.subprocesses_from_dict(top["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(top.get("bpmn_events", []))

        snapshot = Snapshot()
        snapshot.parts = {k: canonical_json(v) for k, v in stored.parts.items()}
        snapshot.rows = {r.guid: (canonical_json(r.props), r.data_hash) for r in stored.rows}
        snapshot.stored_data = set(stored.data)
        stored_rows = {r.guid: r for r in stored.rows}
        for _key, sub in self._workflows(workflow):
            for task in sub.tasks.values():
                guid = str(task.id)
                fingerprint = (task.state, task.last_state_change, tuple(task._children), task._parent)
                if task.state & _FINISHED:
                    snapshot.finished[guid] = fingerprint
                    continue
                row = stored_rows.get(guid)
                if row is not None:  # the stored JSON itself: the task got its own restored copies
                    internal = unpack_internal(row.props["internal_data"])
                    snapshot.quiet[guid] = (_shape(task, fingerprint), stored.data[row.data_hash], internal)
        snapshot.touched, snapshot.specs = follow(workflow, snapshot), _specs(workflow)
        return workflow, snapshot
