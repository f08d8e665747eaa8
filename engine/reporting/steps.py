"""The service tasks of a school's report instance (`school_report.bpmn`): prefill, guard, record the status,
remind once per due event, apply the office's decision on an extension, and tell the school what the office
decided. A step of a stale instance (a duplicate, one cancelled or replaced) never changes an accepted report."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError, TaskAlreadyCompletedError
from engine.core.forms import form_fields
from engine.core.ports import Actor, InstanceRecord, Store
from engine.core.runtime import ServiceCall, end_of_day
from engine.reporting.ports import PeriodRecord, SubmissionRecord
from engine.reporting.rules import notice_key, stale_reason

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

log = logging.getLogger(__name__)
OPENING_HOUR = time(8, 0)
SCHOOL_PEOPLE = "staff@self,principal@self"  # who hears the office's decisions unless the diagram says otherwise
# Incident categories that fill section D of a school's report.
INCIDENT_FIELDS = {
    "traffic_accident": "d_traffic_violations",
    "fight": "d_fights",
    "school_violence": "d_school_violence",
    "drugs": "d_drug_cases",
    "child_abuse": "d_child_abuse",
    "injury_accident": "d_injuries",
}


def at_hour(day: date, hour: time = OPENING_HOUR) -> datetime:
    return datetime.combine(day, hour, VN_TZ)


def period_of(call: ServiceCall) -> int:
    opened = call.data.get("report_period_opened") or call.data.get("compile_period") or {}
    if not opened.get("period_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no reporting period")
    return int(opened["period_id"])


def report_fields(engine: Cascade, store: Store):
    """The indicator fields as the school report's diagram declares them (edit the form, the compilation
    follows)."""
    definition = store.latest_definition("school_report")
    spec, subs = engine.runtime.specs(definition)
    for process in [spec, *subs.values()]:
        task = process.task_specs.get("fill_report")
        if task is not None:
            return form_fields(task)
    raise EngineError("school_report has no fill_report task")


def _load(store: Store, instance: InstanceRecord, call: ServiceCall) -> tuple[PeriodRecord, SubmissionRecord]:
    period = store.period(period_of(call))
    submission = store.submission(period.id, instance.org_id)
    if submission is None:
        raise EngineError(f"{call.bpmn_id}: no report of this school in period {period.id}")
    return period, submission


def period_closed(store: Store, period: PeriodRecord) -> bool:
    """Closed once the office's compiling instance has finished (its compiled report has been sent)."""
    return period.compile_instance_id is not None and store.instance(period.compile_instance_id).status != "running"


def _refusal(store, instance, period, submission, step: str) -> str | None:
    return stale_reason(
        status=submission.status,
        period_closed=period_closed(store, period),
        instance_running=instance.status == "running",
        linked_instance_id=submission.instance_id,
        instance_id=instance.id,
        step=step,
    )


def _guard(store, instance, period, submission, call: ServiceCall, step: str) -> None:
    """Refuse the completion that led here (409; the caller's transaction is rolled back, nothing changes)."""
    reason = _refusal(store, instance, period, submission, step)
    if reason:
        log.info("report step %s of instance %s refused: %s", call.bpmn_id, instance.id, reason)
        raise TaskAlreadyCompletedError(reason)


def _tell_school(engine, store, instance, call, submission, title: str, body: str) -> None:
    targets = call.properties.get("notify") or SCHOOL_PEOPLE
    pairs = engine.candidates(store, instance, [t.strip() for t in targets.split(",") if t.strip()])
    users = sorted({u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)})
    store.notify(users, title, body, f"/reports/submissions/{submission.id}", clock.now())


def _comment(call: ServiceCall, field: str) -> str:
    text = str(call.data.get(field) or "").strip()
    return f"Ý kiến của Phòng GDĐT: {text}" if text else "Phòng GDĐT không ghi ý kiến."


