"""Opening a Circular 124 year for a receiving office (one `tt124_cycle` instance per eligible school, started by
a message like a reporting period) and the administrator's eligibility override. Each use case owns its
transaction: it commits, or rolls back and raises."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from engine.core.clock import clock
from engine.core.errors import EngineError, NotAllowedError
from engine.core.ports import Actor, InstanceRecord, NewMessage, Store
from engine.tt124.common import midnight
from engine.tt124.rules import FIRST_YEAR, calendar, eligibility, openable_year, scheduled_year

if TYPE_CHECKING:
    from engine.core.cascade import Cascade
    from engine.core.runtime import ServiceCall

OPENERS = frozenset({"specialist", "leader", "deputy"})


def year_payload(cycle_id: int, year: int, receiver_id: int) -> dict:
    """What a school's instance carries about its year: the dates its timers and deadlines read."""
    cal = calendar(year)
    return {
        "cycle_id": cycle_id,
        "year": year,
        "label": f"Năm {year}",
        "directive_id": None,
        "sender_org_id": receiver_id,
        "start": cal.start.isoformat(),
        "end": cal.end.isoformat(),
        "register_due_at": cal.at(cal.register_due),
        "assessment_at": cal.at(cal.assessment_on, time(8, 0)),
        "meeting_due_at": cal.at(cal.meeting_due),
        "submit_due_at": cal.at(cal.submit_due),
        "window_end_at": midnight(cal.end + timedelta(days=1)).isoformat(),
        "decide_due_at": cal.at(date(year, 11, 19)),
    }


def open_cycle(engine: Cascade, store: Store, actor: Actor, receiver_id: int, year: int) -> int:
    """Open a year for the receiving office's schools: each school's eligibility (level, or the administrator's
    override) is kept on its record; each eligible school gets its own `tt124_cycle` instance."""
    try:
        cycle_id = open_year(store, actor, receiver_id, year)
        store.commit()
        return cycle_id
    except Exception:
        store.rollback()
        raise


def open_year(store: Store, actor: Actor, receiver_id: int, year: int) -> int:
    """Open the year in the caller's transaction (`open_cycle` commits it; the yearly timer start's step is
    committed with its instance)."""
    receiver = store.org(receiver_id)
    if not (actor.user_id is None or actor.is_admin or (receiver.id in actor.org_scope and actor.roles & OPENERS)):
        raise NotAllowedError("Chỉ đơn vị tiếp nhận hồ sơ mới mở năm đánh giá Thông tư 124.")
    if not openable_year(year, clock.today()):
        raise EngineError(f"Không mở được năm {year}: chỉ mở các năm từ {FIRST_YEAR} đến năm sau năm hiện tại.")
    definition = store.latest_definition("tt124_cycle")
    if definition is None:
        raise EngineError("Quy trình tt124_cycle chưa được triển khai.")
    cal = calendar(year)
    try:
        cycle = store.create_tt124_cycle(
            receiver.id, year, cal.start, cal.end, cal.register_due, cal.submit_due, actor.user_id
        )
    except Exception as exc:  # the same year twice: the database's unique constraint refuses it
        raise EngineError(f"Năm đánh giá {year} đã được mở.") from exc
    overrides = store.tt124_overrides()
    schools = sorted(
        (o for o in store.orgs() if o.parent_id == receiver.id and o.kind == "school" and not o.closed),
        key=lambda o: o.id,
    )
    started = 0
    for school in schools:
        rule = eligibility(school.school_level, overrides.get(school.id))
        store.create_tt124_participation(cycle.id, school.id, rule.eligible, rule.note)
        if rule.eligible:
            started += 1
            store.add_message(
                NewMessage(
                    name="tt124_cycle_opened",
                    source_instance_id=None,
                    target_org_id=school.id,
                    payload=year_payload(cycle.id, year, receiver.id),
                )
            )
    detail = {"cycle_id": cycle.id, "year": year, "schools": len(schools), "eligible": started}
    store.audit(actor, "tt124.open", detail=detail, at=clock.now())
    return cycle.id


def tt124_open_year(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """The step of `workflows/tt124_year.bpmn`, started by its yearly timer on 16/11 at each office: open the year
    whose window begins that day for the office's schools, unless it is open already (by hand, or by an earlier
    run) or the office manages no school. What it did is kept in the instance as `ket_qua`."""
    year = scheduled_year(clock.today())
    if store.tt124_cycle_of(instance.org_id, year) is not None:
        return {"nam_danh_gia": year, "ket_qua": f"Năm đánh giá {year} đã được mở trước đó."}
    if not any(o.parent_id == instance.org_id and o.kind == "school" and not o.closed for o in store.orgs()):
        return {"nam_danh_gia": year, "ket_qua": "Đơn vị không quản lý cơ sở giáo dục nào."}
    cycle_id = open_year(store, Actor.system(), instance.org_id, year)
    return {"nam_danh_gia": year, "cycle_id": cycle_id, "ket_qua": f"Đã mở năm đánh giá {year}."}


def set_eligibility(store: Store, actor: Actor, school_id: int, eligible: bool | None, reason: str) -> None:
    """An administrator puts a school in or out of the Circular's scope (None: back to the level rule). Years
    already opened keep what they recorded."""
    try:
        if not actor.is_admin:
            raise NotAllowedError("Chỉ quản trị hệ thống mới điều chỉnh phạm vi áp dụng Thông tư 124.")
        school = store.org(school_id)
        if school.kind != "school":
            raise EngineError("Chỉ cơ sở giáo dục được đánh giá theo Thông tư 124.")
        reason = " ".join((reason or "").split())[:1000]
        if eligible is not None and not reason:
            raise EngineError("Vui lòng nêu lý do.")
        store.set_tt124_override(school.id, eligible, reason, actor.user_id, clock.now())
        detail = {"school_id": school.id, "eligible": eligible, "reason": reason[:200]}
        store.audit(actor, "tt124.eligibility", detail=detail, at=clock.now())
        store.commit()
    except Exception:
        store.rollback()
        raise
