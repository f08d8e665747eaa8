"""A faster walk of the task tree for SpiffWorkflow 3.2, same order and same answers (issue 18).

SpiffWorkflow finds tasks by walking the whole tree (`get_tasks`: every engine step, every `do_engine_steps`
round, every subprocess). Its iterator keeps the pending tasks in a list it pops from the front and prepends
children to, and after every leaf climbs the parent chain (a dict lookup per level) to keep a depth count. With a
parallel multi-instance of 500 open tasks that is 500 climbs and 500 front-pops per walk, several walks per step:
most of a step's engine time. Cascade never limits the depth (`parser.install_engine_patches` makes it 10**9),
so the count is never used; the walk below is the same pre-order (a subprocess's tree before the task's
children, children in order, the same pruning by state and `end_at_spec`, the same rule for finished
subprocesses) on a stack popped from the end, without the depth bookkeeping, and with the common filter (state
and `manual` only) checked inline. Any other use (a real `max_depth`, breadth-first) keeps SpiffWorkflow's own
iterator. `update_waiting_tasks`, which SpiffWorkflow runs after every completed task with a plain iterator of its
own, gets the same treatment. `tests/engine/test_multi_instance_scale.py` compares both walks task for task.
"""

from __future__ import annotations

import os
from typing import Any

from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter, BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.core.touched import SINCE_COLLECT, busy_tasks, install_change_tracking

UNLIMITED = 10**9  # parser.install_engine_patches' default depth: no limit in practice
_FINISHED = TaskState.FINISHED_MASK
_MANY = 16  # children from which a task keeps its list of child tasks (a multi-instance's N)


def verifying() -> bool:
    """CASCADE_VERIFY_TRACKED_CHANGES=1 (tests): every walk skipped is also made, and must have found nothing."""
    return os.environ.get("CASCADE_VERIFY_TRACKED_CHANGES") == "1"


def _children(self: Any) -> list:
    """`Task.children` (the child tasks, looked up by id in the workflow), kept on a task with many children while
    its child ids stay the same: a multi-instance task's 500 children were 500 lookups by UUID (whose hash is
    Python code) at every walk that passed it. A fresh list each time, as SpiffWorkflow's was."""
    ids = self._children
    if len(ids) < _MANY:
        return [self.workflow.tasks.get(child) for child in ids]
    key, tasks = tuple(ids), self.workflow.tasks
    kept = self.__dict__.get("_cascade_children")
    if kept is None or kept[1] is not tasks or kept[0] != key:
        kept = (key, tasks, [tasks.get(child) for child in ids])
        self._cascade_children = kept
    return list(kept[2])


def _children_setter(self: Any, tasks: list) -> None:
    self._children = [child.id for child in tasks]


class FastTaskIterator(BpmnTaskIterator):
    """BpmnTaskIterator's depth-first walk without the depth count (only valid with no depth limit)."""

    def __init__(self, task, **kwargs: Any):
        super().__init__(task, **kwargs)
        self._stack = [task]
        self._subprocesses = task.workflow.top_workflow.subprocesses  # (the dict, filled as they start)
        f = self.task_filter
        # the filter reduced to a state mask and `manual` when that is all it asks (get_tasks(state=…, manual=…))
        self._simple = (
            type(f) is BpmnTaskFilter
            and f.catches_event is None
            and f.lane is None
            and not f.updated_ts
            and f.spec_name is None
            and f.spec_class is None
        )

    def __next__(self):
        if not self._simple:
            task = self._next()
            while not self.task_filter.matches(task):
                task = self._next()
            return task
        state, manual = self.task_filter.state, self.task_filter.manual
        while True:
            task = self._next()
            if task._state & state and (manual is None or task.task_spec.manual == manual):
                return task

    def _next(self):
        stack = self._stack
        if not stack:
            raise StopIteration()
        task = stack.pop()
        subprocesses = self._subprocesses
        subprocess = subprocesses.get(task.id) if subprocesses else None  # no UUID hashed when there are none
        if (
            (task._children or subprocess is not None)
            and (task._state >= self.min_state or subprocess is not None)
            and task.task_spec.name != self.end_at_spec
        ):
            if task._children:
                stack.extend(reversed(task.children))
            if not (
                subprocess is None
                or self.skip_subprocesses
                or (task._state >= _FINISHED and self.task_filter.state <= _FINISHED)
            ):
                stack.append(subprocess.task_tree)
        return task


