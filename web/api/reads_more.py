"""Read-only queries of the API's reporting and Circular 124 records, filtered to what the actor may see as the
pages do (`web/reports/reads.py`, `engine.core.access`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.access import can_see_tt124_dossier
from engine.core.orgs import resolve_scope
from engine.core.ports import Actor
from models import db
from models.report import ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission
from models.tt124 import Tt124Cycle, Tt124Participation
from web.deps import store
from web.reports.reads import period_visible, submission_visible
from web.tt124.common import city_bodies

REPORT_PROCESSES = ("school_report", "compile_report")


def periods(actor: Actor):
    """The periods I compile (my organisations receive the regime's reports); a school reads its own
    submissions instead, as the pages send it there."""
    stmt = select(ReportPeriod).join(ReportingRegime, ReportingRegime.id == ReportPeriod.regime_id)
    return stmt if actor.is_admin else stmt.where(ReportingRegime.receiver_id.in_(actor.org_scope))


def period(
    actor: Actor, period_id: int
) -> tuple[ReportPeriod | None, list[ReportSubmission], ReportCompilation | None]:
    """The period I compile, with every school's submission and the compilation; (None, …) for anyone else."""
    row = db.session.get(ReportPeriod, period_id)
    if row is None or not period_visible(actor, row):
        return None, [], None
    stmt = select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.id)
    subs = list(db.session.scalars(stmt.options(joinedload(ReportSubmission.school))))
    compiled = select(ReportCompilation).where(ReportCompilation.period_id == period_id)
    return row, subs, db.session.scalars(compiled).first()


def my_submissions(actor: Actor):
    """My organisations' reports, as a statement to page."""
    stmt = select(ReportSubmission).options(joinedload(ReportSubmission.school), joinedload(ReportSubmission.period))
    return stmt.where(ReportSubmission.school_id.in_(actor.org_scope))


def submission(actor: Actor, submission_id: int) -> ReportSubmission | None:
    row = db.session.get(ReportSubmission, submission_id)
    return row if row is not None and submission_visible(actor, row) else None


def _tt124_visible(actor: Actor, p: Tt124Participation, orgs) -> bool:
    s = store()
    ward_police = resolve_scope("ward_police", s.org(p.school_id), orgs)
    receiver_id = p.cycle.receiver_id
    return can_see_tt124_dossier(actor, p.school_id, receiver_id, city_bodies(receiver_id), ward_police)


def participations(actor: Actor, school_id: int | None, year: int | None) -> list[Tt124Participation]:
    """The schools' Circular 124 years I may see (the school, its ward police, the receiving office and the
    city bodies that appraise and decide), newest first."""
    stmt = (
        select(Tt124Participation)
        .join(Tt124Cycle, Tt124Cycle.id == Tt124Participation.cycle_id)
        .options(joinedload(Tt124Participation.cycle), joinedload(Tt124Participation.school))
        .order_by(Tt124Participation.id.desc())
    )
    if school_id is not None:
        stmt = stmt.where(Tt124Participation.school_id == school_id)
    if year is not None:
        stmt = stmt.where(Tt124Cycle.year == year)
    orgs = store().orgs()
    return [p for p in db.session.scalars(stmt) if _tt124_visible(actor, p, orgs)]


def participation(actor: Actor, participation_id: int) -> Tt124Participation | None:
    row = db.session.get(Tt124Participation, participation_id)
    return row if row is not None and _tt124_visible(actor, row, store().orgs()) else None
