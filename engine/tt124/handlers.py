"""The service tasks of `workflows/tt124_cycle.bpmn` (and `tt124_flag` of `workflows/incident.bpmn`):
`HANDLERS` maps each service name to its handler; the status, notice, registration and minutes steps live here,
the others in `evidence`, `watch`, `dossier` and `decision`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError
from engine.core.orgs import resolve_scope
from engine.core.ports import InstanceRecord, Store
from engine.core.runtime import ServiceCall
from engine.tt124.common import OFFICE, fill, opened, participation_of, person, tell, url
from engine.tt124.cycle import tt124_open_year
from engine.tt124.decision import require_decision_time, tt124_certificate
from engine.tt124.dossier import tt124_dossier
from engine.tt124.evidence import tt124_evidence
from engine.tt124.rules import CRITERIA, STATUSES, disqualified, meeting_findings, registered_in_time
from engine.tt124.watch import tt124_check, tt124_flag

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

REGISTRATION_FIELDS = (
    "so_ke_hoach",
    "ngay_ke_hoach",
    "co_to_chuc_dang",
    "so_nghi_quyet",
    "ngay_nghi_quyet",
    "noi_quy",
    "pho_bien_100",
    "mo_hinh",
    "xac_nhan_dang_ky",
)
MEETING_FIELDS = (
    "ngay_hop",
    "dia_diem",
    "thu_ky",
    "thanh_phan",
    *(f"tc{n}" for n in CRITERIA),
    "ty_le_to_dat",
    "bao_ve_bi_ky_luat",
    "ty_le_tan_thanh",
    "ket_luan",
    "noi_dung_hop",
)
NOT_RECOGNISED = ("not_registered", "disqualified", "not_achieved", "withdrawn", "rejected", "not_recognised")


def _verdict(store: Store, instance: InstanceRecord, bpmn_id: str, result, comment: str) -> dict:
    who = person(store, instance, bpmn_id)
    return {"result": result, "comment": comment, "by": who.full_name if who else None, "at": clock.now().isoformat()}


def tt124_status(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Record where the school's year stands (`status` property); tell `targets` when the diagram says so."""
    status = call.properties.get("status", "")
    if status not in STATUSES:
        raise EngineError(f"{call.bpmn_id}: unknown Circular 124 status '{status}'")
    if status == "not_recognised":
        require_decision_time(call)
    year = int(opened(call)["year"])
    participation = participation_of(store, instance, call)
    fields: dict = {"status": status}
    if status == "open":
        fields["instance_id"] = instance.id
    elif status == "appraised":
        comment = call.data.get("y_kien_tham_dinh") or ""
        fields["appraisal"] = _verdict(store, instance, "appraise", call.data.get("tham_dinh"), comment)
    elif status == "not_recognised":
        comment = call.data.get("ly_do_quyet_dinh") or ""
        fields["decision"] = _verdict(store, instance, "decide", "khong_cong_nhan", comment)
    if status in NOT_RECOGNISED:
        fields["recognised"] = False
    store.set_tt124_participation(participation.id, **fields)
    if call.properties.get("targets"):
        school = store.org(instance.org_id)
        title = fill(call.properties.get("title") or "TT 124 — {school}", school, year)
        reasons = "; ".join(f["label"] for f in participation.findings if f.get("verdict") == "fail")
        body = f"{school.name} — {STATUSES[status][0]}" + (
            f": {reasons}" if reasons and status == "disqualified" else ""
        )
        tell(engine, store, instance, call.properties["targets"], title, body, url(participation.id))
    return {}


def tt124_notify(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    year = int(opened(call)["year"])
    participation = participation_of(store, instance, call)
    school = store.org(instance.org_id)
    title = fill(call.properties.get("title") or "TT 124 — {school}", school, year)
    tell(engine, store, instance, call.properties.get("targets", ""), title, school.name, url(participation.id))
    return {}


def tt124_register(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """The registration dossier (Art. 9(2)(a)): plan, Party resolution, the signed registration form; late
    (after 31/3) is recorded — and counts against criterion 1 at the assessment."""
    year = int(opened(call)["year"])
    participation = participation_of(store, instance, call)
    now = clock.now()
    on_time = registered_in_time(year, now)
    registration = {k: call.data.get(k) for k in REGISTRATION_FIELDS}
    who = person(store, instance, "register")
    registration["by"] = who.full_name if who else None
    store.set_tt124_participation(
        participation.id, registration=registration, registered_at=now, registered_on_time=on_time, status="registered"
    )
    if not on_time:
        school = store.org(instance.org_id)
        title = f"TT 124 — {school.name} đăng ký phấn đấu muộn (sau 31/3/{year})"
        body = f"{school.name} đăng ký ngày {now.astimezone(VN_TZ):%d/%m/%Y}."
        tell(engine, store, instance, OFFICE, title, body, url(participation.id))
    return {}


def _countersigned(store: Store, instance: InstanceRecord, bpmn_id: str, org_id: int | None, opinion, comment):
    who = person(store, instance, bpmn_id)
    return {
        "org": store.org(org_id).name if org_id else None,
        "by": who.full_name if who else None,
        "opinion": opinion,
        "comment": comment or "",
    }


def tt124_minutes(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """File the minutes with both countersignatures; propose recognition only when the meeting concluded
    "đạt" on all six criteria, criteria 5 and 6 hold, and the ward police and Phòng GDĐT both agree."""
    participation = participation_of(store, instance, call)
    data = call.data
    meeting = {k: data.get(k) for k in MEETING_FIELDS}
    school = store.org(instance.org_id)
    chair = person(store, instance, "hold_meeting")
    meeting["chair"] = chair.full_name if chair else None
    ward_police = resolve_scope("ward_police", school, store.orgs())
    meeting["police"] = _countersigned(
        store, instance, "police_countersign", ward_police, data.get("ca_dong_y"), data.get("ca_y_kien")
    )
    meeting["office"] = _countersigned(
        store, instance, "office_countersign", school.parent_id, data.get("pgd_dong_y"), data.get("pgd_y_kien")
    )
    extra = meeting_findings(meeting)
    findings = list(participation.findings) + [f.as_dict() for f in extra]
    proposed = (
        data.get("ket_luan") == "dat"
        and all(data.get(f"tc{n}") for n in CRITERIA)
        and data.get("ca_dong_y") == "agree"
        and data.get("pgd_dong_y") == "agree"
        and not disqualified(extra)
    )
    store.set_tt124_participation(participation.id, meeting=meeting, findings=findings, proposed=proposed)
    return {"de_nghi_cong_nhan": proposed}


HANDLERS = {
    "tt124_status": tt124_status,
    "tt124_notify": tt124_notify,
    "tt124_register": tt124_register,
    "tt124_evidence": tt124_evidence,
    "tt124_check": tt124_check,
    "tt124_minutes": tt124_minutes,
    "tt124_dossier": tt124_dossier,
    "tt124_certificate": tt124_certificate,
    "tt124_flag": tt124_flag,
    "tt124_open_year": tt124_open_year,
}