def update_waiting_tasks(self: Any) -> None:
    """SpiffWorkflow's `Workflow.update_waiting_tasks` (run after every task completes): the same pre-order walk
    of this workflow's own tree (no subprocesses), each WAITING task updated as it is reached, children taken
    when their parent is reached; without the depth count, and so without its limit of 1000 levels, which
    `install_engine_patches` already lifts for every other walk. Nothing to walk for when no task of the
    instance waits (engine.core.touched.busy_tasks): a multi-instance's step completes a task among 500 ready
    ones, and nothing waits."""
    if not any(t._state & TaskState.WAITING for t in busy_tasks(self)):
        if verifying():
            assert not self.get_tasks(state=TaskState.WAITING, skip_subprocesses=True), "a waiting task missed"
        return
    stack = [self.task_tree]
    while stack:
        task = stack.pop()
        if task._children and task._state >= TaskState.FUTURE:
            stack.extend(reversed(task.children))
        if task._state & TaskState.WAITING:
            task.task_spec._update(task)


class Collected:
    """A workflow's manual READY tasks (with the item made of each) and its WAITING tasks, in walk order, as last
    collected (`ready_and_waiting`)."""

    def __init__(self, wf: Any, ready: list, items: list, waiting: list):
        self.wf, self.ready, self.items, self.waiting = wf, ready, items, waiting
        self.ready_set, self.waiting_set = set(ready), set(waiting)  # (tasks hash by identity)
        self.shape = (wf.spec, wf.subprocess_specs, tuple(wf.subprocesses))


def ready_and_waiting(wf: Any, last: Collected | None) -> tuple[list, list, list | None]:
    """`wf.get_tasks(state=READY | WAITING)` split into the manual READY tasks and the WAITING ones, and the items
    `last` made of those READY tasks when it still holds them all (else None). Taken from `last` without a walk
    when every task touched since (engine.core.touched) is a leaf without a sub-process that only left the lists
    (a multi-instance's step: one of its N ready tasks completed), as the others' order is then the one walked
    last time. With CASCADE_VERIFY_TRACKED_CHANGES=1 the walk is made anyway and must agree."""
    touched = getattr(wf, SINCE_COLLECT, None)
    setattr(wf, SINCE_COLLECT, {})
    gone = _left_only(wf, last, touched) if last is not None and touched is not None else None
    if gone is not None:
        ready, items, waiting = list(last.ready), list(last.items), list(last.waiting)
        for task in gone:  # a search in C each (identity compares first): no Python loop over the N others
            if task in last.ready_set:
                i = ready.index(task)
                del ready[i], items[i]
            else:
                waiting.remove(task)
        if not verifying():
            return ready, waiting, items
    walked_ready, walked_waiting = [], []  # one walk for both (same tasks, same order as two)
    for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task._state == TaskState.WAITING:
            walked_waiting.append(task)
        elif task.task_spec.manual:
            walked_ready.append(task)
    if gone is not None:
        assert (walked_ready, walked_waiting) == (ready, waiting), "the ready or waiting tasks collected differ"
        assert all(item.data is task.data for task, item in zip(ready, items, strict=True)), "a task's data replaced"
    return walked_ready, walked_waiting, None


