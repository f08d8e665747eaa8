"""An instance's diagram for everyone who may see the instance: its own version, the engine's state marked."""

from __future__ import annotations

from flask import Response, abort, jsonify
from flask_babel import gettext as _
from flask_login import login_required
from lxml import etree

from engine.core.diagram import element_states
from engine.core.xmlsafe import parse_xml
from models.workflow import ProcessInstance
from web.deps import current_actor, store
from web.filters import bilingual, role_label, vn_datetime
from web.locale import lang
from web.modeller import reads
from web.modeller.blueprint import bp
from web.modeller.files import B, for_modeller
from web.ops.reads import open_failure_elements


def _visible_instance(instance_id: int) -> ProcessInstance:
    row = reads.visible_instance(current_actor(), instance_id)
    if row is None:
        abort(404)
    return row


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def instance_diagram_xml(instance_id: int):
    row = _visible_instance(instance_id)
    return Response(for_modeller(row.definition.xml), mimetype="application/xml")


def _task_infos(instance_id: int, root: etree._Element) -> dict[str, list[dict]]:
    """The open tasks' assignee, candidates and deadline by BPMN id; a collapsed sub-process shows the open
    tasks inside it too (its own plane is one click away)."""
    tasks: dict[str, list[dict]] = {}
    for task, org_names in reads.open_tasks(instance_id):
        candidates = ", ".join(f"{role_label(c.role)} — {org_names.get(c.org_id, '')}" for c in task.candidates)
        tasks.setdefault(task.bpmn_id, []).append(
            {
                "name": bilingual(task.name),
                "assignee": task.assignee.full_name if task.assignee else None,
                "candidates": candidates,
                "due": vn_datetime(task.due_at) if task.due_at else None,
            }
        )
    for bpmn_id, infos in list(tasks.items()):
        node = next((e for e in root.iter(B + "*") if e.get("id") == bpmn_id), None)
        parent = node.getparent() if node is not None else None
        while parent is not None:
            if etree.QName(parent).localname in ("subProcess", "transaction") and parent.get("id"):
                tasks.setdefault(parent.get("id"), []).extend(infos)
            parent = parent.getparent()
    return tasks


def _labels() -> dict[str, str]:
    return {
        "assignee": _("Người nhận xử lý"),
        "unassigned": _("chưa ai nhận"),
        "candidates": _("Ai làm được"),
        "due": _("Hạn"),
    }


@bp.route("/instances/<int:instance_id>/diagram.json")
@login_required
def instance_diagram_state(instance_id: int):
    """The engine's real state (task rows) by BPMN id, and the open tasks' assignee and deadline."""
    row = _visible_instance(instance_id)
    root = parse_xml(row.definition.xml)
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    states = element_states(store().load_state(instance_id), ids)
    for element_id in open_failure_elements(instance_id) & ids:  # a step that could not run (Lỗi vận hành)
        states[element_id] = "failed"
    return jsonify({"elements": states, "tasks": _task_infos(instance_id, root), "labels": _labels(), "lang": lang()})
