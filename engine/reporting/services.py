"""Periodic reporting use cases and the service tasks of `school_report` / `compile_report`: open a period
(one instance per school and one compiling instance — no ever-growing loop), prefill from recorded
incidents, track each submission, chase, extensions, and compile the accepted reports."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError, NotAllowedError
from engine.core.forms import form_fields
from engine.core.ports import Actor, InstanceRecord, NewMessage, Store
from engine.core.runtime import ServiceCall, end_of_day
from engine.documents.distribution import default_distribution
from engine.reporting.rules import add_working_days, compile_reports, window

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

OPENING_HOUR = time(8, 0)
# Incident categories that fill section D of a school's report.
INCIDENT_FIELDS = {
    "traffic_accident": "d_traffic_violations",
    "fight": "d_fights",
    "school_violence": "d_school_violence",
    "drugs": "d_drug_cases",
    "child_abuse": "d_child_abuse",
    "injury_accident": "d_injuries",
}


def _at(day: date, hour: time = OPENING_HOUR) -> datetime:
    return datetime.combine(day, hour, VN_TZ)


def open_period(engine: Cascade, store: Store, actor: Actor, regime_id: int, year: int, index: int = 1) -> int:
    """Open one period of a regime: deadlines per level (≥ 1 working day after the cut-off, holidays
    skipped), the compiling instance at the receiver, and one report instance per reporting school."""
    regime = store.regime(regime_id)
    receiver = store.org(regime.receiver_id)
    if not (
        actor.user_id is None
        or actor.is_admin
        or (receiver.id in actor.org_scope and actor.roles & {"specialist", "leader", "deputy"})
    ):
        raise NotAllowedError("only the receiving office opens its reporting periods")
    w = window(regime.frequency, year, index)
    holidays = store.holidays()
    school_due = add_working_days(w.end, regime.school_deadline_days, holidays)
    office_due = add_working_days(school_due, regime.office_deadline_days, holidays)
    period = store.create_period(regime.id, w.label, w.start, w.end, school_due, office_due)
    schools = [o for o in store.orgs() if o.parent_id == receiver.id and o.kind == regime.reporter_kind]
    definition = store.latest_definition("compile_report")
    if definition is None:
        raise EngineError("the compile_report process is not deployed")
    compile_payload = {
        "period_id": period.id,
        "label": w.label,
        "directive_id": None,
        "sender_org_id": None,
        # the office compiles with what it has, leaving late and extended schools a short grace
        "compile_at": _at(add_working_days(school_due, max(1, regime.office_deadline_days - 2), holidays)).isoformat(),
        "office_due_at": end_of_day(office_due).isoformat(),
        "expected_count": len(schools),
    }
    compile_id = engine.start_instance(
        store,
        definition,
        receiver.id,
        "compile_period",
        compile_payload,
        started_by=actor.user_id,
        title=f"Tổng hợp báo cáo — {w.label}",
        directive_id=None,
        sender_org_id=None,
        parent_instance_id=None,
    )
    store.set_period(period.id, compile_instance_id=compile_id)
    due_at = end_of_day(school_due)
    remind_day = school_due - timedelta(days=1)
    for school in schools:
        store.create_submission(period.id, school.id, school_due)
        store.add_message(
            NewMessage(
                name="report_period_opened",
                source_instance_id=compile_id,
                target_org_id=school.id,
                payload={
                    "period_id": period.id,
                    "label": w.label,
                    "compile_instance_id": compile_id,
                    "directive_id": None,
                    "sender_org_id": receiver.id,
                    "start": w.start.isoformat(),
                    "end": w.end.isoformat(),
                    "due": school_due.isoformat(),
                    "due_at": due_at.isoformat(),
                    "remind_at": _at(remind_day).isoformat(),
                    "chase_at": (due_at + timedelta(minutes=1)).isoformat(),
                    "escalate_at": end_of_day(add_working_days(school_due, 2, holidays)).isoformat(),
                },
            )
        )
    store.audit(
        actor,
        "report.period_open",
        instance_id=compile_id,
        detail={"period_id": period.id, "label": w.label, "schools": len(schools)},
        at=clock.now(),
    )
    store.commit()
    return period.id


def request_extension(engine: Cascade, store: Store, actor: Actor, period_id: int, until: date, reason: str) -> None:
    """A school asks for more time (xin gia hạn): the request reaches CTTT as a task in the same instance."""
    submission = store.submission(period_id, actor.org_id) if actor.org_id else None
    if submission is None or not actor.roles & {"staff", "principal"}:
        raise NotAllowedError("only the reporting school asks for an extension")
    if submission.status == "accepted":
        raise NotAllowedError("the report has been accepted already")
    instance = store.lock_instance(submission.instance_id)
    live = engine.load_instance(store, instance)
    engine.runtime.send(live, "extension_requested", {"until": until.isoformat(), "reason": reason[:2000]})
    engine.advance_and_save(store, instance, live)
    store.audit(
        actor,
        "report.extension_request",
        instance_id=instance.id,
        detail={"until": until.isoformat(), "reason": reason[:200]},
        at=clock.now(),
    )
    store.commit()


# -- service tasks ---------------------------------------------------------------------------------------
def _period_of(call: ServiceCall) -> int:
    opened = call.data.get("report_period_opened") or call.data.get("compile_period") or {}
    if not opened.get("period_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no reporting period")
    return int(opened["period_id"])


def prefill_report(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Link the submission to this instance and prefill section D from the incidents Cascade recorded."""
    period = store.period(_period_of(call))
    submission = store.submission(period.id, instance.org_id)
    store.set_submission(submission.id, instance_id=instance.id)
    counts = store.incident_counts(
        instance.org_id, _at(period.start, time(0)), _at(period.end + timedelta(days=1), time(0))
    )
    data = {field: 0 for field in INCIDENT_FIELDS.values()}
    for (category, _severity), count in counts.items():
        if category in INCIDENT_FIELDS:
            data[INCIDENT_FIELDS[category]] += count
    return {**data, "ket_qua_xem_xet": ""}


