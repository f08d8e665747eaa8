"""DMN decision tables as Cascade deploys them: read safely, checked (each problem naming the decision or its
rule), and prepared for SpiffWorkflow's DMNEngine.

A file holds one decision with one decision table. Its cells are evaluated by the engine's restricted script
environment (engine.core.sandbox), never by plain Python: an input expression is a Python expression over the
task's data (`muc_do`); an input entry is a value (`"serious"`), a comparison (`> 3`, `in ("a", "b")`, `? < 5`)
or `-`/empty for "any"; an output entry is a value or an expression. What dmn-js writes is read as well: the
FEEL booleans `true`/`false` and a list of values (`"serious","fatal"`: any of them).
"""

from __future__ import annotations

import ast
import re
import threading
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import DecisionTable

from engine.core.errors import DefinitionError, Problem
from engine.core.ports import DecisionRecord
from engine.core.scripting import check_expression
from engine.core.xmlsafe import DEFAULT_MAX_BYTES, parse_untrusted_xml, to_bytes

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")  # what DMNEngine evaluates as the standard means
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # DMNEngine's "?" outside quotes
_FEEL = {"true": "True", "false": "False", "null": "None"}
INPUT_VARIABLE = "dmninputexpr"  # the name DMNEngine gives the input's value in a `?` entry


@dataclass
class DecisionFile:
    """A checked DMN file: its decision's id and name, canonical XML and the table ready to evaluate."""

    key: str
    name: str
    xml: bytes
    table: DecisionTable


def _refused(problems: list[Problem]) -> DefinitionError:
    return DefinitionError("; ".join(str(p) for p in problems), problems)


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and _local(c) == name]


def _text_of(node: etree._Element) -> str | None:
    found = _children(node, "text")
    return found[0].text if found else None


def feel_literal(text: str | None) -> str | None:
    """A cell as the restricted Python environment evaluates it: FEEL's true/false/null as Python's."""
    if text is None:
        return None
    stripped = text.strip()
    return _FEEL.get(stripped, stripped)


def input_test(text: str | None) -> str | None:
    """An input entry as DMNEngine evaluates it: None for "any" (`-`, empty); a comparison or a list of values
    written as a `?` test (`? in ("a", "b")`); anything else is compared with `==`."""
    cell = feel_literal(text)
    if not cell or cell == "-":
        return None
    try:
        tree = ast.parse(cell, mode="eval").body
    except SyntaxError:
        tree = None
    if isinstance(tree, ast.Tuple) and tree.elts and all(isinstance(e, ast.Constant) for e in tree.elts):
        return f"? in ({cell})"  # dmn-js's list of values: any of them
    if tree is None:
        try:
            ast.parse(f"v {cell}", mode="eval")
        except SyntaxError:
            return cell  # not an expression: the check names it
        return f"? {cell}"  # a comparison: `> 3`, `in (...)`, `not in (...)`
    return cell


def entry_expression(input_expression: str, test: str) -> str:
    """The one expression DMNEngine evaluates for an input entry (the `?` stands for the input's value)."""
    if _QUESTION.search(test):
        return _QUESTION.sub(INPUT_VARIABLE, test)
    return f"({input_expression}) == ({test})"


# --- reading and checking ------------------------------------------------------------------------------
def _decision_element(root: etree._Element) -> tuple[etree._Element | None, list[Problem]]:
    if _local(root) != "definitions" or etree.QName(root).namespace not in DMN_NAMESPACES:
        found = _local(root) or "?"
        return None, [Problem(None, f"The file is not a DMN file: its root element is <{found}>.")]
    decisions = _children(root, "decision")
    if len(decisions) != 1:
        return None, [Problem(None, f"a DMN file must hold exactly one decision (this one has {len(decisions)})")]
    decision = decisions[0]
    key = decision.get("id") or ""
    if not _NAME.match(key):
        return None, [Problem(key or None, f"the decision id '{key}' must be a name like incident_notices")]
    return decision, []


