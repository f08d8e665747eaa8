"""The recognition dossier (Art. 9(2)(b)): the school's Tờ trình, Báo cáo kết quả and Biên bản, numbered in its
register (NĐ 30), kept as documents and as Word files, and sent through the city police to UBND TP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError
from engine.core.orgs import resolve_scope
from engine.core.ports import Actor, InstanceRecord, Store
from engine.core.runtime import ServiceCall
from engine.documents import nd30, numbering
from engine.documents.ports import NewDocument
from engine.tt124.common import opened, participation_of, person, place_of
from engine.tt124.documents import (
    Dossier,
    Signatory,
    bao_cao_docx,
    bao_cao_text,
    bien_ban_docx,
    bien_ban_text,
    body_text,
    to_trinh_docx,
    to_trinh_text,
)
from engine.tt124.rules import calendar, submitted_in_time

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

DOSSIER_KINDS = (("to_trinh", "TTr", "Tờ trình"), ("bao_cao", "BC", "Báo cáo kết quả"), ("bien_ban", "BB", "Biên bản"))


def _signatory(entry: dict | None, org_name: str) -> Signatory:
    entry = entry or {}
    return Signatory(org_name, entry.get("by") or "", entry.get("opinion") or "", entry.get("comment") or "")


def tt124_dossier(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Number the three documents in the school's register, keep them as documents and Word files, send them."""
    year = int(opened(call)["year"])
    participation = participation_of(store, instance, call)
    school = store.org(instance.org_id)
    orgs = store.orgs()
    office_id = school.parent_id
    ward_police_id = resolve_scope("ward_police", school, orgs)
    city_police_id = resolve_scope("city_police", school, orgs)
    committee_id = resolve_scope("city_committee", school, orgs)
    if not (office_id and city_police_id and committee_id):
        raise EngineError(f"{school.short_name}: no managing office, city police or city People's Committee")
    principal = person(store, instance, call.properties.get("signerTask", "sign_dossier"))
    today = clock.today()
    symbols, numbers = {}, {}
    for kind, doc_type, _label in DOSSIER_KINDS:
        key = numbering.counter_key(
            school.counter_scope or "year_shared",
            year=today.year,
            doc_type=doc_type,
            term=numbering.party_term(today.year),
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
        place=place_of(store, school),
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
