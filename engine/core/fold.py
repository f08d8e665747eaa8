"""Folding: keeps a long-lived instance's live task tree (and so each step's cost and its stored state) bounded
by dropping finished loop iterations (standard loops) and finished chains (gateway and event loops) that nothing
reads again."""

from __future__ import annotations

import os

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import EventSplit
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import TaskState

from engine.core.state import FOLDED, folded_prefix
from engine.core.touched import SINCE_FOLD, install_change_tracking

_LIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING
_FINISHED = TaskState.FINISHED_MASK
FOLDED_ELEMENTS = "folded_elements"  # BPMN ids of the completed tasks folded away below a task
KEEP = 2  # finished tasks kept at the foot of a folded chain (the live tasks' parent and the one before it)
_LAST = "_cascade_last_at_fold"  # attribute of a (sub)workflow: its last task when the fold last ran
_UNKNOWN = object()


def fold_after_step(wf: BpmnWorkflow) -> int:
    """`fold_finished_iterations` after a step, skipped when nothing the step touched can have made anything
    foldable (`_settled`): the fold leaves nothing foldable behind, so only a change can make something foldable,
    and a multi-instance's step (a task under the open multi-instance task finished, another made ready) would
    otherwise walk every one of its N tasks for nothing. With CASCADE_VERIFY_TRACKED_CHANGES=1 (tests) the fold
    runs anyway and fails if it folds anything after a step judged settled."""
    install_change_tracking()
    touched = getattr(wf, SINCE_FOLD, None)
    settled = touched is not None and _nothing_to_fold(wf, touched)
    verify = os.environ.get("CASCADE_VERIFY_TRACKED_CHANGES") == "1"
    folded = 0 if settled and not verify else fold_finished_iterations(wf)
    if settled and folded:
        raise AssertionError(f"the fold was judged to have nothing to do but folded {folded} tasks")
    setattr(wf, SINCE_FOLD, {})
    for workflow in [wf, *wf.subprocesses.values()]:
        setattr(workflow, _LAST, workflow.last_task)
    return folded


def _nothing_to_fold(wf: BpmnWorkflow, touched: dict) -> bool:
    for workflow in [wf, *wf.subprocesses.values()]:
        last = getattr(workflow, _LAST, _UNKNOWN)
        if last is _UNKNOWN or (last is not None and last is not workflow.last_task and not _settled(last)):
            return False  # a new sub-process, or the last task moved away from one that may now fold
    return all(_settled(task) for task in touched)


def _settled(task) -> bool:
    """Whether a change to `task` leaves the fold with nothing to do: the task still hangs in the tree from an
    unfinished parent (which stays live whatever happens below it, so no chain above it changes), is unfinished
    or a finished leaf (no chain starts at it), and is neither a join nor a standard loop or its iteration."""
    workflow = task.workflow
    parent = workflow.tasks.get(task._parent)
    return not (
        parent is None
        or workflow.tasks.get(task.id) is not task
        or parent.state & _FINISHED
        or (task.state & _FINISHED and task._children)
        or isinstance(task.task_spec, (Join, UnstructuredJoin, StandardLoopTask))
        or isinstance(parent.task_spec, StandardLoopTask)
    )


def fold_finished_iterations(wf: BpmnWorkflow) -> int:
    """Drop the finished iterations of standard loops from the live tree, all but the latest one.

    SpiffWorkflow keeps every iteration's tasks (and its sub-process) under the loop task forever, and walks
    them on every step: a long-lived instance (the office's follow-up loop, a yearly cycle) would get slower
    with each round and its state would grow without end. A finished iteration has already merged its data
    into the loop task, so nothing reads it again; its history stays in the audit log and the closed inbox
    rows. Returns how many iterations were folded."""
    folded = 0
    for workflow in [wf, *list(wf.subprocesses.values())]:
        loops = [t for t in workflow.tasks.values() if isinstance(t.task_spec, StandardLoopTask)]
        for loop in loops:
            merged = loop.internal_data.get("merged") or []
            head = folded_prefix(merged)  # folded already: only the ids after them can be folded now
            done = {m for m in merged[head:] if m != FOLDED}
            if len(done) < 2:
                continue
            latest = merged[-1]
            for child in list(loop.children):
                guid = str(child.id)
                if guid not in done or guid == latest or not _finished_subtree(wf, child):
                    continue
                _remove_subtree(wf, child)
                loop._children.remove(child.id)
                folded += 1
            merged[head:] = [m if m == latest else FOLDED for m in merged[head:]]
    for workflow in [wf, *list(wf.subprocesses.values())]:
        folded += fold_finished_chains(wf, workflow)
    return folded


