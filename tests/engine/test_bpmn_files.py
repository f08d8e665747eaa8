"""Cascade's own diagrams are valid BPMN 2.0 (SpiffWorkflow's BpmnValidator, the OMG schema): loop limits are the
`loopMaximum` attribute, which every modeller keeps on save. A file written the older way (a `<bpmn:loopMaximum>`
child element, which the schema refuses and bpmn-js drops) deploys with its limit kept and is stored valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.core.parser import load_definition
from engine.core.xmlsafe import schema_valid_bytes

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SHIPPED = sorted(WORKFLOWS.glob("*.bpmn"))


def child_element_form(xml: bytes) -> bytes:
    """The same file with its loop limits written as child elements (how Cascade wrote them before)."""
    root = etree.fromstring(xml)
    ns = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    for loop in root.iter(f"{ns}standardLoopCharacteristics"):
        maximum = loop.attrib.pop("loopMaximum", None)
        if maximum is not None:
            etree.SubElement(loop, f"{ns}loopMaximum").text = maximum
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def loop_limits(xml: bytes) -> dict[str, int]:
    definition = load_definition(xml)
    return {
        f"{pid}/{name}": spec.maximum
        for pid, (process, _subs) in definition.specs.items()
        for name, spec in process.task_specs.items()
        if type(spec).__name__ == "StandardLoopTask"
    }


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_workflow_is_valid_bpmn(path):
    BpmnValidator().validate(etree.parse(str(path)), path.name)


def test_the_schema_refuses_the_child_element_form():
    old = child_element_form((WORKFLOWS / "school_plan.bpmn").read_bytes())
    with pytest.raises(ValidationException, match="loopMaximum"):
        BpmnValidator().validate(etree.ElementTree(etree.fromstring(old)), "old.bpmn")


@pytest.mark.parametrize("name", ["directive_plan", "school_plan", "incident", "compile_report"])
def test_an_older_file_keeps_its_loop_limits_and_is_stored_valid(name):
    current = (WORKFLOWS / f"{name}.bpmn").read_bytes()
    old = child_element_form(current)
    assert b"<bpmn:loopMaximum>" in old
    limits = loop_limits(current)
    assert limits and all(limit >= 20 for limit in limits.values())
    assert loop_limits(old) == limits
    stored = load_definition(old).xml  # what a deploy stores
    BpmnValidator().validate(etree.ElementTree(etree.fromstring(stored)), f"{name}.bpmn")
    assert loop_limits(schema_valid_bytes(old)) == limits
