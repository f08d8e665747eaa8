"""Periodic reporting use cases and the service tasks of `school_report` / `compile_report`: open a period
(one instance per school and one compiling instance — no ever-growing loop), prefill from recorded
incidents, track each submission, chase, extensions, and compile the accepted reports."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.core.ports import Actor, InstanceRecord, NewMessage, Store
from engine.core.runtime import ServiceCall, end_of_day
from engine.documents.distribution import default_distribution
from engine.reporting import steps
from engine.reporting.rules import add_working_days, compile_reports, window
from engine.reporting.steps import at_hour, period_of, report_fields

if TYPE_CHECKING:
    from engine.core.cascade import Cascade


def open_period(engine: Cascade, store: Store, actor: Actor, regime_id: int, year: int, index: int = 1) -> int:
    """Open one period of a regime: deadlines per level (≥ 1 working day after the cut-off, holidays
    skipped), the compiling instance at the receiver, and one report instance per reporting school.
    Commits; on any failure (a period opened twice included) rolls back and re-raises."""
    try:
        return _open_period(engine, store, actor, regime_id, year, index)
    except BaseException:
        store.rollback()
        raise


def _open_period(engine: Cascade, store: Store, actor: Actor, regime_id: int, year: int, index: int) -> int:
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
    schools = [
        o for o in store.orgs() if o.parent_id == receiver.id and o.kind == regime.reporter_kind and not o.closed
    ]
    definition = store.latest_definition("compile_report")
    if definition is None:
        raise EngineError("the compile_report process is not deployed")
    # the office compiles with what it has, leaving late and extended schools a short grace
    compile_at = at_hour(add_working_days(school_due, max(1, regime.office_deadline_days - 2), holidays))
    compile_payload = {
        "period_id": period.id,
        "label": w.label,
        "directive_id": None,
        "sender_org_id": None,
        "compile_at": compile_at.isoformat(),
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
                    "remind_at": at_hour(remind_day).isoformat(),
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
    """A school asks for more time (xin gia hạn): the request reaches CTTT as a task in the same instance.
    Commits; on failure rolls back and re-raises."""
    try:
        _request_extension(engine, store, actor, period_id, until, reason)
    except BaseException:
        store.rollback()
        raise


def _request_extension(engine: Cascade, store: Store, actor: Actor, period_id: int, until: date, reason: str) -> None:
    submission = store.submission(period_id, actor.org_id) if actor.org_id else None
    if submission is None or not actor.roles & {"staff", "principal"}:
        raise NotAllowedError("Chỉ nhà trường phải báo cáo mới được đề nghị gia hạn.")
    if submission.status == "accepted":
        raise NotAllowedError("Báo cáo kỳ này đã được tiếp nhận; không cần gia hạn.")
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


# -- service tasks of the compiling instance (the school report's are in engine.reporting.steps) ---------
def compile_period_reports(engine, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Prefill the compiled report from the accepted school reports: sums and breakdowns of every numeric
    indicator, schools with incidents, who reported on time, late or not at all."""
    period = store.period(period_of(call))
    fields = [f for f in report_fields(engine, store) if f.type == "long"]
    orgs = {o.id: o for o in store.orgs()}
    span = (at_hour(period.start, time(0)), at_hour(period.end + timedelta(days=1), time(0)))
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
                "incidents": sum(store.incident_counts(s.school_id, *span).values()) if s.status == "accepted" else 0,
            }
        )
    figures = compile_reports(reports, [f.id for f in fields])
    store.save_compilation(period.id, instance.org_id, figures, [[f.id, f.label] for f in fields])
    lines = [
        f"Kỳ báo cáo: {period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}).",
        f"Số trường phải báo cáo: {figures['expected']}; đúng hạn: {len(figures['on_time'])}; "
        f"chậm: {len(figures['late'])}; chưa nộp: {len(figures['missing'])} "
        f"(tỷ lệ đúng hạn {str(figures['on_time_rate']).replace('.', ',')}%).",
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
    store.set_compilation_document(period_of(call), instance.org_id, int(call.data["document_id"]))
    return {}


HANDLERS = {
    **steps.HANDLERS,
    "compile_reports": compile_period_reports,
    "link_compilation": link_compilation,
}
