"""Which tasks a step touched, so saving the state looks at those instead of every task (issue 18).

SpiffWorkflow changes a task only through a few methods of the task or of its spec: a state set (also when set to
the state it has: a caught event), data or internal data set, a spec's update (timers, joins, loops write the
task's internal data there), children synced or dropped, a new task. Each is wrapped here to note the task in the
dict its top workflow carries under TOUCHED while an instance's state is followed (`engine.core.state`). What else
moves with a touched task is found from it: its parent (a multi-instance merges its children's data into it, a
new child extends its children). Tasks removed from the tree and a workflow given another spec (a migration) are
not noted: `StateCodec.changes` sees those by count and by spec and compares every task then, as it always did.
"""

from __future__ import annotations

import weakref
from typing import Any

from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

TOUCHED = "_cascade_touched"  # attribute of a top BpmnWorkflow: dict of the tasks touched since the last save
_FOLLOWER = "_cascade_follower"  # attribute of a top BpmnWorkflow: weak reference to what follows its changes
SINCE_FOLD = "_cascade_touched_since_fold"  # attribute of a top BpmnWorkflow: tasks touched since the last fold
SINCE_COLLECT = "_cascade_touched_since_collect"  # the same since the ready and waiting tasks were last collected
BUSY = "_cascade_busy"  # attribute of a top BpmnWorkflow: (its specs, dict of every task that may be busy)
_WAITING, _READY, _STARTED = TaskState.WAITING, TaskState.READY, TaskState.STARTED


def note(task: Any) -> None:
    """Note `task` as touched in its top workflow, if that workflow's changes are followed."""
    top = getattr(task.workflow, "top_workflow", None)
    touched = getattr(top, TOUCHED, None)
    if touched is not None:
        touched[task] = None
    touched = getattr(top, SINCE_FOLD, None)
    if touched is not None:
        touched[task] = None
    touched = getattr(top, SINCE_COLLECT, None)
    if touched is not None:
        touched[task] = None


def is_busy(task: Any) -> bool:
    """Waiting, started, or ready for the engine (not a person): what the engine's walks look for."""
    state = task._state
    return bool(state & (_WAITING | _STARTED) or (state & _READY and not task.task_spec.manual))


def busy_tasks(workflow: Any) -> list:
    """The busy tasks of `workflow`'s instance (its top workflow and every sub-process), in no particular order.

    Kept up to date by the wrapped state setter and constructor (engine.core.touched), so a step asks it instead
    of walking 500 open tasks to learn that none is waiting or ready for the engine; built by one pass over the
    tasks the first time a workflow object is asked, and again when its specs change (a migration: `manual` comes
    from the spec). Tasks that stopped being busy or left the tree are dropped as it is read."""
    top = workflow.top_workflow
    specs = (top.spec, top.subprocess_specs)
    entry = top.__dict__.get(BUSY)
    if entry is None or entry[0][0] is not specs[0] or entry[0][1] is not specs[1]:
        index = {t: None for w in [top, *top.subprocesses.values()] for t in w.tasks.values() if is_busy(t)}
        setattr(top, BUSY, (specs, index))
        return list(index)
    index = entry[1]
    for task in [t for t in index if not is_busy(t) or t.workflow.tasks.get(t.id) is not t]:
        del index[task]
    return list(index)


def _indexed(task: Any) -> None:
    entry = getattr(getattr(task.workflow, "top_workflow", None), BUSY, None)
    if entry is not None and is_busy(task):
        entry[1][task] = None


def _noting_state(method):
    def _set_state(self, value):
        note(self)
        method(self, value)
        _indexed(self)

    _set_state.__doc__, _set_state.__wrapped__ = method.__doc__, method
    return _set_state


def _noting(method):
    def wrapper(self, *args, **kwargs):
        note(self)
        return method(self, *args, **kwargs)

    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = method.__name__, method.__doc__, method
    return wrapper


def _noting_spec_update(method):
    def _update(self, my_task, *args, **kwargs):
        note(my_task)
        return method(self, my_task, *args, **kwargs)

    _update.__doc__, _update.__wrapped__ = method.__doc__, method
    return _update


def _noting_init(method):
    def __init__(self, workflow, *args, **kwargs):
        method(self, workflow, *args, **kwargs)
        note(self)  # its parent, whose children grew, is looked at with it
        _indexed(self)

    __init__.__doc__, __init__.__wrapped__ = method.__doc__, method
    return __init__


_TASK_METHODS = ("set_data", "_set_internal_data", "_sync_children", "_drop_children", "reset_branch")


def install_change_tracking() -> None:
    """Wrap SpiffWorkflow's task writers once (idempotent)."""
    if getattr(Task._set_state, "_cascade_touched", False):
        return
    for name in _TASK_METHODS:
        setattr(Task, name, _noting(getattr(Task, name)))
    Task._set_state = _noting_state(Task._set_state)
    Task.__init__ = _noting_init(Task.__init__)
    TaskSpec._update = _noting_spec_update(TaskSpec._update)
    Task._set_state._cascade_touched = True  # type: ignore[attr-defined]


def follow(workflow: Any, follower: Any) -> dict | None:
    """Start noting the tasks `workflow` touches from now on for `follower` (a state snapshot); returns the (new,
    empty) dict they are noted in, or None while another follower that still exists has them (a second snapshot
    taken of the same workflow, to compare with, must not take the live instance's)."""
    current = getattr(workflow, _FOLLOWER, None)
    if current is not None and current() is not None and current() is not follower:
        return None
    touched: dict = {}
    setattr(workflow, TOUCHED, touched)
    setattr(workflow, _FOLLOWER, weakref.ref(follower))
    return touched


__all__ = [
    "SINCE_COLLECT",
    "SINCE_FOLD",
    "TOUCHED",
    "busy_tasks",
    "follow",
    "install_change_tracking",
    "is_busy",
    "note",
]
