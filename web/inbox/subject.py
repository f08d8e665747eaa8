"""What a task is about, read-only, for the top of its page: the draft being approved with its rounds (each
submission and each decision, newest first, and what changed since the last return), the school's report with
last period's figures beside it, the incident being confirmed or received, the plan being accepted, and a school's
Circular 124 year (its window and deadlines, the criteria with the evidence recorded so far, the checklist's
findings, the meeting, the dossier's files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.core.forms import form_fields
from engine.incidents import rules as incident_rules
from engine.tt124 import rules as tt124_rules
from models import db
from models.document import DocumentFile
from models.incident import Incident
from models.report import ReportPeriod, ReportSubmission
from models.tt124 import Tt124Evidence, Tt124Participation
from models.workflow import AuditEvent, HumanTask
from web import queries
from web.deps import cascade, store
from web.filters import comment_of, decision_of

DRAFT_PROCESSES = ("directive_plan", "school_plan", "compile_report")
TT124_DECISION_KINDS = ("quyet_dinh", "giay_cong_nhan")  # as web/tt124/common.py (importing it would be circular)
DRAFT_KEYS = ("trich_yeu", "noi_dung", "kinh_phi", "han_nop", "loai_van_ban", "noi_nhan")


@dataclass
class Round:
    """One completed step of the instance: a submission of the draft or a decision on it."""

    at: datetime
    who: str
    step: str  # the task's name ("vi | en")
    decision: str | None  # approve | return | accept | … (None: a submission)
    comment: str
    summary: str  # the draft's summary line as submitted
    changed: list[str] = field(default_factory=list)  # draft fields changed since the previous submission


@dataclass
class Subject:
    kind: str  # draft | report | incident | tt124 | none
    rounds: list[Round] = field(default_factory=list)
    report: ReportSubmission | None = None
    previous: ReportSubmission | None = None
    labels: dict[str, str] = field(default_factory=dict)
    incident: Incident | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def is_draft(data: dict) -> bool:
    return decision_of(data) is None and any(k in data for k in DRAFT_KEYS)


def rounds(events: list[AuditEvent]) -> list[Round]:
    """The draft's rounds from the instance's completions (given newest first), newest first."""
    out: list[Round] = []
    drafts = [e for e in events if is_draft((e.detail or {}).get("data", {}))]
    for e in events:
        data = (e.detail or {}).get("data", {})
        drafted = e in drafts
        changed = []
        if drafted:
            older = drafts[drafts.index(e) + 1] if drafts.index(e) + 1 < len(drafts) else None
            if older is not None:
                before = older.detail.get("data", {})
                changed = [k for k in DRAFT_KEYS if k in data and data.get(k) != before.get(k)]
        out.append(
            Round(
                at=e.at,
                who=e.user.full_name if e.user else "",
                step=(e.detail or {}).get("name", ""),
                decision=None if drafted else decision_of(data),
                comment=comment_of(data),
                summary=data.get("trich_yeu", "") if isinstance(data.get("trich_yeu"), str) else "",
                changed=changed,
            )
        )
    return out


def field_labels(process_key: str = "school_report", task_id: str = "fill_report") -> dict[str, str]:
    """The labels of the form the school filled (latest deployed version), in its order."""
    definition = store().latest_definition(process_key)
    if definition is None:
        return {}
    spec, subs = cascade().runtime.specs(definition)
    for process in [spec, *subs.values()]:
        task = process.task_specs.get(task_id)
        if task is not None:
            return {f.id: f.label for f in form_fields(task)}
    return {}


def previous_submission(s: ReportSubmission) -> ReportSubmission | None:
    """The same school's report for the regime's period before this one."""
    stmt = (
        select(ReportSubmission)
        .join(ReportPeriod, ReportPeriod.id == ReportSubmission.period_id)
        .where(
            ReportSubmission.school_id == s.school_id,
            ReportPeriod.regime_id == s.period.regime_id,
            ReportPeriod.end < s.period.start,
        )
        .order_by(ReportPeriod.end.desc())
        .limit(1)
    )
    return db.session.scalars(stmt).first()


def _report(task: HumanTask) -> Subject:
    s = db.session.scalars(select(ReportSubmission).where(ReportSubmission.instance_id == task.instance_id)).first()
    events = queries.completions([task.instance_id])
    return Subject(
        "report",
        rounds=[r for r in rounds(events) if r.decision],
        report=s,
        previous=previous_submission(s) if s is not None else None,
        labels=field_labels(),
    )


def _incident(task: HumanTask) -> Subject:
    stmt = (
        select(Incident)
        .where(Incident.instance_id == task.instance_id)
        .options(selectinload(Incident.attachments), selectinload(Incident.updates))
    )
    incident = db.session.scalars(stmt).first()
    rules = {
        "categories": incident_rules.CATEGORIES,
        "severities": incident_rules.SEVERITIES,
        "roles": incident_rules.ROLES_INVOLVED,
        "actions": incident_rules.ACTIONS,
        "locations": incident_rules.LOCATIONS,
        "update_kinds": incident_rules.UPDATE_KINDS,
    }
    return Subject("incident" if incident is not None else "none", incident=incident, extra=rules)


def _tt124(task: HumanTask) -> Subject:
    stmt = (
        select(Tt124Participation)
        .where(Tt124Participation.instance_id == task.instance_id)
        .options(
            selectinload(Tt124Participation.evidence).selectinload(Tt124Evidence.attachments),
            selectinload(Tt124Participation.files),
        )
    )
    p = db.session.scalars(stmt).first()
    if p is None:
        return Subject("none")
    extra = {
        "p": p,
        "cal": tt124_rules.calendar(p.cycle.year),
        "criteria": tt124_rules.CRITERIA,
        "statuses": tt124_rules.STATUSES,
        "evidence_by": {n: [e for e in p.evidence if e.criterion == n] for n in tt124_rules.CRITERIA},
        "dossier": [f for f in p.files if f.kind not in TT124_DECISION_KINDS],
        "decision_files": [f for f in p.files if f.kind in TT124_DECISION_KINDS],
    }
    return Subject("tt124", extra=extra)


def _plan(task: HumanTask) -> Subject:
    """A school's plan: its rounds, the school, and the directive it answers with that directive's files (the
    plan itself has files only once numbered, after the office accepts it)."""
    ids = [i for i in (task.instance.directive_id, *(d.id for d in queries.issued_by_instance(task.instance_id))) if i]
    columns = (DocumentFile.id, DocumentFile.document_id, DocumentFile.filename, DocumentFile.kind, DocumentFile.size)
    stmt = select(*columns).where(DocumentFile.document_id.in_(ids)).order_by(DocumentFile.id)
    files = list(db.session.execute(stmt)) if ids else []
    extra = {"school": task.instance.org, "directive": queries.document(task.instance.directive_id), "files": files}
    return Subject("plan", rounds=rounds(queries.completions([task.instance_id])), extra=extra)


def subject_for(task: HumanTask) -> Subject:
    """The subject of this task's page, by the process its instance runs."""
    key = task.instance.process_key
    if key == "school_report":
        return _report(task)
    if key == "incident":
        return _incident(task)
    if key == "tt124_cycle":
        return _tt124(task)
    if key == "school_plan":
        return _plan(task)
    if key in DRAFT_PROCESSES:
        return Subject("draft", rounds=rounds(queries.completions([task.instance_id])))
    return Subject("none")


def return_notes(rows) -> dict[int, Round]:
    """For the inbox rows that came back: the newest return of their instance (who, when, the comment)."""
    wanted = {r.instance_id for r in rows if r.returned}
    notes: dict[int, Round] = {}
    for e in queries.completions(wanted):
        data = (e.detail or {}).get("data", {})
        if e.instance_id not in notes and decision_of(data) == "return":
            who = e.user.full_name if e.user else ""
            notes[e.instance_id] = Round(e.at, who, e.detail.get("name", ""), "return", comment_of(data), "")
    return notes
