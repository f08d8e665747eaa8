"""Two versions of a definition side by side: `diff_definitions(old_xml, new_xml)` lists the BPMN elements added,
removed and changed, compared by id with lxml (the diagram layout is ignored); each change says which attribute,
text or extension value differs. Running instances move with engine.core.migration."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.core.xmlsafe import BPMN_MODEL_NS, parse_xml

B = f"{{{BPMN_MODEL_NS}}}"
# Elements compared on their own: children of these containers that carry an id. Everything else nested
# inside (event definitions, extension elements, conditions, loop characteristics…) belongs to its owner.
CONTAINERS = {"definitions", "process", "subProcess", "transaction", "adHocSubProcess", "laneSet", "lane"}
IGNORED_CHILDREN = {"incoming", "outgoing", "flowNodeRef"}  # derived from the flows; bpmn-js rewrites them


# ---------------------------------------------------------------------------------------------------------
# Diff of two definition versions
# ---------------------------------------------------------------------------------------------------------
@dataclass
class ElementChange:
    element_id: str
    kind: str  # BPMN element type, e.g. userTask
    name: str
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (what, old, new)


@dataclass
class DefinitionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _qname(node: etree._Element, name: str) -> str:
    """`camunda:candidateGroups` style names for attributes and tags (prefix from the document)."""
    qn = etree.QName(name)
    if qn.namespace is None:
        return qn.localname
    if qn.namespace == BPMN_MODEL_NS:
        return qn.localname
    for prefix, uri in (node.nsmap or {}).items():
        if uri == qn.namespace and prefix:
            return f"{prefix}:{qn.localname}"
    return qn.localname


def _elements(root: etree._Element) -> dict[str, etree._Element]:
    """Every BPMN element compared on its own, by id."""
    out: dict[str, etree._Element] = {}

    def visit(container: etree._Element) -> None:
        for child in container:
            if not isinstance(child.tag, str) or not child.tag.startswith(B):
                continue
            local = etree.QName(child).localname
            if child.get("id"):
                out[child.get("id")] = child
            if local in CONTAINERS:
                visit(child)

    visit(root)
    return out


def _flatten(node: etree._Element, path: str, out: dict[str, str], own: set[int]) -> None:
    for key, value in sorted(node.attrib.items()):
        if key == "id" and not path:
            continue
        out[f"{path}@{_qname(node, key)}"] = value
    text = (node.text or "").strip()
    if text:
        out[f"{path}#text"] = text
    counts: dict[str, int] = {}
    for child in node:
        if not isinstance(child.tag, str) or id(child) in own:
            continue
        tag = _qname(child, child.tag)
        if etree.QName(child).localname in IGNORED_CHILDREN:
            continue
        label = child.get("id") or child.get("name")
        if label:
            step = f"{tag}[{label}]"
        else:
            counts[tag] = counts.get(tag, 0) + 1
            step = f"{tag}[{counts[tag]}]" if counts[tag] > 1 else tag
        _flatten(child, f"{path}{step}/", out, own)


def _describe(element: etree._Element, others: set[int]) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten(element, "", out, others)
    return {k.rstrip("/"): v for k, v in out.items()}


def _normalised(root: etree._Element) -> etree._Element:
    """`<bpmn:loopMaximum>` as a child element and as the attribute mean the same (Cascade reads both)."""
    for loop in root.iter(B + "standardLoopCharacteristics"):
        child = loop.find(B + "loopMaximum")
        if child is not None:
            if loop.get("loopMaximum") is None and (child.text or "").strip():
                loop.set("loopMaximum", child.text.strip())
            loop.remove(child)
    return root


def diff_definitions(old_xml: bytes, new_xml: bytes) -> DefinitionDiff:
    """Elements added, removed and changed (attributes, texts, extension elements) between two versions."""
    old_root, new_root = _normalised(parse_xml(old_xml)), _normalised(parse_xml(new_xml))
    old, new = _elements(old_root), _elements(new_root)
    old_own = {id(e) for e in old.values()}
    new_own = {id(e) for e in new.values()}
    diff = DefinitionDiff()

    def entry(eid: str, node: etree._Element) -> ElementChange:
        return ElementChange(eid, etree.QName(node).localname, node.get("name") or "")

    for eid, node in new.items():
        if eid not in old:
            diff.added.append(entry(eid, node))
    for eid, node in old.items():
        if eid not in new:
            diff.removed.append(entry(eid, node))
            continue
        before, after = _describe(node, old_own), _describe(new[eid], new_own)
        if etree.QName(node).localname != etree.QName(new[eid]).localname:
            before["type"], after["type"] = etree.QName(node).localname, etree.QName(new[eid]).localname
        changes = [
            (k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
        ]
        if changes:
            change = entry(eid, new[eid])
            change.changes = changes
            diff.changed.append(change)
    return diff
