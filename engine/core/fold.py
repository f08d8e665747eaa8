"""Folding: keeps a long-lived instance's live task tree (and so each step's cost and its stored state) bounded
by dropping finished loop iterations that nothing reads again."""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask
from SpiffWorkflow.task import TaskState

from engine.core.state import FOLDED, folded_prefix

_LIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


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
    return folded


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