def fold_finished_chains(wf: BpmnWorkflow, workflow) -> int:
    """Cut finished chains out of one (sub)workflow's tree; returns how many tasks were dropped.

    A loop back through a gateway or an event never closes a branch: each round hangs below the last, so the
    tree (and every `get_tasks` walk, every ancestor lookup, the recursion depth) grows with the rounds. A run
    of finished tasks, each with exactly one child that still leads to something unfinished and nothing else
    unfinished below it, is read by nobody once the live tasks have inherited their data from their parent:
    it is spliced out, all but its last KEEP tasks, which hang from the run's head's parent instead.

    Nothing is folded while a parallel or inclusive join waits (they walk the tree and its ancestors), in a run
    holding such a join (it merges its earlier instances' data), holding the split an unfinished boundary or
    start-event join will look for, holding the workflow's last task, or a sub-process not completed."""
    tasks = workflow.tasks
    if any(_waiting_join(t) for t in tasks.values()):
        return 0
    live = _live_branches(workflow)
    protected = _protected(workflow)
    dropped = 0
    stack = [workflow.task_tree]
    while stack:
        top = stack.pop()
        if top is None:
            continue
        for child_id in list(top._children):
            run = (
                [] if isinstance(top.task_spec, EventSplit) else _chain(wf, workflow, tasks[child_id], live, protected)
            )
            if len(run) > KEEP:
                dropped += _splice(wf, top, run[:-KEEP], run[-KEEP])
                child_id = run[-KEEP].id
            if child_id in live:
                stack.append(tasks.get(child_id))
    return dropped


def _waiting_join(task) -> bool:
    spec = task.task_spec
    return isinstance(spec, UnstructuredJoin) and task.state & _LIVE and type(spec).__name__ != "_EndJoin"


def _live_branches(workflow) -> set:
    """Ids of the tasks that are not finished or have an unfinished descendant."""
    out: set = set()
    for task in workflow.tasks.values():
        if task.state & _FINISHED:
            continue
        node = task
        while node is not None and node.id not in out:
            out.add(node.id)
            node = node.parent
    return out


def _protected(workflow) -> set:
    """Tasks that must stay: the last task and the splits unfinished structured joins will look up."""
    out = {workflow.last_task.id} if workflow.last_task is not None else set()
    for task in workflow.tasks.values():
        spec = task.task_spec
        if isinstance(spec, Join) and spec.split_task and not task.state & _FINISHED:
            split = task.parent
            while split is not None and split.task_spec.name != spec.split_task:
                split = split.parent
            if split is not None:
                out.add(split.id)
    return out


def _chain(wf: BpmnWorkflow, workflow, task, live: set, protected: set) -> list:
    """The finished run starting at `task` that may be spliced out (see fold_finished_chains)."""
    run = []
    while task is not None and task.state & _FINISHED and task.id in live and task.id not in protected:
        onward = [c for c in task._children if c in live]
        if len(onward) != 1 or not _foldable_aside(wf, workflow, task, onward[0]):
            break
        run.append(task)
        task = workflow.tasks.get(onward[0])
    return run


def _foldable_aside(wf: BpmnWorkflow, workflow, task, onward) -> bool:
    """The task itself and its finished side branches hold no join, protected split or open sub-process."""
    side = [task, *(t for c in task.children if c.id != onward for t in _subtree(c))]
    for t in side:
        if isinstance(t.task_spec, UnstructuredJoin) or t.id == getattr(workflow.last_task, "id", None):
            return False
        sub = wf.subprocesses.get(t.id)
        if sub is not None and (not sub.completed or any(s.state & _LIVE for s in sub.tasks.values())):
            return False
    return True


def _splice(wf: BpmnWorkflow, top, run: list, foot) -> int:
    """Drop `run` (a chain hanging from `top`) with its side branches; `foot` takes its place under `top`."""
    index = top._children.index(run[0].id)
    onward = {t.id for t in run} | {foot.id}
    gone = []
    for task in run:
        gone.append(task)
        for child in task.children:
            if child.id not in onward:
                gone.extend(_subtree(child))
    _remember_completed(top, gone)
    for task in gone:
        if task.id in wf.subprocesses:
            wf.delete_subprocess(task)
        task.workflow.tasks.pop(task.id, None)
    top._children[index] = foot.id
    foot._parent = top.id
    return len(gone)


def _remember_completed(top, gone: list) -> None:
    """The instance's diagram shows an element as done once any of its tasks completed (engine.core.diagram):
    the BPMN ids of the completed tasks folded away (and those they remembered) go to the task the chain hung
    from, whose row is saved anyway since its children changed; one entry per element, bounded by the diagram."""
    done = set(top.internal_data.get(FOLDED_ELEMENTS) or ())
    for task in gone:
        done.update(task.internal_data.get(FOLDED_ELEMENTS) or ())
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id and task.state & TaskState.COMPLETED:
            done.add(bpmn_id)
    if done:
        top.internal_data[FOLDED_ELEMENTS] = sorted(done)


def _subtree(task) -> list:
    out, stack = [], [task]
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if c is not None)
    return out


def _finished_subtree(wf: BpmnWorkflow, task) -> bool:
    for t in _subtree(task):
        if t.state & _LIVE:
            return False
        sub = wf.subprocesses.get(t.id)
        if sub is not None and (not sub.completed or any(s.state & _LIVE for s in sub.tasks.values())):
            return False
    return True


def _remove_subtree(wf: BpmnWorkflow, task) -> None:
    for t in _subtree(task):
        if t.id in wf.subprocesses:
            wf.delete_subprocess(t)
        t.workflow.tasks.pop(t.id, None)