def _left_only(wf: Any, last: Collected, touched: dict) -> set | None:
    """The touched tasks that left `last`'s lists, or None when a touched task may have changed more."""
    if last.wf is not wf or last.shape != (wf.spec, wf.subprocess_specs, tuple(wf.subprocesses)):
        return None
    gone = set()
    for task in touched:
        if task._children or wf.subprocesses.get(task.id) is not None:
            return None  # its change may hide or show other tasks, or reorder them
        state = task._state if task.workflow.tasks.get(task.id) is task else 0
        if state == TaskState.READY and task.task_spec.manual:
            return None  # new in the list (its place unknown), or its data may have been replaced
        waiting = state == TaskState.WAITING
        if waiting and task not in last.waiting_set:
            return None
        if task in last.ready_set or (task in last.waiting_set and not waiting):
            gone.add(task)
    return gone


def _do_engine_steps(self: Any, will_complete_task: Any = None, did_complete_task: Any = None) -> bool:
    """SpiffWorkflow 3.2's `BpmnWorkflow._do_engine_steps`, run once per `do_engine_steps` round (at least twice
    a step): each active sub-process and then the workflow run their READY tasks that are not manual, found by
    walking the tree (every task of a multi-instance). A round in which no task of the instance is ready for the
    engine (engine.core.touched.busy_tasks) runs nothing, and now walks nothing either."""

    def update_workflow(wf: Any) -> int:
        if not any(t._state & TaskState.READY and not t.task_spec.manual for t in busy_tasks(wf)):
            if verifying():
                assert all(t.task_spec.manual for t in wf.get_tasks(state=TaskState.READY)), "a ready task missed"
            return 0
        count = 0
        for task in wf.get_tasks(state=TaskState.READY):
            if not task.task_spec.manual:
                if will_complete_task is not None:
                    will_complete_task(task)
                task.run()
                count += 1
                if did_complete_task is not None:
                    did_complete_task(task)
        return count

    active_subprocesses = self.get_active_subprocesses()
    for subprocess in sorted(active_subprocesses, key=lambda v: v.depth, reverse=True):
        count = None
        while count is None or count > 0:
            count = update_workflow(subprocess)
        if subprocess.parent_task_id is not None:
            task = self.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)

    count = update_workflow(self)
    return count > 0 or len(self.get_active_subprocesses()) > len(active_subprocesses)


def install_fast_walks() -> None:
    """Route `get_tasks`/`get_next_task` of every BPMN workflow (subprocesses and restored ones too) through
    FastTaskIterator whenever the walk is depth-first with no depth limit. Idempotent; installs the
    depth patch first (engine.core.parser.install_engine_patches), whose default it keeps."""
    from engine.core.parser import install_engine_patches

    install_engine_patches()
    install_change_tracking()  # also the index of busy tasks the walks below consult
    if getattr(BpmnBaseWorkflow.get_tasks_iterator, "_cascade_fast", False):
        return

    def get_tasks_iterator(self: Any, first_task: Any = None, **kwargs: Any) -> BpmnTaskIterator:
        kwargs.setdefault("max_depth", UNLIMITED)
        if kwargs["max_depth"] >= UNLIMITED and kwargs.get("depth_first", True):
            return FastTaskIterator(first_task or self.task_tree, **kwargs)
        return BpmnTaskIterator(first_task or self.task_tree, **kwargs)

    get_tasks_iterator._cascade_patch = True  # type: ignore[attr-defined]  # the depth default is kept
    get_tasks_iterator._cascade_fast = True  # type: ignore[attr-defined]
    BpmnBaseWorkflow.get_tasks_iterator = get_tasks_iterator
    BpmnBaseWorkflow.update_waiting_tasks = update_waiting_tasks
    BpmnWorkflow._do_engine_steps = _do_engine_steps
    Task.children = property(_children, _children_setter, doc=Task.children.__doc__)


__all__ = [
    "Collected",
    "FastTaskIterator",
    "install_fast_walks",
    "ready_and_waiting",
    "update_waiting_tasks",
    "verifying",
]
