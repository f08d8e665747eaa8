"""What the Circular 124 modules share: the year an instance carries, its participation record, who to tell and
how, the people who completed a step, the checklist from Cascade's records, and the field errors the year's
forms can raise (registered with the engine's bilingual form messages)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from engine.core.clock import VN_TZ, clock
from engine.core.errors import EngineError
from engine.core.ports import InstanceRecord, Org, Store
from engine.core.runtime import ServiceCall
from engine.incidents.rules import CATEGORIES
from engine.tt124.ports import Tt124ParticipationRecord
from engine.tt124.rules import Finding, calendar, incident_findings, registration_findings

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

# Field errors of this feature's forms: code → (Vietnamese, English); shown next to the field.
FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "tt124_evidence_empty": (
        "Chưa có nội dung minh chứng: vui lòng chọn tiêu chí và nhập nội dung minh chứng, hoặc đánh dấu "
        "“Đã đủ minh chứng, kết thúc cập nhật”.",
        "No evidence given: choose a criterion and describe the evidence, or tick “Evidence complete: stop adding”.",
    ),
    "tt124_evidence_no_criterion": (
        "Vui lòng chọn tiêu chí mà minh chứng này chứng minh.",
        "Choose the criterion this evidence is for.",
    ),
    "tt124_evidence_no_text": (
        "Vui lòng nhập nội dung minh chứng.",
        "Describe the evidence.",
    ),
    "tt124_decision_early": (
        "Chưa thể quyết định: thời gian đánh giá năm {year} kéo dài đến hết ngày 15/11/{year}; việc xét, "
        "quyết định công nhận thực hiện từ ngày 16/11/{year} và trước ngày 20/11/{year}.",
        "Too early: the {year} evaluation window runs to the end of 15/11/{year}; the decision is taken from "
        "16/11/{year}, before 20/11/{year}.",
    ),
}

OFFICE = "specialist@parent"
DECIDED_STATUSES = frozenset({"recognised", "under_review"})


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), VN_TZ)


def window_closes(year: int) -> datetime:
    """The first moment after the evaluation window (16/11 00:00, Vietnam time)."""
    return midnight(calendar(year).end + timedelta(days=1))


def opened(call: ServiceCall) -> dict:
    values = call.data.get("tt124_cycle_opened") or {}
    if not values.get("cycle_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no Circular 124 year")
    return values


def participation_of(store: Store, instance: InstanceRecord, call: ServiceCall) -> Tt124ParticipationRecord:
    row = store.tt124_participation(int(opened(call)["cycle_id"]), instance.org_id)
    if row is None:
        raise EngineError(f"{call.bpmn_id}: no Circular 124 record for this school and year")
    return row


def url(participation_id: int) -> str:
    return f"/tt124/schools/{participation_id}"


def tell(engine: Cascade, store: Store, instance: InstanceRecord, targets: str, title: str, body: str, link: str):
    """Notify every user holding one of `targets` (`role@scope`, comma-separated) for the instance."""
    pairs = engine.candidates(store, instance, [t.strip() for t in targets.split(",") if t.strip()])
    users = sorted({u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)})
    if users:
        store.notify(users, title, body, link, clock.now())


def fill(template: str, school: Org, year: int, **extra) -> str:
    return template.format(school=school.name, year=year, **extra)


def person(store: Store, instance: InstanceRecord, bpmn_id: str):
    user_id = store.last_completion(instance.id, bpmn_id)
    return store.user(user_id) if user_id else None


def place_of(store: Store, org: Org) -> str:
    current: Org | None = org
    for _ in range(6):
        if current is None:
            break
        if current.place:
            return current.place
        current = store.org(current.parent_id) if current.parent_id else None
    return "Cẩm Phả"


def findings_for(store: Store, school_id: int, participation: Tt124ParticipationRecord, year: int) -> list[Finding]:
    """The checklist from what Cascade knows: the registration (once due) and the incidents in the window."""
    cal = calendar(year)
    out: list[Finding] = []
    if participation.registered_at is not None or clock.now() >= midnight(cal.register_due + timedelta(days=1)):
        registration = participation.registration if participation.registered_at else None
        out += registration_findings(registration, participation.registered_on_time)
    incidents = store.disqualifying_incidents(school_id, midnight(cal.start), window_closes(year))
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
