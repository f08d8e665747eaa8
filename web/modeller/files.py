"""The BPMN file as the modeller sends and reads it: safety, process ids, bpmnlint, the roles and messages a
deploy is checked against."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from lxml import etree

from engine.core.errors import DefinitionError, Problem
from engine.core.problem_text import problem_json
from engine.core.validation import caught_messages, definition_warnings, validate_definition
from engine.core.xmlsafe import BPMN_MODEL_NS, parse_xml, rewrite_foreign_camunda_namespace, to_bytes
from models.roles import ROLES
from web.deps import store
from web.filters import role_label
from web.locale import lang
from web.modeller import lint

B = f"{{{BPMN_MODEL_NS}}}"


def for_modeller(xml: bytes) -> bytes:
    """The file as bpmn-js reads it without loss: `<bpmn:loopMaximum>` written as a child element (Cascade's
    parser reads both forms; bpmn-js keeps only the standard attribute) becomes the attribute."""
    root = parse_xml(xml)
    changed = False
    for loop in root.iter(B + "standardLoopCharacteristics"):
        child = loop.find(B + "loopMaximum")
        if child is None:
            continue
        if loop.get("loopMaximum") is None and (child.text or "").strip():
            loop.set("loopMaximum", child.text.strip())
        loop.remove(child)
        changed = True
    return to_bytes(root) if changed else xml


def process_ids(root: etree._Element) -> list[str]:
    return [p.get("id") for p in root.iter(B + "process") if p.get("id")]


def problems_json(problems: list[Problem]) -> list[dict]:
    """Each problem with its element's name and id, in the user's language."""
    return [problem_json(p, lang()) for p in problems]


def lint_json(found: list[lint.LintProblem]) -> tuple[list[dict], list[dict]]:
    def entry(p: lint.LintProblem) -> dict:
        text = f"{p.message} (bpmnlint: {p.rule})"  # bpmnlint's rules speak English only
        return {"element": p.element, "name": None, "message": text, "message_en": text}

    return [entry(p) for p in found if p.error], [entry(p) for p in found if not p.error]


def known_messages(excluding: set[str]) -> set[str]:
    """Message names the latest versions of the other processes catch."""
    out: set[str] = set()
    for definition in store().latest_definitions():
        if definition.process_key not in excluding:
            out |= caught_messages(parse_xml(definition.xml))
    return out


def is_deployed(process_id: str) -> bool:
    """Whether a process a call activity names in another file is deployed (the latest version is called)."""
    return store().latest_definition(process_id) is not None


def is_decided(decision_key: str) -> bool:
    """Whether the DMN decision a business rule task evaluates is deployed (its latest version is evaluated)."""
    return store().latest_decision(decision_key) is not None


def known_roles() -> set[str]:
    return set(ROLES)


def roles_offered() -> list[dict]:
    return [{"id": code, "label": role_label(code)} for code in ROLES]


def request_xml() -> bytes:
    payload = request.get_json(silent=True) or {}
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        abort(400)
    return xml.encode("utf-8")


def safe_root(xml: bytes) -> etree._Element:
    """Hostile or non-BPMN XML raises DefinitionError (engine/core/xmlsafe.py); a foreign camunda: prefix is
    mapped."""
    return rewrite_foreign_camunda_namespace(parse_xml(xml))


def key_missing(process_key: str) -> dict:
    message = _("Sơ đồ không còn quy trình có mã %(key)s (mã quy trình không được đổi).", key=process_key)
    return {"element": None, "message": message}


def check(process_key: str, xml: bytes) -> tuple[bytes, list[dict], list[dict], set[str]]:
    """Safety, the process id, bpmnlint; returns the canonical XML, errors, warnings and the file's processes."""
    root = safe_root(xml)
    pids = set(process_ids(root))
    errors = [] if process_key in pids else [key_missing(process_key)]
    canonical = to_bytes(root)
    lint_errors, warnings = lint_json(lint.bpmnlint(for_modeller(canonical)))
    return canonical, errors + lint_errors, warnings, pids


def validation_errors(process_key: str, xml: bytes) -> tuple[bytes, list[dict], list[dict], set[str]]:
    """`check` and the engine's deploy-time validation: every error a deploy would refuse."""
    canonical, errors, warnings, pids = check(process_key, xml)
    problems = validate_definition(
        canonical,
        known_roles=known_roles(),
        known_messages=known_messages(pids),
        deployed=is_deployed,
        decided=is_decided,
    )
    engine_warnings = [] if problems else problems_json(definition_warnings(canonical))
    return canonical, errors + problems_json(problems), warnings + engine_warnings, pids


def deployable(process_key: str, xml: bytes) -> tuple[bytes, list[dict], set[str]]:
    """The canonical XML, bpmnlint's warnings and the file's processes; raises DefinitionError naming every
    problem when bpmnlint (or the key check) refuses it."""
    canonical, errors, warnings, pids = check(process_key, xml)
    if errors:
        problems = validate_definition(
            canonical,
            known_roles=known_roles(),
            known_messages=known_messages(pids),
            deployed=is_deployed,
            decided=is_decided,
        )
        raise DefinitionError("bpmnlint", [Problem(e["element"], e["message"]) for e in errors] + problems)
    return canonical, warnings + problems_json(definition_warnings(canonical)), pids