def report_status(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """submitted: keep the figures and whether they came in time; returned/accepted: the office's review."""
    period = store.period(_period_of(call))
    submission = store.submission(period.id, instance.org_id)
    status = call.properties.get("status") or str(call.data.get(call.properties.get("statusField", ""), ""))
    status = {"accept": "accepted", "return": "returned"}.get(status, status)
    now = clock.now()
    fields: dict = {"status": status}
    if status == "submitted":
        numeric = [f.id for f in _report_fields(engine, store, instance) if f.type in ("long", "boolean")]
        fields["values"] = {k: call.data.get(k) for k in numeric} | {
            k: call.data.get(k) for k in ("tinh_hinh", "de_xuat") if k in call.data
        }
        if submission.submitted_at is None:
            deadline = end_of_day(submission.extended_until or submission.due)
            fields.update(submitted_at=now, on_time=now <= deadline)
    elif status == "returned":
        fields["returns"] = submission.returns + 1
    elif status == "accepted":
        fields["accepted_at"] = now
    store.set_submission(submission.id, **fields)
    return {}


def chase(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Remind or chase (đôn đốc) unless the report is in, or an extension still runs."""
    period = store.period(_period_of(call))
    submission = store.submission(period.id, instance.org_id)
    if submission.status in ("submitted", "accepted"):
        return {}
    if submission.extended_until and clock.now() <= end_of_day(submission.extended_until):
        return {}
    school = store.org(instance.org_id)
    due = submission.extended_until or submission.due
    title = (call.properties.get("title") or "Báo cáo {period}").format(
        period=period.label, due=due.strftime("%d/%m/%Y"), school=school.name
    )
    pairs = engine.candidates(store, instance, [t for t in (call.properties.get("targets") or "").split(",") if t])
    users = [u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)]
    store.notify(users, title, f"{school.name} — {period.label}", f"/reports/periods/{period.id}", clock.now())
    return {}


def apply_extension(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    period = store.period(_period_of(call))
    submission = store.submission(period.id, instance.org_id)
    if call.data.get("gia_han") == "grant":
        requested = (call.data.get("extension_requested") or {}).get("until")
        until = date.fromisoformat(str(call.data.get("han_moi") or requested))
        store.set_submission(submission.id, extended_until=until)
        store.set_open_task_due(instance.id, "fill_report", end_of_day(until))
    else:
        store.set_submission(submission.id, extension_refused=True)
    return {}


def _report_fields(engine, store: Store, instance: InstanceRecord | None = None):
    """The indicator fields as the school report's diagram declares them (edit the form, the compilation
    follows)."""
    definition = store.latest_definition("school_report")
    spec, _subs = engine.runtime.specs(definition)
    for process in [spec, *_subs.values()]:
        task = process.task_specs.get("fill_report")
        if task is not None:
            return form_fields(task)
    raise EngineError("school_report has no fill_report task")


def compile_period_reports(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Prefill the compiled report from the accepted school reports: sums and breakdowns of every numeric
    indicator, schools with incidents, who reported on time, late or not at all."""
    period = store.period(_period_of(call))
    fields = [f for f in _report_fields(engine, store) if f.type == "long"]
    orgs = {o.id: o for o in store.orgs()}
    reports = []
    for s in store.submissions(period.id):
        school = orgs[s.school_id]
        reports.append(
            {
                "school_id": s.school_id,
                "school": school.name,
                "level": school.school_level,
                "ward": orgs[school.ward_id].name if school.ward_id in orgs else None,
                "values": s.values,
                "status": s.status,
                "on_time": bool(s.on_time),
            }
        )
    figures = compile_reports(reports, [f.id for f in fields])
    store.save_compilation(period.id, instance.org_id, figures, [[f.id, f.label] for f in fields])
    lines = [
        f"Kỳ báo cáo: {period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}).",
        f"Số trường phải báo cáo: {figures['expected']}; đúng hạn: {len(figures['on_time'])}; "
        f"chậm: {len(figures['late'])}; chưa nộp: {len(figures['missing'])} "
        f"(tỷ lệ đúng hạn {figures['on_time_rate']}%).",
        "",
    ]
    lines += [f"- {f.label.split(' | ')[0]}: {figures['totals'][f.id]}" for f in fields]
    if figures["schools_with_incidents"]:
        lines += [
            "",
            "Các trường có sự việc: "
            + "; ".join(f"{s['school']} ({s['incidents']})" for s in figures["schools_with_incidents"]),
        ]
    if figures["missing"]:
        lines += ["", "Chưa nộp báo cáo: " + "; ".join(figures["missing"])]
    issuer = orgs[instance.org_id]
    recipients = [r for r in default_distribution(issuer, list(orgs.values())) if r[1] in ("bao_cao", "luu")]
    return {
        "trich_yeu": f"Kết quả thực hiện công tác bảo đảm an ninh, trật tự, an toàn trường học — {period.label}",
        "noi_dung": "\n".join(lines),
        "noi_nhan": [{"org_id": o, "purpose": p} for o, p in recipients],
    }


def link_compilation(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    store.set_compilation_document(_period_of(call), instance.org_id, int(call.data["document_id"]))
    return {}


HANDLERS = {
    "prefill_report": prefill_report,
    "report_status": report_status,
    "chase": chase,
    "apply_extension": apply_extension,
    "compile_reports": compile_period_reports,
    "link_compilation": link_compilation,
}
