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

from typing import Any

from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter, BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState

UNLIMITED = 10**9  # parser.install_engine_patches' default depth: no limit in practice
_FINISHED = TaskState.FINISHED_MASK


class FastTaskIterator(BpmnTaskIterator):
    """BpmnTaskIterator's depth-first walk without the depth count (only valid with no depth limit)."""

    def __init__(self, task, **kwargs: Any):
        super().__init__(task, **kwargs)
        self._stack = [task]
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
        subprocess = task.workflow.top_workflow.subprocesses.get(task.id)
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
    `install_engine_patches` already lifts for every other walk."""
    stack = [self.task_tree]
    while stack:
        task = stack.pop()
        if task._children and task._state >= TaskState.FUTURE:
            stack.extend(reversed(task.children))
        if task._state & TaskState.WAITING:
            task.task_spec._update(task)


def install_fast_walks() -> None:
    """Route `get_tasks`/`get_next_task` of every BPMN workflow (subprocesses and restored ones too) through
    FastTaskIterator whenever the walk is depth-first with no depth limit. Idempotent; installs the
    depth patch first (engine.core.parser.install_engine_patches), whose default it keeps."""
    from engine.core.parser import install_engine_patches

    install_engine_patches()
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


__all__ = ["FastTaskIterator", "install_fast_walks", "update_waiting_tasks"]
