"""What the Circular 124 pages share: who sees a year and a school's record (the rule is
`engine/core/access.py`), the rows of a year, the roll-up row of a school, and sending a stored file."""

from __future__ import annotations

import io

from flask import send_file
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.access import can_see_tt124_dossier, can_see_tt124_year
from engine.core.orgs import resolve_scope
from models import db
from models.org import Organisation
from models.tt124 import Tt124Cycle, Tt124Participation
from web.deps import current_actor, store

OPENER_ROLES = {"specialist", "leader", "deputy"}
LEVEL_ORDER = ("MN", "TH", "TH&THCS", "THCS", "THPT")
RECOGNISED = ("recognised", "under_review")  # a recognition under review still stands until it is revoked
DECISION_KINDS = ("quyet_dinh", "giay_cong_nhan")


def city_bodies(receiver_id: int) -> set[int]:
    """The city police (appraisal) and UBND TP (decision) for the receiver's schools."""
    s = store()
    receiver, orgs = s.org(receiver_id), s.orgs()
    return {i for i in (resolve_scope(k, receiver, orgs) for k in ("city_police", "city_committee")) if i}


def can_see_cycle(cycle: Tt124Cycle) -> bool:
    return can_see_tt124_year(current_actor(), cycle.receiver_id, city_bodies(cycle.receiver_id))


def can_see(p: Tt124Participation) -> bool:
    """The school's page, its evidence and their attachments, its dossier, decision and certificate files: one
    rule for all of them."""
    s = store()
    ward_police = resolve_scope("ward_police", s.org(p.school_id), s.orgs())
    receiver_id = p.cycle.receiver_id
    return can_see_tt124_dossier(current_actor(), p.school_id, receiver_id, city_bodies(receiver_id), ward_police)


def visible_cycles() -> list[Tt124Cycle]:
    cycles = db.session.scalars(select(Tt124Cycle).order_by(Tt124Cycle.year.desc(), Tt124Cycle.id)).all()
    return [c for c in cycles if can_see_cycle(c)]


def participations(cycle_ids: list[int]) -> list[Tt124Participation]:
    return db.session.scalars(
        select(Tt124Participation)
        .where(Tt124Participation.cycle_id.in_(cycle_ids))
        .options(
            joinedload(Tt124Participation.school).joinedload(Organisation.ward), joinedload(Tt124Participation.cycle)
        )
    ).all()


def rollup_row(p: Tt124Participation) -> dict:
    school = p.school
    return {
        "school": school.name,
        "ward": school.ward.name if school.ward else "—",
        "level": school.school_level or "—",
        "year": p.cycle.year,
        "eligible": p.eligible,
        "registered": p.registered_at is not None,
        "registered_on_time": bool(p.registered_on_time),
        "recognised": p.status in RECOGNISED,
        "status": p.status,
    }


def level_rank(level: str | None) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def sorted_rows(rows: list[Tt124Participation]) -> list[Tt124Participation]:
    return sorted(rows, key=lambda p: (not p.eligible, level_rank(p.school.school_level), p.school.name))


def can_open(receiver_id: int | None = None) -> bool:
    actor = current_actor()
    if actor.is_admin:
        return True
    return bool(actor.roles & OPENER_ROLES) and (receiver_id is None or receiver_id in actor.org_scope)


def receiver_id() -> int | None:
    """The office the user opens years for (a section stands for its office)."""
    actor = current_actor()
    org = db.session.get(Organisation, actor.org_id) if actor.org_id else None
    if org is None:
        return None
    return org.parent_id if org.kind == "section" else org.id


def offers_schools(org_id: int | None) -> bool:
    return (
        org_id is not None
        and db.session.scalar(
            select(Organisation.id).where(Organisation.parent_id == org_id, Organisation.kind == "school").limit(1)
        )
        is not None
    )


def send(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
