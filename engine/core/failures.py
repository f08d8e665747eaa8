"""What went wrong in a step, in words an administrator can act on: the element (id and name) and the reason.

SpiffWorkflow wraps a failing script or expression in a WorkflowTaskException that carries the task; errors the
engine raises on purpose (a refused form, a stale task) pass through unchanged."""

from __future__ import annotations

from SpiffWorkflow.exceptions import WorkflowException

from engine.core.errors import EngineError, StepFailedError


def step_failure(exc: BaseException, process_key: str | None = None) -> StepFailedError:
    """The StepFailedError describing `exc` (raised inside a step of `process_key`)."""
    if isinstance(exc, StepFailedError):
        return exc
    task = getattr(exc, "task", None)
    spec = getattr(exc, "task_spec", None) or (task.task_spec if task is not None else None)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    name = getattr(spec, "bpmn_name", None)
    cause = getattr(exc, "exception", None) or exc.__cause__ or exc
    if isinstance(exc, WorkflowException) and cause is exc:
        reason = str(exc)
    else:
        reason = f"{type(cause).__name__}: {cause}" if not isinstance(cause, EngineError) else str(cause)
    line = getattr(exc, "line_number", None)
    if line:
        reason = f"{reason} (dòng {line})"
    return StepFailedError(element_id, name, reason[:2000], process_key)


def is_step_failure(exc: BaseException) -> bool:
    """A failure of the diagram's own code (to report as an operations failure), not a refusal on purpose."""
    return isinstance(exc, (WorkflowException, RecursionError, StepFailedError)) or (
        not isinstance(exc, EngineError) and isinstance(exc, Exception)
    )
