"""Restricted script environment: every BPMN script and expression is compiled with RestrictedPython.

SpiffWorkflow runs script tasks, gateway conditions, timers, loop conditions and message
expressions through its script engine's environment. `RestrictedEnvironment` replaces the
default `exec`/`eval` with RestrictedPython-compiled code, a small set of builtins, runtime
guards, a per-run time limit and a clean-up pass that keeps task data JSON-friendly.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from types import CodeType, FrameType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.core.errors import ScriptError

DEFAULT_TIME_LIMIT = 1.0

# SpiffWorkflow looks for frames of this file name to report the failing line of a script.
SCRIPT_FILENAME = "<string>"

TIME_LIMIT_MESSAGE = "script exceeded its time limit"

# Names refused at compile time, with a clear message (none of them exist in the sandbox anyway).
FORBIDDEN_NAMES = frozenset(
    {
        "open",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "breakpoint",
        "exit",
        "quit",
        "memoryview",
        "classmethod",
        "staticmethod",
        "super",
    }
)
FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map"})
_UNCATCHABLE = frozenset({"BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"})


class ScriptSyntaxError(ScriptError, SyntaxError):
    """A script or expression that does not compile, or uses a refused construct; carries a line number."""

    def __init__(self, message: str, lineno: int = 1, text: str | None = None):
        SyntaxError.__init__(self, message, (SCRIPT_FILENAME, lineno, 1, text))

    def __str__(self) -> str:
        return str(self.msg)


class _TimeLimitExceeded(BaseException):
    """Raised from the trace function; a BaseException so that `except Exception` cannot swallow it."""


class _CascadePolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened: no imports, classes, `with`, `finally`, bare `except`."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import statements are not allowed.")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed.")
        return node

    def visit_With(self, node: ast.With) -> ast.AST:
        self.error(node, "with statements are not allowed.")
        return node

    def visit_Global(self, node: ast.Global) -> ast.AST:
        self.error(node, "global statements are not allowed.")
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed.')
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr in FORBIDDEN_ATTRIBUTES:
            self.error(node, f'".{node.attr}()" is not allowed; use an f-string instead.')
        return super().visit_Attribute(node)

    def visit_Try(self, node: ast.Try) -> Any:
        # The time limit interrupts a script by raising from the trace function, which also
        # switches tracing off: a `finally` or catch-all handler could then loop forever.
        if node.finalbody:
            self.error(node, "try ... finally is not allowed.")
        for handler in node.handlers:
            if handler.type is None:
                self.error(handler, "a bare 'except:' is not allowed; name the exception (except ValueError:).")
            else:
                names = {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)}
                if names & _UNCATCHABLE:
                    self.error(handler, f"catching {', '.join(sorted(names & _UNCATCHABLE))} is not allowed.")
        return super().visit_Try(node)


def _inplace(op: str, left: Any, right: Any) -> Any:
    try:
        return _INPLACE_OPS[op](left, right)
    except KeyError:
        raise ScriptError(f"operator {op} is not allowed") from None


_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
}


def _guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    """Attribute access for restricted code: no private/dunder names, no format escapes."""
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise AttributeError(f'access to attribute "{name}" is not allowed')
    if name in FORBIDDEN_ATTRIBUTES:
        raise AttributeError(f'".{name}()" is not allowed; use an f-string instead')
    return getattr(obj, name, *default)


def _guarded_getitem(obj: Any, key: Any) -> Any:
    if isinstance(key, str) and key.startswith("_") and not isinstance(obj, Mapping):
        raise KeyError(key)
    return obj[key]


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


_ALLOWED_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "len",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "enumerate",
        "range",
        "sorted",
        "reversed",
        "zip",
        "dict",
        "list",
        "set",
        "frozenset",
        "tuple",
        "str",
        "int",
        "float",
        "bool",
        "round",
        "abs",
        "isinstance",
        "divmod",
        "map",
        "filter",
        "chr",
        "ord",
        "repr",
        "hash",
        "callable",
        "Exception",
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "IndexError",
        "KeyError",
        "LookupError",
        "NameError",
        "OverflowError",
        "RuntimeError",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
        "NotImplementedError",
    )
}
_ALLOWED_BUILTINS.update(
    {
        "None": None,
        "True": True,
        "False": False,
        "datetime": datetime,
        "date": date,
        "timedelta": timedelta,
        "timezone": timezone,
    }
)

# Guard functions the RestrictedPython-compiled code calls; they live in the globals.
_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
    "_apply_": _apply,
    "_print_": PrintCollector,
}


def _first_line(errors: tuple[str, ...] | list[str]) -> int:
    for err in errors:
        if err.startswith("Line "):
            head = err[5:].split(":", 1)[0]
            if head.isdigit():
                return int(head)
    return 1


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    if mode == "eval":
        result = compile_restricted_eval(source, filename=SCRIPT_FILENAME, policy=_CascadePolicy)
    else:
        result = compile_restricted_exec(source, filename=SCRIPT_FILENAME, policy=_CascadePolicy)
    if result.errors or result.code is None:
        errors = tuple(result.errors) or ("the code could not be compiled",)
        lineno = _first_line(errors)
        lines = source.splitlines()
        text = lines[lineno - 1] if 0 < lineno <= len(lines) else None
        kind = "expression" if mode == "eval" else "script"
        raise ScriptSyntaxError(f"{kind} refused: " + "; ".join(e.rstrip(".") for e in errors), lineno, text)
    return result.code


def _normalize_script(text: str | None) -> str:
    return textwrap.dedent(text or "")


def compile_expression(text: str | None) -> CodeType:
    """Compile an expression under the restricted policy; raises ScriptSyntaxError.

    Surrounding whitespace is ignored; an expression broken over several lines (as modellers write long
    conditions) is compiled as if it were wrapped in parentheses.
    """
    source = str(text).strip() if text is not None else ""
    if not source:
        raise ScriptSyntaxError("expression refused: the expression is empty")
    try:
        return _compile(source, "eval")
    except ScriptSyntaxError:
        if "\n" not in source:
            raise
        try:
            return _compile(f"(\n{source}\n)", "eval")
        except ScriptSyntaxError:
            pass
        raise


def compile_script(text: str | None) -> CodeType:
    """Compile a script under the restricted policy; raises ScriptSyntaxError."""
    return _compile(_normalize_script(text), "exec")


def check_expression(text: str | None) -> str | None:
    """Return why the expression would be refused, or None when it compiles."""
    try:
        compile_expression(text)
    except ScriptError as exc:
        return str(exc)
    return None


def check_script(text: str | None) -> str | None:
    """Return why the script would be refused, or None when it compiles."""
    try:
        compile_script(text)
    except ScriptError as exc:
        return str(exc)
    return None


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
            raise _TimeLimitExceeded()


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
        super().__init__({**extra, **_GUARDS})
        self.extra_globals = extra
        self.builtins = dict(_ALLOWED_BUILTINS)
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
        except _TimeLimitExceeded:
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
        namespace.update(_GUARDS)
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
