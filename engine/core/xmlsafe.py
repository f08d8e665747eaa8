"""Safe loading of uploaded BPMN XML: size cap, no DOCTYPE/entities, well-formedness and root checks."""

from __future__ import annotations

import re

from lxml import etree

from engine.core.errors import DefinitionError, Problem

BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"

DEFAULT_MAX_BYTES = 2_000_000

_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>", re.IGNORECASE)
_FOREIGN_NS_DECL = re.compile(
    rb"""(xmlns(?::[A-Za-z_][\w.\-]*)?\s*=\s*)(["'])""" + re.escape(ACTIVITI_NS.encode()) + rb"""/?\2"""
)


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
    )


def _refuse(message: str) -> DefinitionError:
    return DefinitionError(message, [Problem(None, message)])


def human_size(size: int) -> str:
    """Format a byte count the way the messages show it ("3.1 MB", "2 MB", "512 bytes")."""
    for unit, factor in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= factor:
            text = f"{size / factor:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return f"{size} bytes"


def _has_doctype_in_prolog(data: bytes) -> bool:
    """Scan the prolog (declaration, comments, processing instructions) for a DOCTYPE."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = len(data)
    while pos < end:
        while pos < end and data[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if data.startswith(b"<?", pos):
            close = data.find(b"?>", pos + 2)
            if close < 0:
                return False
            pos = close + 2
        elif data.startswith(b"<!--", pos):
            close = data.find(b"-->", pos + 4)
            if close < 0:
                return False
            pos = close + 3
        else:
            return data[pos : pos + 9].upper() == b"<!DOCTYPE"
    return False


def parse_xml(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse an uploaded BPMN file safely and return its root element.

    Raises DefinitionError for empty or oversized input, any DOCTYPE, XML that is not
    well-formed, and documents whose root is not a BPMN 2.0 `definitions` element.
    """
    root = parse_untrusted_xml(data, max_bytes=max_bytes)
    if root.tag != f"{{{BPMN_MODEL_NS}}}definitions":
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise _refuse(
            f"The file is not a BPMN 2.0 file: its root element is <{found}>, "
            "expected <bpmn:definitions> in the BPMN 2.0 model namespace."
        )
    return root


def parse_untrusted_xml(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse an uploaded XML file (BPMN, DMN) safely: DefinitionError for empty or oversized input, any
    DOCTYPE (so no entities) and XML that is not well-formed. The caller checks the root element."""
    if isinstance(data, str):
        data = _XML_DECLARATION.sub("", data, count=1).encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse_xml() expects bytes or str")
    data = bytes(data)
    if not data.strip():
        raise _refuse("The file is empty.")
    if len(data) > max_bytes:
        raise _refuse(
            f"The file is too large: the file is {human_size(len(data))}, the limit is {human_size(max_bytes)}."
        )
    if _has_doctype_in_prolog(data):
        raise _refuse(
            "The file contains a DOCTYPE declaration, which is not allowed (DTDs and entities are refused for safety)."
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else "?"
        raise _refuse(f"The file is not well-formed XML (line {line}): {exc.msg}")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _refuse(
            "The file contains a DOCTYPE declaration, which is not allowed (DTDs and entities are refused for safety)."
        )
    return root


def rewrite_foreign_camunda_namespace(root: etree._Element) -> etree._Element:
    """Map the Activiti namespace (which some tools bind to the `camunda:` prefix) to Camunda's.

    Returns the root to use from now on: the same element when nothing needed rewriting,
    otherwise a re-parsed copy whose `camunda:` elements and attributes use Camunda's namespace.
    """
    uses_foreign = any(
        (uri or "").rstrip("/") == ACTIVITI_NS for el in root.iter(tag=etree.Element) for uri in el.nsmap.values()
    )
    if not uses_foreign:
        return root
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    data = _FOREIGN_NS_DECL.sub(lambda m: m.group(1) + m.group(2) + CAMUNDA_NS.encode() + m.group(2), data)
    new_root = etree.fromstring(data, parser=_parser())
    # Anything still in the foreign namespace (declared oddly) is renamed element by element.
    foreign = f"{{{ACTIVITI_NS}}}"
    for el in new_root.iter(tag=etree.Element):
        if el.tag.startswith(foreign):
            el.tag = f"{{{CAMUNDA_NS}}}" + el.tag[len(foreign) :]
        for key in [k for k in el.attrib if k.startswith(foreign)]:
            value = el.attrib.pop(key)
            el.set(f"{{{CAMUNDA_NS}}}" + key[len(foreign) :], value)
    return new_root


def loop_maximum_as_attribute(root: etree._Element) -> etree._Element:
    """`<bpmn:loopMaximum>` written as a child element (older Cascade files) becomes the attribute the BPMN 2.0
    schema defines: bpmn-js and other modellers drop the child element on save, and with it the loop's limit.
    Changes the tree in place and returns it."""
    for loop in root.iter(f"{{{BPMN_MODEL_NS}}}standardLoopCharacteristics"):
        child = loop.find(f"{{{BPMN_MODEL_NS}}}loopMaximum")
        if child is None:
            continue
        if loop.get("loopMaximum") is None and (child.text or "").strip():
            loop.set("loopMaximum", child.text.strip())
        loop.remove(child)
    return root


def schema_valid_bytes(data: bytes) -> bytes:
    """A stored definition as a BPMN 2.0 file any modeller reads (loop limits as attributes)."""
    if b"loopMaximum>" not in data:
        return data
    return to_bytes(loop_maximum_as_attribute(parse_xml(data)))


def to_bytes(root: etree._Element) -> bytes:
    """Serialize a root element to canonical UTF-8 bytes with an XML declaration."""
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)
