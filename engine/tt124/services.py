"""The yearly Circular 124 cycle: opening a year for a receiving office (one `tt124_cycle` instance per eligible
school, started by a message like a reporting period), the administrator's eligibility override, and the service
tasks of `tt124_cycle.bpmn` (registration, evidence, the disqualifier check, the minutes, the dossier and the
decision) plus `tt124_flag`, which the incident path calls so a disqualifying incident is flagged at once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from engine.core.access import can_attach_tt124_evidence
from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError, NotAllowedError
from engine.core.orgs import resolve_scope
from engine.core.ports import Actor, InstanceRecord, NewDocument, NewMessage, Org, Store, Tt124ParticipationRecord
from engine.core.runtime import ServiceCall
from engine.documents import nd30
from engine.incidents.rules import CATEGORIES
from engine.tt124.documents import (
    Dossier,
    Signatory,
    bao_cao_docx,
    bao_cao_text,
    bien_ban_docx,
    bien_ban_text,
    body_text,
    decision_text,
    to_trinh_docx,
    to_trinh_text,
)
from engine.tt124.rules import (
    CRITERIA,
    DISQUALIFYING_CATEGORIES,
    EVIDENCE_OPEN_STATUSES,
    FIRST_YEAR,
    MAX_FILES_PER_EVIDENCE,
    STATUSES,
    Finding,
    calendar,
    disqualified,
    eligibility,
    incident_findings,
    meeting_findings,
    openable_year,
    registered_in_time,
    registration_findings,
    submitted_in_time,
)

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

OPENERS = frozenset({"specialist", "leader", "deputy"})
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
DOSSIER_KINDS = (("to_trinh", "TTr", "Tờ trình"), ("bao_cao", "BC", "Báo cáo kết quả"), ("bien_ban", "BB", "Biên bản"))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), VN_TZ)


# --------------------------------------------------------------------------- use cases
def open_cycle(engine: Cascade, store: Store, actor: Actor, receiver_id: int, year: int) -> int:
    """Open a year for the receiving office's schools: each school's eligibility (level, or the administrator's
    override) is kept on its record; each eligible school gets its own `tt124_cycle` instance."""
    receiver = store.org(receiver_id)
    if not (actor.user_id is None or actor.is_admin or (receiver.id in actor.org_scope and actor.roles & OPENERS)):
        raise NotAllowedError("only the receiving office opens its Circular 124 year")
    if not openable_year(year, clock.today()):
        raise EngineError(f"{year} cannot be opened: Circular 124 years run from {FIRST_YEAR} to next year")
    definition = store.latest_definition("tt124_cycle")
    if definition is None:
        raise EngineError("the tt124_cycle process is not deployed")
    cal = calendar(year)
    cycle = store.create_tt124_cycle(
        receiver.id, year, cal.start, cal.end, cal.register_due, cal.submit_due, actor.user_id
    )
    overrides = store.tt124_overrides()
    schools = sorted((o for o in store.orgs() if o.parent_id == receiver.id and o.kind == "school"), key=lambda o: o.id)
    started = 0
    for school in schools:
        rule = eligibility(school.school_level, overrides.get(school.id))
        store.create_tt124_participation(cycle.id, school.id, rule.eligible, rule.note)
        if not rule.eligible:
            continue
        started += 1
        store.add_message(
            NewMessage(
                name="tt124_cycle_opened",
                source_instance_id=None,
                target_org_id=school.id,
                payload={
                    "cycle_id": cycle.id,
                    "year": year,
                    "label": f"Năm {year}",
                    "directive_id": None,
                    "sender_org_id": receiver.id,
                    "start": cal.start.isoformat(),
                    "end": cal.end.isoformat(),
                    "register_due_at": cal.at(cal.register_due),
                    "assessment_at": cal.at(cal.assessment_on, time(8, 0)),
                    "meeting_due_at": cal.at(cal.meeting_due),
                    "submit_due_at": cal.at(cal.submit_due),
                    "window_end_at": _midnight(cal.end + timedelta(days=1)).isoformat(),
                },
            )
        )
    store.audit(
        actor,
        "tt124.open",
        detail={"cycle_id": cycle.id, "year": year, "schools": len(schools), "eligible": started},
        at=clock.now(),
    )
    store.commit()
    return cycle.id


def set_eligibility(store: Store, actor: Actor, school_id: int, eligible: bool | None, reason: str) -> None:
    """An administrator puts a school in or out of the Circular's scope (None: back to the level rule). Years
    already opened keep what they recorded."""
    if not actor.is_admin:
        raise NotAllowedError("only an administrator overrides Circular 124 eligibility")
    school = store.org(school_id)
    if school.kind != "school":
        raise EngineError("only schools are evaluated under Circular 124")
    reason = " ".join((reason or "").split())[:1000]
    if eligible is not None and not reason:
        raise EngineError("an override needs a reason")
    store.set_tt124_override(school.id, eligible, reason, actor.user_id, clock.now())
    store.audit(
        actor,
        "tt124.eligibility",
        detail={"school_id": school.id, "eligible": eligible, "reason": reason[:200]},
        at=clock.now(),
    )
    store.commit()


def attach_evidence_files(
    store: Store, actor: Actor, evidence_id: int, files: list[tuple[str, str, bytes]]
) -> list[int]:
    """Keep files (name, type, bytes — checked and named safely by the caller) with one piece of the school's
    evidence, until its recognition dossier is sent; all or none, audited."""
    evidence = store.tt124_evidence_item(evidence_id)
    participation = store.tt124_participation_by_id(evidence.participation_id) if evidence else None
    if evidence is None or participation is None:
        raise EngineError("no such evidence")
    if not can_attach_tt124_evidence(actor, participation.school_id):
        raise NotAllowedError("only the school's own people attach files to its evidence")
    if participation.status not in EVIDENCE_OPEN_STATUSES:
        raise EngineError("the recognition dossier has been sent: its evidence is closed")
    if not files or any(not data for _name, _type, data in files):
        raise EngineError("no file, or an empty file")
    if store.tt124_evidence_file_count(evidence.id) + len(files) > MAX_FILES_PER_EVIDENCE:
        raise EngineError(f"at most {MAX_FILES_PER_EVIDENCE} files per piece of evidence")
    now = clock.now()
    ids = [
        store.add_tt124_file(
            participation.id,
            "evidence",
            filename,
            data,
            None,
            now,
            evidence_id=evidence.id,
            content_type=content_type,
            by=actor.user_id,
        )
        for filename, content_type, data in files
    ]
    store.audit(
        actor,
        "tt124.evidence_files",
        instance_id=participation.instance_id,
        detail={
            "participation_id": participation.id,
            "evidence_id": evidence.id,
            "files": [
                {"id": i, "name": f[0][:100], "type": f[1], "size": len(f[2])} for i, f in zip(ids, files, strict=True)
            ],
        },
        at=now,
    )
    store.commit()
    return ids


# --------------------------------------------------------------------------- helpers
def _opened(call: ServiceCall) -> dict:
    opened = call.data.get("tt124_cycle_opened") or {}
    if not opened.get("cycle_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no Circular 124 year")
    return opened


def _participation(store: Store, instance: InstanceRecord, call: ServiceCall) -> Tt124ParticipationRecord:
    row = store.tt124_participation(int(_opened(call)["cycle_id"]), instance.org_id)
    if row is None:
        raise EngineError(f"{call.bpmn_id}: no Circular 124 record for this school and year")
    return row


def _url(participation_id: int) -> str:
    return f"/tt124/schools/{participation_id}"


def _tell(engine: Cascade, store: Store, instance: InstanceRecord, targets: str, title: str, body: str, url: str):
    pairs = engine.candidates(store, instance, [t.strip() for t in targets.split(",") if t.strip()])
    users = sorted({u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)})
    if users:
        store.notify(users, title, body, url, clock.now())


def _format(template: str, school: Org, year: int, **extra) -> str:
    return template.format(school=school.name, year=year, **extra)


def _person(store: Store, instance: InstanceRecord, bpmn_id: str):
    user_id = store.last_completion(instance.id, bpmn_id)
    return store.user(user_id) if user_id else None


def _findings(store: Store, school_id: int, participation: Tt124ParticipationRecord, year: int) -> list[Finding]:
    """The checklist from what Cascade knows: the registration (once due) and the incidents in the window."""
    cal = calendar(year)
    out: list[Finding] = []
    if participation.registered_at is not None or clock.now() >= _midnight(cal.register_due + timedelta(days=1)):
        registration = participation.registration if participation.registered_at else None
        out += registration_findings(registration, participation.registered_on_time)
    incidents = store.disqualifying_incidents(school_id, _midnight(cal.start), _midnight(cal.end + timedelta(days=1)))
    out += incident_findings(
        {
            "id": i.id,
            "category": i.category,
            "severity": i.severity,
            "occurred_at": i.occurred_at,
            "label": CATEGORIES.get(i.category, (i.category,))[0],
        }
        for i in incidents
    )
    return out


# --------------------------------------------------------------------------- service tasks
def tt124_status(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Record where the school's year stands (`status` property); tell `targets` when the diagram says so."""
    opened = _opened(call)
    participation = _participation(store, instance, call)
    status = call.properties.get("status", "")
    if status not in STATUSES:
        raise EngineError(f"{call.bpmn_id}: unknown Circular 124 status '{status}'")
    now = clock.now()
    fields: dict = {"status": status}
    if status == "open":
        fields["instance_id"] = instance.id
    elif status == "appraised":
        who = _person(store, instance, "appraise")
        fields["appraisal"] = {
            "result": call.data.get("tham_dinh"),
            "comment": call.data.get("y_kien_tham_dinh") or "",
            "by": who.full_name if who else None,
            "at": now.isoformat(),
        }
    elif status == "not_recognised":
        who = _person(store, instance, "decide")
        fields["decision"] = {
            "result": "khong_cong_nhan",
            "comment": call.data.get("ly_do_quyet_dinh") or "",
            "by": who.full_name if who else None,
            "at": now.isoformat(),
        }
    if status in ("not_registered", "disqualified", "not_achieved", "withdrawn", "rejected", "not_recognised"):
        fields["recognised"] = False
    store.set_tt124_participation(participation.id, **fields)
    if call.properties.get("targets"):
        school = store.org(instance.org_id)
        title = _format(call.properties.get("title") or "TT 124 — {school}", school, int(opened["year"]))
        reasons = "; ".join(f["label"] for f in participation.findings if f.get("verdict") == "fail")
        _tell(
            engine,
            store,
            instance,
            call.properties["targets"],
            title,
            f"{school.name} — {STATUSES[status][0]}" + (f": {reasons}" if reasons and status == "disqualified" else ""),
            _url(participation.id),
        )
    return {}


