"""Deploy-time checks on the parsed specs (the second pass of engine.core.validation): who may do each user task,
its form fields, and its date expressions; each problem names its element."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import ManualTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.core.errors import FormValidationError, Problem
from engine.core.forms import TYPES, coerce_value, form_fields, message
from engine.core.orgs import SCOPES
from engine.core.parser import iso_literal_kind
from engine.core.scripting import check_expression, check_script

DEFAULT_CANDIDATE_GROUP = "leader"  # a user or manual task that names nobody goes to the organisation's leader
KNOWN_CONSTRAINTS = ("required", "readonly", "min", "max", "minlength", "maxlength")
_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def iso_error(kind: str, text: str) -> str | None:
    """Run SpiffWorkflow's own ISO parsing on a literal; None when it accepts it."""
    try:
        if kind == "duration":
            TimerEventDefinition.parse_iso_duration(text)
        elif kind == "date":
            TimerEventDefinition.parse_time_or_duration(text)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises bare Exception/ValueError/AttributeError
        return str(exc) or type(exc).__name__
    return None


# --- spec pass --------------------------------------------------------------------------------------------
def _all_task_specs(definition: Any) -> Iterable[Any]:
    seen: set[int] = set()
    for spec, subs in definition.specs.values():
        for process in (spec, *subs.values()):
            if id(process) in seen:
                continue
            seen.add(id(process))
            yield from process.task_specs.values()


def spec_problems(definition: Any, known_roles: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for task_spec in _all_task_specs(definition):
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        ext = getattr(task_spec, "extensions", None) or {}
        if isinstance(task_spec, ManualTask):
            out += _assignment_problems(element, task_spec, ext, known_roles)
            for attribute in ("dueDate", "followUpDate"):
                out += _date_expression_problems(element, attribute, ext.get(attribute))
        if isinstance(task_spec, UserTask):
            out += _assignment_problems(element, task_spec, ext, known_roles)
            out += _form_problems(element, task_spec)
            for attribute in ("dueDate", "followUpDate"):
                out += _date_expression_problems(element, attribute, ext.get(attribute))
        script = getattr(task_spec, "script", None)
        if type(task_spec).__name__ == "ScriptTask":
            if not (script or "").strip():
                out.append(Problem(element, "script task has no script"))
            elif error := check_script(script):
                out.append(Problem(element, f"script does not compile: {error}"))
        if type(task_spec).__name__ == "ServiceTask" and not (ext.get("service") or ext.get("topic")):
            out.append(Problem(element, "service task names no service (property 'service')"))
    return out


def spec_warnings(definition: Any) -> list[Problem]:
    """User and manual tasks that name nobody: they deploy and go to DEFAULT_CANDIDATE_GROUP."""
    out = []
    for task_spec in _all_task_specs(definition):
        if not isinstance(task_spec, UserTask | ManualTask):
            continue
        ext = getattr(task_spec, "extensions", None) or {}
        if not ext.get("candidateGroups") and not ext.get("candidateUsers") and not task_spec.lane:
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            out.append(
                Problem(
                    element,
                    f"the task names no candidate group, user or lane: it goes to the default "
                    f"'{DEFAULT_CANDIDATE_GROUP}' (the organisation's leader)",
                )
            )
    return out


def _assignment_problems(element: str, task_spec: Any, ext: dict, known_roles: set[str]) -> list[Problem]:
    out = []
    groups = list(ext.get("candidateGroups") or [])
    source = "candidate group"
    if not groups and task_spec.lane:
        groups, source = [task_spec.lane.strip()], "lane"
    if not groups and not ext.get("candidateUsers"):
        return []  # a warning (spec_warnings): it goes to DEFAULT_CANDIDATE_GROUP
    for group in groups:
        role, _, scope = group.partition("@")
        if role not in known_roles:
            out.append(
                Problem(
                    element, f"unknown role '{role}' in {source} '{group}' (known: {', '.join(sorted(known_roles))})"
                )
            )
        if scope and scope not in SCOPES:
            out.append(Problem(element, f"unknown scope '@{scope}' in {source} '{group}' (known: {', '.join(SCOPES)})"))
    return out


def _form_problems(element: str, task_spec: Any) -> list[Problem]:
    out = []
    raw_fields = getattr(getattr(task_spec, "form", None), "fields", None) or []
    seen: set[str] = set()
    for raw, f in zip(raw_fields, form_fields(task_spec), strict=True):
        name = f.id or "?"
        if not f.id:
            out.append(Problem(element, "a form field has no id"))
        elif not _FIELD_ID.match(f.id) or keyword.iskeyword(f.id):
            out.append(
                Problem(
                    element,
                    f"form field id '{f.id}' must be a name like so_van_ban "
                    "(letters, digits, underscores, starting with a letter)",
                )
            )
        if f.id in seen:
            out.append(Problem(element, f"form field '{name}' is declared twice"))
        seen.add(f.id)
        if f.type not in TYPES:
            out.append(Problem(element, f"form field '{name}' has unknown type '{f.type}' (known: {', '.join(TYPES)})"))
        if f.type == "enum":
            if not f.options:
                out.append(Problem(element, f"enum field '{name}' has no values"))
            ids = [o for o, _ in f.options]
            if len(set(ids)) != len(ids):
                out.append(Problem(element, f"enum field '{name}' repeats a value id"))
        constraints = [(v.name, v.config) for v in (getattr(raw, "validation", None) or [])]
        for cname, config in constraints:
            if cname not in KNOWN_CONSTRAINTS:
                out.append(
                    Problem(
                        element,
                        f"form field '{name}' has unknown constraint '{cname}' (known: {', '.join(KNOWN_CONSTRAINTS)})",
                    )
                )
            elif cname in ("min", "max") and _float(config) is None:
                out.append(Problem(element, f"form field '{name}': {cname} '{config}' is not a number"))
            elif cname in ("minlength", "maxlength") and not str(config or "").strip().isdigit():
                out.append(Problem(element, f"form field '{name}': {cname} '{config}' is not a whole number"))
        if f.min is not None and f.max is not None and f.min > f.max:
            out.append(Problem(element, f"form field '{name}': min is greater than max"))
        if f.minlength is not None and f.maxlength is not None and f.minlength > f.maxlength:
            out.append(Problem(element, f"form field '{name}': minlength is greater than maxlength"))
        if f.default not in (None, "") and f.type in TYPES:
            try:
                coerce_value(f, f.default)
            except FormValidationError as exc:
                reason = message(next(iter(exc.errors.values())), "en")
                out.append(Problem(element, f"form field '{name}': default '{f.default}' is not valid: {reason}"))
    return out


def _float(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date_expression_problems(element: str, attribute: str, value: Any) -> list[Problem]:
    if value is None or not str(value).strip():
        return []
    text = str(value).strip()
    kind = iso_literal_kind(text)
    if kind == "cycle":
        return [Problem(element, f"{attribute} '{text}' is a repeating interval; use a duration or a date")]
    if kind is not None:
        error = iso_error(kind, text)
        return [Problem(element, f"{attribute} '{text}' is not valid: {error}")] if error else []
    error = check_expression(text)
    return [Problem(element, f"{attribute} does not compile: {error}")] if error else []
