"""UBND TP's decision on a school's year. It is taken once the evaluation window has closed (from 16/11) and
before 20/11: completing the decision earlier is refused with the field's message and nothing is written. A
recognition is numbered in the committee's register (…/QĐ-UBND) and issued with its Giấy công nhận, both kept
as Word files beside the dossier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.clock import clock
from engine.core.errors import FormValidationError
from engine.core.forms import FieldError
from engine.core.orgs import resolve_scope
from engine.core.ports import Actor, InstanceRecord, Store
from engine.core.runtime import ServiceCall
from engine.documents import nd30, numbering
from engine.documents.dates import format_date
from engine.documents.ports import NewDocument
from engine.tt124.common import OFFICE, opened, participation_of, person, place_of, tell, url, window_closes
from engine.tt124.letters import Recognition, certificate_docx, decision_docx, decision_text

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

DECISION_FIELD = "quyet_dinh_cong_nhan"


def require_decision_time(call: ServiceCall) -> None:
    """Refuse a decision taken while the year's window is still open (before 16/11 00:00, Vietnam time)."""
    year = int(opened(call)["year"])
    if clock.now() < window_closes(year):
        raise FormValidationError({DECISION_FIELD: FieldError.of("tt124_decision_early", year=year)})


def tt124_certificate(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """UBND TP's decision, numbered in its register (…/QĐ-UBND), and the Giấy công nhận issued with it."""
    require_decision_time(call)
    year = int(opened(call)["year"])
    participation = participation_of(store, instance, call)
    school = store.org(instance.org_id)
    orgs = store.orgs()
    committee = store.org(resolve_scope("city_committee", school, orgs))
    city_police = store.org(resolve_scope("city_police", school, orgs))
    office = store.org(school.parent_id)
    today = clock.today()
    key = numbering.counter_key(
        committee.counter_scope or "year_shared", year=today.year, doc_type="QĐ", term=numbering.party_term(today.year)
    )
    number = store.next_document_number(committee.id, key)
    symbol = nd30.render_symbol("state", number, "QĐ", committee.symbol or committee.short_name)
    signer = person(store, instance, call.properties.get("signerTask", "decide"))
    deputy = signer is not None and "deputy" in signer.roles
    to_trinh = store.document(participation.dossier_document_id) if participation.dossier_document_id else None
    paper = Recognition(
        year=year,
        committee=committee.name,
        symbol=symbol,
        place=place_of(store, committee),
        issued_on=today,
        school_name=school.name,
        to_trinh=to_trinh.symbol if to_trinh and to_trinh.symbol else "…",
        city_police=city_police.name,
        receiver=office.name,
        signing_mode="KT" if deputy else "TM",
        authority_title="CHỦ TỊCH" if deputy else "ỦY BAN NHÂN DÂN",
        signer_title=(signer.title or ("PHÓ CHỦ TỊCH" if deputy else "CHỦ TỊCH")) if signer else "CHỦ TỊCH",
        signer_name=signer.full_name if signer else "",
    )
    summary, body = decision_text(school.name, year, paper.to_trinh, city_police.name, office.name)
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
            place=paper.place,
            issued_on=today,
            signer_name=signer.full_name if signer else None,
            signer_title=paper.signer_title.upper() if signer else None,
            authority_title=paper.authority_title,
            signing_mode=paper.signing_mode,
            drafting_unit=None,
            response_due=None,
            issuing_instance_id=instance.id,
            recipients=recipients,
            relations=[("based_on", to_trinh.id)] if to_trinh else [],
        )
    )
    for org_id, _purpose in recipients:
        store.mark_delivered(document_id, org_id, now, None)
    stem = symbol.replace("/", "-")
    store.add_tt124_file(
        participation.id, "quyet_dinh", f"{stem} Quyết định công nhận.docx", decision_docx(paper), document_id, now
    )
    store.add_tt124_file(
        participation.id, "giay_cong_nhan", f"{stem} Giấy công nhận.docx", certificate_docx(paper), document_id, now
    )
    decision = {"result": "cong_nhan", "comment": call.data.get("ly_do_quyet_dinh") or "", "symbol": symbol}
    decision |= {"by": signer.full_name if signer else None, "at": now.isoformat()}
    store.set_tt124_participation(
        participation.id,
        status="recognised",
        recognised=True,
        decision=decision,
        decision_document_id=document_id,
        certificate_number=symbol,
        certificate_date=today,
    )
    store.audit(
        Actor.system(),
        "tt124.decision",
        instance_id=instance.id,
        detail={"participation_id": participation.id, "symbol": symbol},
        at=now,
    )
    tell(
        engine,
        store,
        instance,
        f"principal@self,{OFFICE}",
        f"TT 124 — {school.name} được công nhận đạt chuẩn “An toàn về an ninh, trật tự” năm {year}",
        f"Quyết định số {symbol} ngày {format_date(today)} của {committee.name}; Giấy công nhận kèm theo.",
        url(participation.id),
    )
    return {"quyet_dinh_id": document_id, "so_quyet_dinh": symbol}
