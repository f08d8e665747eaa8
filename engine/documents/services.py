"""Directives and their documents in the engine: numbering and dispatching an approved draft (NĐ 30), and how
the directive cascade takes part in message delivery (responses go to the issuer's follow-up, a recipient's
instance is recorded on the directive).

Pure rules live beside this module: `nd30` (the grammar of numbers, dates and "Nơi nhận"), `distribution` (the
usual recipients), `word` (the Word layout)."""

from __future__ import annotations

from engine.core.cascade import Cascade
from engine.core.clock import clock
from engine.core.errors import EngineError, FormValidationError
from engine.core.forms import FieldError
from engine.core.ports import Actor, InstanceRecord, MessageRecord, NewMessage, Store
from engine.core.registry import DeliveryMemo, Feature
from engine.core.runtime import ServiceCall, end_of_day
from engine.documents import nd30, numbering
from engine.documents.dates import format_date, parse_date
from engine.documents.distribution import default_distribution
from engine.documents.ports import DocumentRecord, NewDocument

# What an implementing or coordinating recipient receives: the message that starts its instance.
PURPOSE_MESSAGES = {"thuc_hien": "implement_directive", "phoi_hop": "coordinate_directive"}
HEAD_TITLES = {
    "office": ("TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"),
    "department": ("GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    "school": ("HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG"),
    "steering_committee": ("TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"),
    "people_committee": ("CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
    "police": ("TRƯỞNG CÔNG AN", "PHÓ TRƯỞNG CÔNG AN"),
    "party_committee": ("BÍ THƯ", "PHÓ BÍ THƯ"),
}


def _counter_key(issuer, doc_type: str, year: int, properties: dict) -> str:
    return numbering.counter_key(
        issuer.counter_scope or "year_shared",
        year=year,
        doc_type=doc_type,
        term=properties.get("term") or numbering.party_term(year),
    )


def _symbol(issuer, number: int, doc_type: str) -> tuple[str, str]:
    grammar = "party" if issuer.grammar == "party" else "state"
    return grammar, nd30.render_symbol(grammar, number, doc_type, issuer.symbol or issuer.short_name)


def prepare_issue(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Before the clerk numbers the approved draft: the number it would take now, today as the issuing date
    (the clerk may change it) and the approval date, before which it may not be dated."""
    issuer = store.org(instance.org_id)
    today = clock.today()
    doc_type = call.data.get("loai_van_ban") or call.properties.get("docType") or "KH"
    number = store.peek_document_number(issuer.id, _counter_key(issuer, doc_type, today.year, call.properties))
    return {
        "so_du_kien": _symbol(issuer, number, doc_type)[1],
        "ngay_ban_hanh": today.isoformat(),
        "ngay_duyet": today.isoformat(),
    }


def _issuing_date(data: dict):
    """The clerk's issuing date: not before the approval, not after today."""
    today = clock.today()
    chosen = parse_date(str(data["ngay_ban_hanh"])) if data.get("ngay_ban_hanh") else today
    approved = parse_date(str(data["ngay_duyet"])) if data.get("ngay_duyet") else None
    if approved is not None and chosen < approved:
        raise FormValidationError({"ngay_ban_hanh": FieldError.of("before_approval", date=format_date(approved))})
    if chosen > today:
        raise FormValidationError({"ngay_ban_hanh": FieldError.of("after_today", date=format_date(today))})
    return chosen


def issue_document(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Number the approved draft in the issuer's register (NĐ 30) on the clerk's issuing date, store it with its
    recipients (the issuer's own leaders are a line of "Nơi nhận", not a recipient) and dispatch it:
    implementing and coordinating recipients get a message that starts their own instance; the others get a
    copy. The clerk is told the number and date given."""
    data = call.data
    issuer = store.org(instance.org_id)
    issued_on = _issuing_date(data)
    doc_type = data.get("loai_van_ban") or call.properties.get("docType") or "KH"
    number = store.next_document_number(issuer.id, _counter_key(issuer, doc_type, issued_on.year, call.properties))
    grammar, symbol = _symbol(issuer, number, doc_type)
    signer_id = store.last_completion(instance.id, call.properties.get("signerTask", ""))
    signer = store.user(signer_id) if signer_id else None
    head, deputy = HEAD_TITLES.get(issuer.kind, ("THỦ TRƯỞNG", "CẤP PHÓ"))
    mode, authority = "direct", head
    if signer is not None and "deputy" in signer.roles:
        mode = "TM" if issuer.kind == "steering_committee" else "KT"
        authority = "BAN CHỈ ĐẠO" if mode == "TM" else head
    chosen = _recipients(store, instance, data, call.properties)
    recipients = [(o, p) for o, p in chosen if o != issuer.id]
    leaders = next((p for o, p in chosen if o == issuer.id), None)
    response_due = None
    if data.get("han_nop"):
        response_due = parse_date(str(data["han_nop"]))
    relations = [("implements", instance.directive_id)] if instance.directive_id else []
    document_id = store.create_document(
        NewDocument(
            issuer_id=issuer.id,
            doc_type=doc_type,
            number=number,
            year=issued_on.year,
            symbol=symbol,
            grammar=grammar,
            summary=str(data.get("trich_yeu", "")),
            body=str(data.get("noi_dung", "")),
            place=issuer.place,
            issued_on=issued_on,
            signer_name=signer.full_name if signer else None,
            signer_title=(signer.title or deputy).upper() if signer else None,
            authority_title=authority,
            signing_mode=mode,
            drafting_unit=call.properties.get("draftingUnit"),
            response_due=response_due,
            issuing_instance_id=instance.id,
            recipients=recipients,
            relations=relations,
            extra={"leaders": leaders} if leaders else {},
        )
    )
    now = clock.now()
    expected = 0
    outbox = []
    for org_id, purpose in recipients:
        message = PURPOSE_MESSAGES.get(purpose)
        if message is None:
            store.mark_delivered(document_id, org_id, now, None)  # a copy: it is in their incoming register
            continue
        expected += purpose == "thuc_hien"
        outbox.append(
            NewMessage(
                name=message,
                source_instance_id=instance.id,
                target_org_id=org_id,
                directive_id=document_id,
                payload={
                    "directive_id": document_id,
                    "directive_symbol": symbol,
                    "directive_summary": str(data.get("trich_yeu", "")),
                    "sender_org_id": issuer.id,
                    "purpose": purpose,
                    "response_due": response_due.isoformat() if response_due else None,
                },
            )
        )
    store.add_messages(outbox)
    store.audit(
        Actor.system(),
        "document.issue",
        instance_id=instance.id,
        detail={"document_id": document_id, "symbol": symbol, "recipients": len(recipients)},
        at=now,
    )
    _tell_clerk(store, instance, call, document_id, symbol, issued_on, now)
    deadline = end_of_day(response_due) if response_due else None
    return {
        "document_id": document_id,
        "so_ky_hieu": symbol,
        "ngay_ban_hanh": issued_on.isoformat(),
        "expected_count": expected,
        "plan_filed": {"filed_count": 0, "expected_count": expected},
        "follow_up_deadline": deadline.isoformat() if deadline else "9999-12-31T00:00:00+00:00",
    }


def _tell_clerk(store: Store, instance: InstanceRecord, call: ServiceCall, document_id: int, symbol, issued_on, now):
    """A notification to the clerk who numbered it: the number and the date given."""
    clerk = store.last_completion(instance.id, call.properties.get("clerkTask", "register_plan"))
    if clerk is None:
        return
    summary = str(call.data.get("trich_yeu", ""))
    store.notify(
        [clerk],
        f"Đã cấp số {symbol} ngày {format_date(issued_on)}",
        f"Văn bản {symbol} ngày {format_date(issued_on)} — {summary} — đã được vào sổ và phát hành.",
        f"/documents/{document_id}",
        now,
    )


def _recipients(store: Store, instance: InstanceRecord, data: dict, properties: dict) -> list[tuple[int, str]]:
    """The draft's recipient list, or the diagram's rule (`sender:bao_cao`) for fixed distributions."""
    chosen = data.get("noi_nhan")
    if chosen:
        return [(int(r["org_id"]), str(r["purpose"])) for r in chosen]
    out = []
    for rule in filter(None, (properties.get("recipients") or "").split(",")):
        who, _, purpose = rule.strip().partition(":")
        org_id = instance.sender_org_id if who == "sender" else instance.org_id
        if org_id is not None:
            out.append((org_id, purpose or "bao_cao"))
    return out


def _document(store: Store, memo: DeliveryMemo, document_id: int) -> DocumentRecord | None:
    return memo.get(("document", document_id), lambda: store.document(document_id))


def _is_response(message: MessageRecord) -> bool:
    """A message thrown by a recipient's instance back up to the directive it implements (e.g. `plan_filed`)."""
    return message.target_org_id is None and message.directive_id is not None and "to_instance" not in message.payload


def response_target(store: Store, message: MessageRecord, memo: DeliveryMemo) -> int | None:
    """A response goes to the instance that issued the directive (its follow-up)."""
    if not _is_response(message):
        return None
    directive = _document(store, memo, message.directive_id)
    if directive is None:
        raise EngineError(f"directive {message.directive_id} does not exist")
    if directive.issuing_instance_id is None:  # an incoming document: the response is recorded on it only
        return message.source_instance_id
    return directive.issuing_instance_id


def record_response(store: Store, message: MessageRecord, payload: dict, memo: DeliveryMemo) -> None:
    """The response is recorded on the directive (who filed, with which document), and the follow-up is told
    how many of the implementing recipients have filed."""
    if not _is_response(message) or message.source_instance_id is None:
        return
    source = store.instance(message.source_instance_id)
    document_id = payload.get("document_id")
    filed, expected = store.record_response(message.directive_id, source.org_id, document_id, clock.now())
    payload.update(org_id=source.org_id, filed_count=filed, expected_count=expected)


def title_with_directive(store: Store, message: MessageRecord, title: str, memo: DeliveryMemo) -> str:
    directive = _document(store, memo, message.directive_id) if message.directive_id else None
    return f"{title} — {directive.symbol}" if directive is not None and directive.symbol else title


def mark_received(store: Store, message: MessageRecord, instance_id: int) -> None:
    if message.directive_id:
        store.mark_delivered(message.directive_id, message.target_org_id, clock.now(), instance_id)


def proposed_recipients(store: Store, instance: InstanceRecord) -> list[dict]:
    """A recipient list field starts with the usual distribution for the issuer's kind."""
    return [{"org_id": o, "purpose": p} for o, p in default_distribution(store.org(instance.org_id), store.orgs())]


def directive_subject(message: MessageRecord) -> str | None:
    return f"directive:{message.directive_id}" if message.directive_id and message.target_org_id else None


FEATURE = Feature(
    name="documents",
    services={"issue_document": issue_document, "prepare_issue": prepare_issue},
    field_errors={
        "before_approval": ("Ngày ban hành không được trước ngày duyệt ({date}).", "Not before the approval ({date})."),
        "after_today": ("Ngày ban hành không được sau hôm nay ({date}).", "Not after today ({date})."),
        "after_received": ("Ngày văn bản không được sau ngày đến.", "The document's date is after its arrival."),
    },
    field_defaults={"recipients": proposed_recipients},
    message_target=response_target,
    before_delivery=record_response,
    instance_title=title_with_directive,
    after_start=mark_received,
    subject=directive_subject,
)