def _table_problems(decision: etree._Element) -> list[Problem]:
    key, name = decision.get("id"), decision.get("name") or None
    tables = _children(decision, "decisionTable")
    if len(tables) != 1:
        return [Problem(key, "the decision must be one decision table", name)]
    table = tables[0]
    out = []
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES or table.get("aggregation"):
        shown = f"{policy} {table.get('aggregation') or ''}".strip()
        out.append(Problem(key, f"hit policy {shown} is not supported (use UNIQUE, FIRST or COLLECT)", name))
    inputs, outputs = _children(table, "input"), _children(table, "output")
    expressions = []
    for number, node in enumerate(inputs, 1):
        found = _children(node, "inputExpression")
        text = (_text_of(found[0]) or "").strip() if found else ""
        label = node.get("label") or str(number)
        error = check_expression(text) if text else "the expression is empty"
        if error:
            out.append(Problem(key, f"input '{label}': its expression is not valid: {error}", name))
        expressions.append(text or "None")
    if not outputs:
        out.append(Problem(key, "the decision table has no output", name))
    for number, node in enumerate(outputs, 1):
        variable = node.get("name") or ""
        if not _NAME.match(variable):
            label = node.get("label") or str(number)
            out.append(Problem(key, f"output '{label}' needs a name like bao_cap_tren (the variable it sets)", name))
    for number, rule in enumerate(_children(table, "rule"), 1):
        out += _rule_problems(rule, number, expressions, len(outputs), name)
    return out


def _rule_problems(rule: etree._Element, number: int, inputs: list[str], outputs: int, name: str | None):
    rid = rule.get("id") or None
    entries, results = _children(rule, "inputEntry"), _children(rule, "outputEntry")
    if len(entries) != len(inputs) or len(results) != outputs:
        return [Problem(rid, f"rule {number} has {len(entries)} input and {len(results)} output cells", name)]
    out = []
    for expression, entry in zip(inputs, entries, strict=True):
        test = input_test(_text_of(entry))
        error = check_expression(entry_expression(expression, test)) if test is not None else None
        if error:
            out.append(Problem(rid, f"rule {number}: input cell '{_text_of(entry)}' is not valid: {error}", name))
    for entry in results:
        cell = feel_literal(_text_of(entry))
        error = check_expression(cell) if cell else None
        if error:
            out.append(Problem(rid, f"rule {number}: output cell '{_text_of(entry)}' is not valid: {error}", name))
    return out


def _namespaces(root: etree._Element) -> dict[str, str]:
    return {"dmn": etree.QName(root).namespace}


def _prepared(root: etree._Element, filename: str) -> DecisionTable:
    parser = DMNParser(None, root, _namespaces(root), filename=filename)
    parser.parse()
    table = parser.decision.decisionTables[0]
    for rule in table.rules:
        for entry in rule.inputEntries:
            entry.lhs = [input_test(text) for text in entry.lhs]
        for entry in rule.outputEntries:
            entry.text = feel_literal(entry.text) or ""
    return table


def load_decision(
    data: bytes | str, *, filename: str = "upload.dmn", max_bytes: int = DEFAULT_MAX_BYTES
) -> DecisionFile:
    """Read a DMN file safely (no DOCTYPE or entities, size cap) and check it; DefinitionError with every
    problem, each naming the decision or the rule, when it cannot be deployed."""
    root = parse_untrusted_xml(data, max_bytes=max_bytes)
    decision, problems = _decision_element(root)
    if decision is None:
        raise _refused(problems)
    problems = _table_problems(decision)
    if problems:
        raise _refused(problems)
    try:
        table = _prepared(root, filename)
    except (ValidationException, KeyError, IndexError, AttributeError) as exc:
        problem = Problem(decision.get("id"), f"the decision table cannot be read: {exc}", decision.get("name"))
        raise _refused([problem]) from exc
    return DecisionFile(decision.get("id"), decision.get("name") or decision.get("id"), to_bytes(root), table)


def decision_problems(data: bytes | str) -> list[Problem]:
    """Every problem that stops this DMN file from being deployed; [] when it can be."""
    try:
        load_decision(data)
    except DefinitionError as exc:
        return exc.problems or [Problem(None, str(exc))]
    return []


_tables: dict[tuple[int, str], DecisionTable] = {}
_lock = threading.Lock()


def decision_table(record: DecisionRecord) -> DecisionTable:
    """A deployed version's table, prepared once per process (a version never changes)."""
    key = (record.id, record.sha256)
    with _lock:
        table = _tables.get(key)
    if table is None:
        table = load_decision(record.xml, filename=f"{record.decision_key}.dmn").table
        with _lock:
            _tables[key] = table
    return table


__all__ = [
    "HIT_POLICIES",
    "DecisionFile",
    "decision_problems",
    "decision_table",
    "feel_literal",
    "input_test",
    "load_decision",
    "entry_expression",
]
