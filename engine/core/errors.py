"""Domain exceptions raised by the engine; web/ maps each one to an HTTP status in one place."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class DefinitionError(EngineError):
    """A BPMN definition is unsafe, malformed or cannot run; `problems` names each element at fault."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


class Problem:
    """One validation problem, tied to the BPMN element it concerns (None for the whole file)."""

    __slots__ = ("element_id", "message", "name")

    def __init__(self, element_id: str | None, message: str, name: str | None = None):
        self.element_id = element_id
        self.message = message  # English; engine.core.problem_text gives it in Vietnamese
        self.name = name  # the element's name in the diagram, when it has one

    def __repr__(self) -> str:
        return f"Problem({self.element_id!r}, {self.message!r})"

    def __str__(self) -> str:
        return f"{self.element_id}: {self.message}" if self.element_id else self.message


class ScriptError(EngineError):
    """A script or expression was refused by the restricted environment or exceeded its limits."""


class UnknownProcessError(EngineError):
    """No deployed definition has this process key."""


class TaskNotFoundError(EngineError):
    """No task with this id exists (or the actor may not know it exists)."""


class TaskAlreadyCompletedError(EngineError):
    """The task was completed (or cancelled) before this request; nothing was changed."""


class NotAllowedError(EngineError):
    """The actor may not see or do this."""


class FormValidationError(EngineError):
    """Submitted form data does not satisfy the task's form; `errors` maps field id to a FieldError."""

    def __init__(self, errors: dict):
        super().__init__("invalid form data")
        self.errors = errors


class StepFailedError(EngineError):
    """A step of a diagram could not run: a script, condition, expression or service task failed. Names the
    element (its id and name) and the reason; the step's transaction is rolled back."""

    def __init__(self, element_id: str | None, element_name: str | None, reason: str, process_key: str | None = None):
        super().__init__(f"{element_name or element_id or '?'} ({element_id or '?'}): {reason}")
        self.element_id = element_id
        self.element_name = element_name
        self.reason = reason
        self.process_key = process_key


class ActionRefusedError(EngineError):
    """An action that does not apply here, refused with the reason (in Vietnamese) shown to the person as is."""
