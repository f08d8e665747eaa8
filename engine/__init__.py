"""Cascade's engine: the BPMN machinery (`engine.core`, which knows no feature) and one package per feature
(`documents`, `incidents`, `reporting`, `tt124`), each plugging its service tasks and delivery hooks into the core
through a `Feature` (engine.core.registry).

The public surface: `create_engine()` (a `Cascade` with every feature registered), `Cascade`, `Actor` and the
errors."""

from __future__ import annotations

from engine.core.cascade import Cascade
from engine.core.errors import (
    DefinitionError,
    EngineError,
    FormValidationError,
    NotAllowedError,
    ScriptError,
    TaskAlreadyCompletedError,
    TaskNotFoundError,
    UnknownProcessError,
)
from engine.core.ports import Actor
from engine.documents.services import FEATURE as DOCUMENTS
from engine.incidents.services import FEATURE as INCIDENTS
from engine.reporting.feature import FEATURE as REPORTING
from engine.tt124.feature import FEATURE as TT124

FEATURES = (DOCUMENTS, INCIDENTS, REPORTING, TT124)


def create_engine(warm_instances: int = 256) -> Cascade:
    """The application's engine: the core with every feature registered."""
    return Cascade(warm_instances=warm_instances).register(*FEATURES)


__all__ = [
    "Actor",
    "Cascade",
    "DefinitionError",
    "EngineError",
    "FEATURES",
    "FormValidationError",
    "NotAllowedError",
    "ScriptError",
    "TaskAlreadyCompletedError",
    "TaskNotFoundError",
    "UnknownProcessError",
    "create_engine",
]