# -- the service tasks ------------------------------------------------------------------------------------
def prefill_report(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Link the submission to this instance (unless another running instance has it: a duplicate delivery
    leaves the report with the first) and prefill section D from the incidents Cascade recorded."""
    period, submission = _load(store, instance, call)
    linked = store.instance(submission.instance_id) if submission.instance_id else None
    if linked is None or (linked.status != "running" and submission.status != "accepted"):
        store.set_submission(submission.id, instance_id=instance.id)
    counts = store.incident_counts(
        instance.org_id, at_hour(period.start, time(0)), at_hour(period.end + timedelta(days=1), time(0))
    )
    data = {field: 0 for field in INCIDENT_FIELDS.values()}
    for (category, _severity), count in counts.items():
        if category in INCIDENT_FIELDS:
            data[INCIDENT_FIELDS[category]] += count
    return {**data, "ket_qua_xem_xet": ""}


def check_report(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """After the school fills or signs: refuse when the report was accepted, the period closed, the instance
    is no longer running, or the report is under review from another instance."""
    period, submission = _load(store, instance, call)
    _guard(store, instance, period, submission, call, "fill")
    return {}


def report_status(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """submitted: keep the figures and whether they came in time; returned/accepted: the office's review (a
    returned report is announced to the school with the office's comment). Never changes an accepted report."""
    period, submission = _load(store, instance, call)
    status = call.properties.get("status") or str(call.data.get(call.properties.get("statusField", ""), ""))
    status = {"accept": "accepted", "return": "returned"}.get(status, status)
    if status == "accepted" and submission.status == "accepted" and submission.instance_id == instance.id:
        return {}  # filing what this instance's review accepted in the same step
    _guard(store, instance, period, submission, call, "submit" if status == "submitted" else "review")
    now = clock.now()
    fields: dict = {"status": status}
    if status == "submitted":
        numeric = [f.id for f in report_fields(engine, store) if f.type in ("long", "boolean")]
        fields["values"] = {k: call.data.get(k) for k in numeric} | {
            k: call.data.get(k) for k in ("tinh_hinh", "de_xuat") if k in call.data
        }
        fields["instance_id"] = instance.id  # the report now belongs to the instance that sent it
        if submission.submitted_at is None:
            deadline = end_of_day(submission.extended_until or submission.due)
            fields.update(submitted_at=now, on_time=now <= deadline)
    elif status == "returned":
        fields["returns"] = submission.returns + 1
    elif status == "accepted":
        fields["accepted_at"] = now
    store.set_submission(submission.id, **fields)
    if status == "returned":
        title = f"Báo cáo {period.label} bị Phòng GDĐT trả lại để sửa"
        _tell_school(engine, store, instance, call, submission, title, _comment(call, "y_kien_phong"))
    return {}


def _first_notice(store: Store, submission_id: int, key: str) -> bool:
    """True when this reminder has not gone out yet, and records it."""
    return store.record_report_notice(submission_id, key)


def chase(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Remind or chase (đôn đốc) unless the report is in, or an extension still runs: once per submission and
    due event, however many instances or runs reach it."""
    period, submission = _load(store, instance, call)
    if submission.status in ("submitted", "accepted"):
        return {}
    if submission.extended_until and clock.now() <= end_of_day(submission.extended_until):
        return {}
    due = submission.extended_until or submission.due
    key = notice_key(call.bpmn_id, due)
    if submission.instance_id != instance.id or not _first_notice(store, submission.id, key):
        store.audit(
            Actor.system(), "report.notice_skipped", instance_id=instance.id, detail={"key": key}, at=clock.now()
        )
        return {}
    school = store.org(instance.org_id)
    title = (call.properties.get("title") or "Báo cáo {period}").format(
        period=period.label, due=due.strftime("%d/%m/%Y"), school=school.name
    )
    pairs = engine.candidates(store, instance, [t for t in (call.properties.get("targets") or "").split(",") if t])
    users = sorted({u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)})
    store.notify(users, title, f"{school.name} — {period.label}", f"/reports/periods/{period.id}", clock.now())
    return {}


def apply_extension(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Grant (new deadline on the submission and the open task) or refuse, and tell the school with the
    office's comment. A decision on a report already accepted, or in a closed period, changes nothing."""
    period, submission = _load(store, instance, call)
    granted = call.data.get("gia_han") == "grant"
    if _refusal(store, instance, period, submission, "fill"):
        store.audit(
            Actor.system(),
            "report.extension_moot",
            instance_id=instance.id,
            detail={"submission_id": submission.id, "status": submission.status, "granted": granted},
            at=clock.now(),
        )
        return {}
    comment = _comment(call, "y_kien_gia_han")
    if granted:
        requested = (call.data.get("extension_requested") or {}).get("until")
        until = date.fromisoformat(str(call.data.get("han_moi") or requested))
        store.set_submission(submission.id, extended_until=until)
        store.set_open_task_due(instance.id, "fill_report", end_of_day(until))
        title = f"Phòng GDĐT đồng ý gia hạn báo cáo {period.label} đến ngày {until:%d/%m/%Y}"
    else:
        store.set_submission(submission.id, extension_refused=True)
        due = submission.extended_until or submission.due
        title = f"Phòng GDĐT không đồng ý gia hạn báo cáo {period.label}; hạn nộp vẫn là {due:%d/%m/%Y}"
    _tell_school(engine, store, instance, call, submission, title, comment)
    return {}


HANDLERS = {
    "prefill_report": prefill_report,
    "check_report": check_report,
    "report_status": report_status,
    "chase": chase,
    "apply_extension": apply_extension,
}
