"""Where diagram code runs: the RestrictedPython environment SpiffWorkflow evaluates scripts, conditions, timers and
payloads in, with a per-script time limit, and the cleaning of task data to JSON values. Compiling and the
policy: engine.core.scripting."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import CodeType, FrameType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.core.errors import ScriptError
from engine.core.scripting import (
    ALLOWED_BUILTINS,
    DEFAULT_TIME_LIMIT,
    GUARDS,
    SCRIPT_FILENAME,
    TIME_LIMIT_MESSAGE,
    TimeLimitExceeded,
    compile_expression,
    compile_script,
)


class _TimeLimit:
    """Deadline enforced with a per-thread trace function (works outside the main thread).

    Only frames of restricted code (file name SCRIPT_FILENAME) are traced, opcode by opcode, so
    even a one-line `while True: pass` is stopped. Long single C calls (huge `**`, `* 10**9`) cannot
    be interrupted this way: run the engine in a worker with hard limits as well.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = 0.0
        self.expired = False
        self.line_number: int | None = None
        self._previous: Any = None

    def __enter__(self) -> _TimeLimit:
        self._previous = sys.gettrace()
        self.deadline = time.monotonic() + self.seconds
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self._previous)

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        frame.f_trace_opcodes = True
        self._check(frame)
        return self._on_event

    def _on_event(self, frame: FrameType, event: str, arg: Any) -> Any:
        self._check(frame)
        return self._on_event

    def _check(self, frame: FrameType) -> None:
        if time.monotonic() > self.deadline:
            self.expired = True
            self.line_number = frame.f_lineno
            raise TimeLimitExceeded()


def _time_limit_error(limit: _TimeLimit) -> ScriptError:
    error = ScriptError(TIME_LIMIT_MESSAGE)
    error.line_number = limit.line_number  # type: ignore[attr-defined]
    return error


_JSON_SCALARS = (str, int, float, bool, type(None))
_EXTRA_KEPT = (datetime, date, timedelta)  # handled by make_registry() in engine.core.parser
_MAX_CLEAN_DEPTH = 64


def json_clean(value: Any, depth: int = 0) -> tuple[bool, Any]:
    """Return (keep, cleaned): JSON values (plus datetime/date/timedelta) are kept, sets become lists."""
    if isinstance(value, _JSON_SCALARS):
        if isinstance(value, float) and not math.isfinite(value):
            return False, None
        return True, value
    if isinstance(value, _EXTRA_KEPT):
        return True, value
    if depth >= _MAX_CLEAN_DEPTH:
        return False, None
    if isinstance(value, (list, tuple)):
        items = [json_clean(v, depth + 1) for v in value]
        if all(ok for ok, _ in items):
            return True, [v for _, v in items]
        return False, None
    if isinstance(value, (set, frozenset)):
        ok, items = json_clean(list(value), depth + 1)
        if not ok:
            return False, None
        try:
            return True, sorted(items)
        except TypeError:
            return True, items
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                return False, None
            ok, cleaned = json_clean(v, depth + 1)
            if not ok:
                return False, None
            out[k] = cleaned
        return True, out
    return False, None


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment running RestrictedPython-compiled code under a time limit."""

    def __init__(self, extra_globals: Mapping[str, Any] | None = None, time_limit: float = DEFAULT_TIME_LIMIT):
        extra = dict(extra_globals or {})
        bad = [k for k in extra if k.startswith("_")]
        if bad:
            raise ValueError(f"extra globals may not start with '_': {bad}")
        super().__init__({**extra, **GUARDS})
        self.extra_globals = extra
        self.builtins = dict(ALLOWED_BUILTINS)
        self.time_limit = time_limit

    def _run(self, code: CodeType, namespace: dict[str, Any], mode: str) -> Any:
        limit = _TimeLimit(self.time_limit)
        result = None
        try:
            with limit:
                if mode == "eval":
                    result = eval(code, namespace)  # noqa: S307 - RestrictedPython-compiled code
                else:
                    exec(code, namespace)  # noqa: S102 - RestrictedPython-compiled code
        except TimeLimitExceeded:
            raise _time_limit_error(limit) from None
        if limit.expired:
            # Only reachable if the time-out was swallowed somehow; refuse the result anyway.
            raise _time_limit_error(limit)
        return result

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Mapping | None = None) -> Any:
        """Evaluate an expression against task data (the data is not modified)."""
        code = compile_expression(expression)
        namespace: dict[str, Any] = dict(self.extra_globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(GUARDS)
        namespace["__builtins__"] = self.builtins
        return self._run(code, namespace, "eval")

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping | None = None) -> bool:
        """Run a script with task data as its namespace, then strip everything non-data from it."""
        code = compile_script(script)
        external = dict(external_context or {})
        self.check_for_overwrite(context, external)
        before = set(context)
        context.update(external)
        context.update(self.globals)
        context["__builtins__"] = self.builtins
        try:
            self._run(code, context, "exec")
        finally:
            self._remove_globals_and_functions_from_context(context, external)
            for key in [k for k in context if k.startswith("_") and k not in before]:
                context.pop(key)  # RestrictedPython's own helpers (_print, temporaries)
        return True

    def _remove_globals_and_functions_from_context(
        self, context: dict[str, Any], external_context: Mapping | None = None
    ) -> None:
        super()._remove_globals_and_functions_from_context(context, external_context)
        for key in list(context):
            ok, cleaned = json_clean(context[key])
            if ok:
                context[key] = cleaned
            else:
                context.pop(key)

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptError("service calls are not supported; service tasks are completed by the application")


def make_script_engine(
    extra_globals: Mapping[str, Any] | None = None, time_limit: float = DEFAULT_TIME_LIMIT
) -> PythonScriptEngine:
    """A SpiffWorkflow script engine using the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment(extra_globals, time_limit=time_limit))
