"""The Circular 124 use cases and service tasks, gathered for the engine and the web: opening a year and
eligibility (`cycle`), evidence files (`evidence`), and `HANDLERS`, the service tasks of `tt124_cycle.bpmn` and
`tt124_flag` (`handlers`)."""

from __future__ import annotations

from engine.tt124.cycle import open_cycle, set_eligibility
from engine.tt124.evidence import attach_evidence_files
from engine.tt124.handlers import HANDLERS

__all__ = ["HANDLERS", "attach_evidence_files", "open_cycle", "set_eligibility"]
