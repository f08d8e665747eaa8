"""The restricted script environment: every BPMN script, condition, timer and message expression is compiled
with RestrictedPython and runs with a small whitelist of builtins and a time limit (engine-notes §5)."""

from __future__ import annotations

import builtins
import operator
import sys
import time
import types
from datetime import date, datetime, timedelta

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.errors import ScriptError

ALLOWED = (
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
    "tuple",
    "str",
    "int",
    "float",
    "bool",
    "round",
    "abs",
    "isinstance",
    "map",
    "filter",
)
BUILTINS = {**safe_builtins, **limited_builtins, **{n: getattr(builtins, n) for n in ALLOWED}}
for _name in ("__import__", "open", "eval", "exec", "compile", "globals", "getattr", "setattr", "delattr", "vars"):
    BUILTINS.pop(_name, None)
INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
}
GUARDS = {
    "__builtins__": BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": lambda op, x, y: INPLACE[op](x, y),
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
}


class _Timeout(BaseException):
    """BaseException so script `except Exception` blocks cannot swallow it."""


def _run_limited(func, limit: float):
    """Run `func` with a deadline checked on every line of restricted code (works in any thread)."""
    deadline = time.monotonic() + limit

    def local(frame, event, arg):
        if time.monotonic() > deadline:
            raise _Timeout()
        return local

    def global_(frame, event, arg):
        return local if frame.f_code.co_filename == "<restricted>" else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        return func()
    except _Timeout:
        raise ScriptError(f"script exceeded its time limit of {limit:g} s") from None
    except (ImportError, NotImplementedError) as exc:  # what RestrictedPython's guards refuse at run time
        raise ScriptError(f"refused in a BPMN script: {exc}") from None
    finally:
        sys.settrace(previous)


def _compile(text: str, mode: str):
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(text, filename="<restricted>")
    if result.errors:
        # A line number is required: SpiffWorkflow's error formatter crashes on a bare SyntaxError.
        raise SyntaxError("; ".join(result.errors), ("<restricted>", 1, 0, text))
    return result.code


def check_expression(text: str) -> str | None:
    try:
        _compile(text, "eval")
    except SyntaxError as exc:
        return exc.msg
    return None


def check_script(text: str) -> str | None:
    try:
        _compile(text, "exec")
    except SyntaxError as exc:
        return exc.msg
    return None


def _json_clean(context: dict) -> None:
    """Drop what a script left that is not data (modules, functions, classes)."""
    for key in list(context):
        if isinstance(context[key], (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)):
            del context[key]


class RestrictedEnvironment(TaskDataEnvironment):
    def __init__(self, extra_globals: dict | None = None, time_limit: float = 1.0):
        super().__init__({**GUARDS, **(extra_globals or {})})
        self.time_limit = time_limit

    def evaluate(self, expression, context, external_context=None):
        code = _compile(expression, "eval")
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return _run_limited(lambda: eval(code, scope), self.time_limit)  # noqa: S307 - restricted bytecode

    def execute(self, script, context, external_context=None):
        code = _compile(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        try:
            _run_limited(lambda: exec(code, context), self.time_limit)  # noqa: S102 - restricted bytecode
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            _json_clean(context)
        return True


def make_script_engine(extra_globals: dict | None = None, time_limit: float = 1.0) -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment(extra_globals, time_limit))
