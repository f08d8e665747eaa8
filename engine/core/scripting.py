"""Restricted script environment: every BPMN script and expression is compiled with RestrictedPython.

SpiffWorkflow runs script tasks, gateway conditions, timers, loop conditions and message
expressions through its script engine's environment. `RestrictedEnvironment` replaces the
default `exec`/`eval` with RestrictedPython-compiled code, a small set of builtins, runtime
guards, a per-run time limit and a clean-up pass that keeps task data JSON-friendly.
"""

from __future__ import annotations

import ast
import functools
import operator
import textwrap
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

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


class TimeLimitExceeded(BaseException):
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

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        """`a ** b`, `a * b` and `a << b` go through `_binop_`, which refuses results too large to compute in
        the time limit (one C call such as `10**10**8` or `'a' * 10**9` cannot be interrupted)."""
        node = super().visit_BinOp(node)
        name = _SIZED_BINOPS.get(type(node.op))
        if name is None:
            return node
        func = ast.copy_location(ast.Name(id="_binop_", ctx=ast.Load()), node)
        call = ast.Call(
            func=func, args=[ast.copy_location(ast.Constant(name), node), node.left, node.right], keywords=[]
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))

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


# Bounds on what one C call may build: a script that needs more is refused with a clear error, not left to pin a
# worker (the time limit interrupts Python code between opcodes, never inside one long C call).
MAX_SEQUENCE = 1_000_000  # items of a list/tuple, characters of a string, numbers in a range
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
_SIZED_BINOPS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}
_SEQUENCES = (str, bytes, list, tuple)


def _too_large(what: str) -> ScriptError:
    return ScriptError(f"{what} would be too large (limits: {MAX_SEQUENCE:,} items, {MAX_INT_BITS:,}-bit integers)")


def _check_size(op: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if op == "**" and ints and right > 0 and abs(left) > 1 and abs(left).bit_length() * right > MAX_INT_BITS:
        raise _too_large("the power")
    if op == "<<" and ints and left and left.bit_length() + right > MAX_INT_BITS:
        raise _too_large("the shift")
    if op == "*":
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _too_large("the product")
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(times, int) and len(seq) * times > MAX_SEQUENCE:
                raise _too_large("the repeated sequence")


def _binop(op: str, left: Any, right: Any) -> Any:
    _check_size(op, left, right)
    return _BINOPS[op](left, right)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {"**": operator.pow, "*": operator.mul, "<<": operator.lshift}


def _inplace(op: str, left: Any, right: Any) -> Any:
    _check_size(op[:-1], left, right)
    try:
        return _INPLACE_OPS[op](left, right)
    except KeyError:
        raise ScriptError(f"operator {op} is not allowed") from None


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_SEQUENCE:
        raise _too_large("the range")
    return numbers


_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _sized_method(obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """String methods whose result can be far larger than their inputs, checked before they run."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if (
            name in _PADDING
            and args
            and isinstance(args[0], int)
            and args[0] * (1 if name != "expandtabs" else len(obj)) > MAX_SEQUENCE
        ):
            raise _too_large(f"the result of .{name}()")
        if name == "replace" and len(args) >= 2 and (len(obj) + 1) * len(args[1]) > MAX_SEQUENCE:
            raise _too_large("the result of .replace()")
        return method(*args, **kwargs)

    return call


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
    value = getattr(obj, name, *default)
    if isinstance(obj, (str, bytes)) and (name in _PADDING or name == "replace"):
        return _sized_method(obj, name, value)
    return value


def _guarded_getitem(obj: Any, key: Any) -> Any:
    if isinstance(key, str) and key.startswith("_") and not isinstance(obj, Mapping):
        raise KeyError(key)
    return obj[key]


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


ALLOWED_BUILTINS: dict[str, Any] = {
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
ALLOWED_BUILTINS.update(
    {
        "range": _range,
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
GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
    "_binop_": _binop,
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
