"""The cascade of one document: the organisations it reached, what each did, who is late, rolled up per level.

Read-only. A node is a recipient of a document; its children are the recipients of the plan that recipient
issued to implement it (811/KH-PGDĐT under Phòng GDĐT under 05-KH/BCĐ), and so on down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import db
from models.document import Document, DocumentRecipient, DocumentRelation
from models.org import Organisation
from models.workflow import HumanTask, ProcessInstance

STATUS_ORDER = ("late", "in_progress", "not_started", "done", "copy")


@dataclass
class Node:
    org_name: str
    org_id: int
    purpose: str
    status: str  # done | in_progress | not_started | late | copy
    delivered_at: datetime | None = None
    responded_at: datetime | None = None
    instance_id: int | None = None
    current_steps: list[str] = field(default_factory=list)
    late_tasks: int = 0
    plan: Document | None = None
    response: Document | None = None
    children: list[Node] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # roll-up over this node's whole subtree
    school_level: str | None = None  # MN, TH, THCS, TH&THCS, THPT for a school
    ward: str | None = None  # the ward (phường/xã) the organisation sits in


def build(document: Document, now: datetime, today: date, depth: int = 0) -> list[Node]:
    """Nodes for every recipient of `document`, each with its own subtree (bounded to 6 levels)."""
    recipients = list(
        db.session.scalars(
            select(DocumentRecipient)
            .where(DocumentRecipient.document_id == document.id)
            .options(joinedload(DocumentRecipient.org).joinedload(Organisation.ward))
            .order_by(DocumentRecipient.id)
        )
    )
    instance_ids = [r.instance_id for r in recipients if r.instance_id]
    instances = {
        i.id: i for i in db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(instance_ids)))
    }
    late = (
        dict(
            db.session.execute(
                select(HumanTask.instance_id, db.func.count())
                .where(HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open", HumanTask.due_at < now)
                .group_by(HumanTask.instance_id)
            ).all()
        )
        if instance_ids
        else {}
    )
    plans = {}
    if instance_ids:
        for plan in db.session.scalars(select(Document).where(Document.issuing_instance_id.in_(instance_ids))):
            plans[plan.issuing_instance_id] = plan
    responses = {}
    response_ids = [r.response_document_id for r in recipients if r.response_document_id]
    if response_ids:
        responses = {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(response_ids)))}

    nodes = []
    for r in recipients:
        node = Node(
            org_name=r.org.name,
            org_id=r.org_id,
            purpose=r.purpose,
            school_level=r.org.school_level,
            ward=r.org.ward.short_name if r.org.ward is not None else None,
            status="copy",
            delivered_at=r.delivered_at,
            responded_at=r.responded_at,
            instance_id=r.instance_id,
            response=responses.get(r.response_document_id),
        )
        instance = instances.get(r.instance_id)
        if r.purpose in ("thuc_hien", "phoi_hop"):
            node.late_tasks = late.get(r.instance_id, 0)
            if instance is not None:
                node.current_steps = list((instance.summary or {}).get("current", []))
            if r.responded_at or (instance is not None and instance.status == "completed"):
                node.status = "done"
            elif node.late_tasks or (
                document.response_due and today > document.response_due and r.purpose == "thuc_hien"
            ):
                node.status = "late"
            elif instance is not None:
                node.status = "in_progress"
            else:
                node.status = "not_started"
            plan = plans.get(r.instance_id)
            node.plan = plan
            if plan is not None and depth < 6 and plan.id != document.id:
                node.children = build(plan, now, today, depth + 1)
        node.counts = rollup(node)
        nodes.append(node)
    return nodes


def rollup(node: Node) -> dict[str, int]:
    counts = {s: 0 for s in STATUS_ORDER}
    counts[node.status] += 1
    for child in node.children:
        for key, value in child.counts.items():
            counts[key] += value
    return counts


def totals(nodes: list[Node]) -> dict[str, int]:
    counts = {s: 0 for s in STATUS_ORDER}
    for node in nodes:
        for key, value in node.counts.items():
            counts[key] += value
    return counts


def flatten(nodes: list[Node]) -> list[Node]:
    """Every node of the tree, parents before their children."""
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def grouped(nodes: list[Node], by: str) -> list[tuple[str, list[Node], dict[str, int]]]:
    """The nodes grouped by school level or by ward (`by`: "level" | "ward"), each group with its counts;
    groups in name order, the ungrouped ("") last."""
    groups: dict[str, list[Node]] = {}
    for node in nodes:
        key = (node.school_level if by == "level" else node.ward) or ""
        groups.setdefault(key, []).append(node)
    out = []
    for key in sorted(groups, key=lambda k: (k == "", k)):
        counts = {s: 0 for s in STATUS_ORDER}
        for node in groups[key]:
            counts[node.status] += 1
        out.append((key, groups[key], counts))
    return out


def parent_documents(document: Document) -> list[tuple[str, Document]]:
    return [
        (rel.kind, rel.to)
        for rel in db.session.scalars(
            select(DocumentRelation)
            .where(DocumentRelation.from_id == document.id)
            .options(joinedload(DocumentRelation.to))
        )
    ]
