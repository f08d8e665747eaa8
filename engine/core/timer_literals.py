"""ISO-8601 timer literals as modellers write them (`PT72H`, `2022-08-31T17:00:00+07:00`, `R3/PT1H`), and the
Python expression SpiffWorkflow evaluates for them (the literal quoted)."""

from __future__ import annotations

import json
import re

from lxml import etree

from engine.core.xmlsafe import BPMN_MODEL_NS

_N = r"\d+(?:[.,]\d+)?"
_DURATION = rf"P(?=\d|T\d)(?:{_N}Y)?(?:{_N}M)?(?:{_N}W)?(?:{_N}D)?(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?"
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
_DATE = rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}-?W\d{{2}}-?\d)(?:[T ]{_TIME})?"
_CYCLE = rf"R\d*/(?:{_DATE}/{_DURATION}|{_DURATION}(?:/{_DATE})?)"

ISO_DURATION = re.compile(rf"^{_DURATION}$")
ISO_DATE = re.compile(rf"^{_DATE}$")
ISO_CYCLE = re.compile(rf"^{_CYCLE}$")
ISO_LITERAL = re.compile(rf"^(?:{_DURATION}|{_DATE}|{_CYCLE})$")

TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}


def iso_literal_kind(text: str | None) -> str | None:
    """'duration', 'date' or 'cycle' when `text` is a bare ISO-8601 literal, else None."""
    value = (text or "").strip()
    for kind, pattern in (("duration", ISO_DURATION), ("date", ISO_DATE), ("cycle", ISO_CYCLE)):
        if pattern.match(value):
            return kind
    return None


def is_iso_literal(text: str | None) -> bool:
    """True when `text` is a bare ISO-8601 duration, date(-time) or repeating interval."""
    return iso_literal_kind(text) is not None


def timer_expression(text: str | None) -> str | None:
    """The Python expression SpiffWorkflow should evaluate: ISO literals quoted, anything else unchanged."""
    if text is not None and is_iso_literal(text):
        return json.dumps(text.strip())
    return text


def quote_iso_timers(root: etree._Element) -> None:
    """Quote ISO-8601 timer literals in an lxml tree in place (CascadeParser already does it while parsing)."""
    for tag in TIMER_KINDS:
        for node in root.iter(f"{{{BPMN_MODEL_NS}}}{tag}"):
            if node.text is not None and is_iso_literal(node.text):
                node.text = timer_expression(node.text)