def tt124_notify(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    opened = _opened(call)
    participation = _participation(store, instance, call)
    school = store.org(instance.org_id)
    title = _format(call.properties.get("title") or "TT 124 — {school}", school, int(opened["year"]))
    _tell(engine, store, instance, call.properties.get("targets", ""), title, school.name, _url(participation.id))
    return {}


def tt124_register(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """The registration dossier (Art. 9(2)(a)): plan, Party resolution, the signed registration form; late
    (after 31/3) is recorded — and counts against criterion 1 at the assessment."""
    opened = _opened(call)
    participation = _participation(store, instance, call)
    now = clock.now()
    on_time = registered_in_time(int(opened["year"]), now)
    registration = {k: call.data.get(k) for k in REGISTRATION_FIELDS}
    who = _person(store, instance, "register")
    registration["by"] = who.full_name if who else None
    store.set_tt124_participation(
        participation.id, registration=registration, registered_at=now, registered_on_time=on_time, status="registered"
    )
    if not on_time:
        school = store.org(instance.org_id)
        _tell(
            engine,
            store,
            instance,
            "specialist@parent",
            f"TT 124 — {school.name} đăng ký phấn đấu muộn (sau 31/3/{opened['year']})",
            f"{school.name} đăng ký ngày {now.astimezone(VN_TZ):%d/%m/%Y}.",
            _url(participation.id),
        )
    return {}


def tt124_evidence(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """File one piece of evidence; clear the form for the next round; stop when the school says it is done."""
    participation = _participation(store, instance, call)
    criterion, text = str(call.data.get("tieu_chi") or ""), str(call.data.get("minh_chung") or "").strip()
    if criterion.isdigit() and int(criterion) in CRITERIA and text:
        on = call.data.get("ngay_minh_chung")
        store.add_tt124_evidence(
            participation.id,
            int(criterion),
            text,
            str(call.data.get("van_ban") or ""),
            date.fromisoformat(on) if on else None,
            store.last_completion(instance.id, "add_evidence"),
            clock.now(),
        )
    return {
        "evidence_closed": bool(call.data.get("ket_thuc")),
        "tieu_chi": "",
        "minh_chung": "",
        "van_ban": "",
        "ngay_minh_chung": "",
        "ket_thuc": False,
    }


def tt124_check(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """The disqualifier checklist from Cascade's records. Every incident finding not yet flagged is told to the
    principal and CTTT at once (stage `incident`: the incident path just confirmed one). At the assessment
    (stage `assessment`) a failed item disqualifies; otherwise the meeting form is prefilled."""
    opened = _opened(call)
    year = int(opened["year"])
    participation = _participation(store, instance, call)
    school = store.org(instance.org_id)
    findings = _findings(store, school.id, participation, year)
    flagged = set(participation.flagged_incident_ids)
    new = [f for f in findings if f.incident_id is not None and f.incident_id not in flagged]
    for finding in new:
        verdict = "không được xét công nhận" if finding.verdict == "fail" else "cần xem xét"
        _tell(
            engine,
            store,
            instance,
            "principal@self,specialist@parent",
            f"Cảnh báo TT 124 — {school.name}: {finding.label} ({verdict})",
            f"{finding.detail}. Tiêu chí {finding.criterion}, Thông tư 124/2021/TT-BCA, năm {year}.",
            _url(participation.id),
        )
    stage = call.properties.get("stage", "incident")
    kept = [f for f in participation.findings if f.get("source") == "meeting"]  # what the meeting found stays
    fields: dict = {
        "findings": [f.as_dict() for f in findings] + kept,
        "flagged_incident_ids": sorted(flagged | {f.incident_id for f in new if f.incident_id is not None}),
        "checked_at": clock.now(),
    }
    if stage != "assessment":
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


def tt124_minutes(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """File the minutes with both countersignatures; propose recognition only when the meeting concluded
    "đạt" on all six criteria, criteria 5 and 6 hold, and the ward police and Phòng GDĐT both agree."""
    participation = _participation(store, instance, call)
    data = call.data
    meeting = {k: data.get(k) for k in MEETING_FIELDS}
    chair = _person(store, instance, "hold_meeting")
    police = _person(store, instance, "police_countersign")
    office = _person(store, instance, "office_countersign")
    school = store.org(instance.org_id)
    orgs = store.orgs()
    ward_police = resolve_scope("ward_police", school, orgs)
    meeting["chair"] = chair.full_name if chair else None
    meeting["police"] = {
        "org": store.org(ward_police).name if ward_police else None,
        "by": police.full_name if police else None,
        "opinion": data.get("ca_dong_y"),
        "comment": data.get("ca_y_kien") or "",
    }
    meeting["office"] = {
        "org": store.org(school.parent_id).name if school.parent_id else None,
        "by": office.full_name if office else None,
        "opinion": data.get("pgd_dong_y"),
        "comment": data.get("pgd_y_kien") or "",
    }
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


def _signatory(entry: dict | None, org_name: str) -> Signatory:
    entry = entry or {}
    return Signatory(org_name, entry.get("by") or "", entry.get("opinion") or "", entry.get("comment") or "")


def _place(store: Store, org: Org) -> str:
    current: Org | None = org
    for _ in range(6):
        if current is None:
            break
        if current.place:
            return current.place
        current = store.org(current.parent_id) if current.parent_id else None
    return "Cẩm Phả"


def tt124_dossier(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Number the Tờ trình, Báo cáo kết quả and Biên bản in the school's register (NĐ 30), keep them as
    documents and as Word files, and send them through the city police to UBND TP."""
    opened = _opened(call)
    year = int(opened["year"])
    participation = _participation(store, instance, call)
    school = store.org(instance.org_id)
    orgs = store.orgs()
    office_id = school.parent_id
    ward_police_id = resolve_scope("ward_police", school, orgs)
    city_police_id = resolve_scope("city_police", school, orgs)
    committee_id = resolve_scope("city_committee", school, orgs)
    if not (office_id and city_police_id and committee_id):
        raise EngineError(f"{school.short_name}: no managing office, city police or city People's Committee")
    principal = _person(store, instance, call.properties.get("signerTask", "sign_dossier"))
    today = clock.today()
    symbols, numbers = {}, {}
    for kind, doc_type, _label in DOSSIER_KINDS:
        key = nd30.counter_key(
            school.counter_scope or "year_shared", year=today.year, doc_type=doc_type, term=nd30.party_term(today.year)
        )
        numbers[kind] = store.next_document_number(school.id, key)
        symbols[kind] = nd30.render_symbol("state", numbers[kind], doc_type, school.symbol or school.short_name)
    meeting = participation.meeting
    evidence = store.tt124_evidence(participation.id)
    cal = calendar(year)
    ward_police = store.org(ward_police_id).name if ward_police_id else "Công an phường"
    dossier = Dossier(
        year=year,
        window_start=cal.start,
        window_end=cal.end,
        issued_on=today,
        place=_place(store, school),
        managing_body=school.managing_body or store.org(office_id).name,
        school_name=school.name,
        principal_name=principal.full_name if principal else "",
        city_committee=store.org(committee_id).name,
        city_police=store.org(city_police_id).name,
        receiver=store.org(office_id).name,
        ward_police=ward_police,
        symbols=symbols,
        registration=participation.registration,
        registered_on=participation.registered_at.astimezone(VN_TZ).date() if participation.registered_at else None,
        registered_on_time=bool(participation.registered_on_time),
        evidence=[(e.criterion, e.description, e.reference, e.evidence_date) for e in evidence],
        findings=participation.findings,
        meeting=meeting,
        police=_signatory(meeting.get("police"), ward_police),
        office=_signatory(meeting.get("office"), store.org(office_id).name),
        other_documents=str(call.data.get("tai_lieu_khac") or ""),
    )
    texts = {
        "to_trinh": (to_trinh_text(dossier), to_trinh_docx(dossier)),
        "bao_cao": (bao_cao_text(dossier), bao_cao_docx(dossier)),
        "bien_ban": (bien_ban_text(dossier), bien_ban_docx(dossier)),
    }
    recipients = {
        "to_trinh": [(committee_id, "bao_cao"), (city_police_id, "bao_cao"), (office_id, "bao_cao")],
        "bao_cao": [(committee_id, "bao_cao"), (city_police_id, "bao_cao"), (office_id, "bao_cao")],
        "bien_ban": [(city_police_id, "bao_cao"), (office_id, "bao_cao")],
    }
    if ward_police_id:
        recipients["to_trinh"].append((ward_police_id, "de_biet"))
        recipients["bien_ban"].append((ward_police_id, "de_biet"))
    now = clock.now()
    ids = {}
    for kind, doc_type, label in DOSSIER_KINDS:
        (summary, parts), data = texts[kind]
        document_id = store.create_document(
            NewDocument(
                issuer_id=school.id,
                doc_type=doc_type,
                number=numbers[kind],
                year=today.year,
                symbol=symbols[kind],
                grammar="state",
                summary=summary,
                body=body_text(parts),
                place=dossier.place,
                issued_on=today,
                signer_name=dossier.principal_name or None,
                signer_title="HIỆU TRƯỞNG",
                authority_title="HIỆU TRƯỞNG",
                signing_mode="direct",
                drafting_unit=None,
                response_due=None,
                issuing_instance_id=instance.id,
                recipients=recipients[kind],
            )
        )
        for org_id, _purpose in recipients[kind]:
            store.mark_delivered(document_id, org_id, now, None)
        filename = f"{symbols[kind].replace('/', '-')} {label}.docx"
        store.add_tt124_file(participation.id, kind, filename, data, document_id, now)
        ids[kind] = document_id
    store.set_tt124_participation(
        participation.id,
        status="submitted",
        submitted_at=now,
        submitted_on_time=submitted_in_time(year, now),
        dossier_document_id=ids["to_trinh"],
    )
    store.audit(
        Actor.system(),
        "tt124.dossier",
        instance_id=instance.id,
        detail={"participation_id": participation.id, "symbols": symbols},
        at=now,
    )
    return {"document_id": ids["to_trinh"], "so_ky_hieu": symbols["to_trinh"]}


def tt124_certificate(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """UBND TP's decision, numbered in its register (…/QĐ-UBND), and the Giấy công nhận issued with it."""
    opened = _opened(call)
    year = int(opened["year"])
    participation = _participation(store, instance, call)
    school = store.org(instance.org_id)
    orgs = store.orgs()
    committee = store.org(resolve_scope("city_committee", school, orgs))
    city_police = store.org(resolve_scope("city_police", school, orgs))
    office = store.org(school.parent_id)
    today = clock.today()
    key = nd30.counter_key(
        committee.counter_scope or "year_shared", year=today.year, doc_type="QĐ", term=nd30.party_term(today.year)
    )
    number = store.next_document_number(committee.id, key)
    symbol = nd30.render_symbol("state", number, "QĐ", committee.symbol or committee.short_name)
    signer = _person(store, instance, call.properties.get("signerTask", "decide"))
    deputy = signer is not None and "deputy" in signer.roles
    to_trinh = store.document(participation.dossier_document_id) if participation.dossier_document_id else None
    summary, body = decision_text(
        school.name, year, to_trinh.symbol if to_trinh and to_trinh.symbol else "…", city_police.name, office.name
    )
    now = clock.now()
    recipients = [(school.id, "de_biet"), (office.id, "de_biet"), (city_police.id, "de_biet")]
    document_id = store.create_document(
        NewDocument(
            issuer_id=committee.id,
            doc_type="QĐ",
            number=number,
            year=today.year,
            symbol=symbol,
            grammar="state",
            summary=summary,
            body=body,
            place=_place(store, committee),
            issued_on=today,
            signer_name=signer.full_name if signer else None,
            signer_title=(signer.title or ("PHÓ CHỦ TỊCH" if deputy else "CHỦ TỊCH")).upper() if signer else None,
            authority_title="CHỦ TỊCH" if deputy else "ỦY BAN NHÂN DÂN",
            signing_mode="KT" if deputy else "TM",
            drafting_unit=None,
            response_due=None,
            issuing_instance_id=instance.id,
            recipients=recipients,
            relations=[("based_on", to_trinh.id)] if to_trinh else [],
        )
    )
    for org_id, _purpose in recipients:
        store.mark_delivered(document_id, org_id, now, None)
    store.set_tt124_participation(
        participation.id,
        status="recognised",
        recognised=True,
        decision={
            "result": "cong_nhan",
            "comment": call.data.get("ly_do_quyet_dinh") or "",
            "by": signer.full_name if signer else None,
            "at": now.isoformat(),
            "symbol": symbol,
        },
        decision_document_id=document_id,
        certificate_number=symbol,
        certificate_date=today,
    )
    _tell(
        engine,
        store,
        instance,
        "principal@self,specialist@parent",
        f"TT 124 — {school.name} được công nhận đạt chuẩn “An toàn về an ninh, trật tự” năm {year}",
        f"Quyết định số {symbol} ngày {nd30.format_date(today)} của {committee.name}; Giấy công nhận kèm theo.",
        _url(participation.id),
    )
    return {"quyet_dinh_id": document_id, "so_quyet_dinh": symbol}


def tt124_flag(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """On the incident path, once the incident is confirmed: if it can cost the school its Circular 124
    recognition, wake the school's running year (message `tt124_incident`), which flags it."""
    started = call.data.get("incident_raised") or {}
    if not started.get("incident_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no incident")
    incident = store.incident(int(started["incident_id"]))
    if incident is None or incident.category not in DISQUALIFYING_CATEGORIES:
        return {}
    day = (incident.occurred_at or clock.now()).astimezone(VN_TZ).date()
    for participation in store.tt124_running_participations(incident.school_id, day):
        store.add_message(
            NewMessage(
                name="tt124_incident",
                source_instance_id=instance.id,
                payload={
                    "to_instance": participation.instance_id,
                    "incident_id": incident.id,
                    "category": incident.category,
                    "directive_id": None,
                },
            )
        )
    return {}


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
}
