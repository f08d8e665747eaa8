"""The disqualifier checklist and the incident watch. A disqualifying incident in the window (up to 15/11) is
told to the school and CTTT as soon as it is confirmed, whatever else happened in the year: while the school's
instance watches (until the window's end) through its `watch` loop, otherwise at once from the incident path.
An incident that reaches a year already decided ("Được công nhận") flags the recognition for review and tells the
office and UBND TP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError
from engine.core.ports import InstanceRecord, NewMessage, Store
from engine.core.runtime import ServiceCall
from engine.tt124.common import DECIDED_STATUSES, OFFICE, findings_for, opened, participation_of, tell, url
from engine.tt124.ports import Tt124ParticipationRecord
from engine.tt124.rules import CRITERIA, DISQUALIFYING_CATEGORIES, Finding, disqualified

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

REVIEWERS = f"{OFFICE},leader@city_committee"


def check_incidents(
    engine: Cascade, store: Store, instance: InstanceRecord, participation: Tt124ParticipationRecord, year: int
) -> tuple[list[Finding], dict]:
    """The checklist now, every incident finding not yet flagged told to the principal and CTTT; a decided
    year with a new one goes to review. Returns the findings and the fields to store."""
    school = store.org(participation.school_id)
    findings = findings_for(store, school.id, participation, year)
    flagged = set(participation.flagged_incident_ids)
    new = [f for f in findings if f.incident_id is not None and f.incident_id not in flagged]
    link = url(participation.id)
    for finding in new:
        verdict = "không được xét công nhận" if finding.verdict == "fail" else "cần xem xét"
        title = f"Cảnh báo TT 124 — {school.name}: {finding.label} ({verdict})"
        body = f"{finding.detail}. Tiêu chí {finding.criterion}, Thông tư 124/2021/TT-BCA, năm {year}."
        tell(engine, store, instance, f"principal@self,{OFFICE}", title, body, link)
    kept = [f for f in participation.findings if f.get("source") == "meeting"]  # what the meeting found stays
    fields: dict = {
        "findings": [f.as_dict() for f in findings] + kept,
        "flagged_incident_ids": sorted(flagged | {f.incident_id for f in new if f.incident_id is not None}),
        "checked_at": clock.now(),
    }
    if new and participation.status in DECIDED_STATUSES:
        fields["status"] = "under_review"
        title = f"TT 124 — {school.name}: cần xem xét lại việc công nhận năm {year}"
        body = (
            f"Sau khi có quyết định công nhận, ghi nhận trong thời gian đánh giá (đến ngày 15/11/{year}): "
            + "; ".join(f"{f.label} — {f.detail}" for f in new)
            + "."
        )
        tell(engine, store, instance, REVIEWERS, title, body, link)
    return findings, fields


def tt124_check(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """The disqualifier checklist from Cascade's records (stage `incident`: the incident path just confirmed
    one). At the assessment (stage `assessment`) a failed item disqualifies; otherwise the meeting form is
    prefilled: a criterion is proposed as met only with evidence."""
    year = int(opened(call)["year"])
    participation = participation_of(store, instance, call)
    findings, fields = check_incidents(engine, store, instance, participation, year)
    if call.properties.get("stage", "incident") != "assessment":
        store.set_tt124_participation(participation.id, **fields)
        return {}
    out = disqualified(findings)
    if not out:
        fields["status"] = "assessed"
    store.set_tt124_participation(participation.id, **fields)
    evidence = store.tt124_evidence(participation.id)
    covered = {e.criterion for e in evidence}
    failed = {f.criterion for f in findings if f.verdict == "fail"}
    listed = ", ".join(map(str, sorted(covered))) or "chưa có"
    summary = [f"Minh chứng đã cập nhật: {len(evidence)} (tiêu chí có minh chứng: {listed})."]
    summary += [f"Cần xem xét: {f.label} — {f.detail}." for f in findings if f.verdict == "review"]
    return {
        "tt124_loai": out,
        "ly_do_loai": "; ".join(f"{f.label} ({f.detail})" for f in findings if f.verdict == "fail"),
        **{f"tc{n}": n in covered and n not in failed for n in CRITERIA},
        "noi_dung_hop": "\n".join(summary),
    }


def tt124_flag(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """On the incident path, once the incident is confirmed: if it can cost the school its Circular 124
    recognition, wake the school's year while it watches (message `tt124_incident`); a year no longer
    watching (after the window, or decided before this rule) is checked here and now."""
    started = call.data.get("incident_raised") or {}
    if not started.get("incident_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no incident")
    incident = store.incident(int(started["incident_id"]))
    if incident is None or incident.category not in DISQUALIFYING_CATEGORIES:
        return {}
    day = (incident.occurred_at or clock.now()).astimezone(VN_TZ).date()
    for participation in store.tt124_participations_on(incident.school_id, day):
        year = store.tt124_cycle(participation.cycle_id).year
        own = store.instance(participation.instance_id)
        if own.status == "running" and clock.today() <= store.tt124_cycle(participation.cycle_id).end:
            payload = {"to_instance": own.id, "incident_id": incident.id, "category": incident.category}
            store.add_message(
                NewMessage(
                    name="tt124_incident", source_instance_id=instance.id, payload=payload | {"directive_id": None}
                )
            )
            continue
        _findings, fields = check_incidents(engine, store, own, participation, year)
        store.set_tt124_participation(participation.id, **fields)
    return {}
