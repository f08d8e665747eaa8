"""Read models of the reporting pages: what the dashboard, a period, a school's report and the holiday list
show. Reads only; the pages write through engine.reporting.services and models.reporting."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.core.clock import clock
from engine.core.forms import form_fields
from engine.core.ports import Actor
from engine.documents.dates import parse_date
from engine.reporting.rules import FREQUENCIES
from models import db
from models.org import Organisation
from models.report import Holiday, ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission
from web.deps import cascade, store

OFFICE_ROLES = {"specialist", "leader", "deputy", "clerk"}
TREND_FIELDS = ("b_sessions", "b_participants_students", "d_fights", "d_traffic_violations", "d_school_violence")


def cell_status(s: ReportSubmission, today: date) -> str:
    """on_time | late | returned | extended | pending | missing — what a dashboard cell shows."""
    if s.status == "accepted":
        return "on_time" if s.on_time else "late"
    if s.status == "returned":
        return "returned"
    if s.extended_until and today <= s.extended_until:
        return "extended"
    if today > (s.extended_until or s.due):
        return "missing"
    return "pending"


def receiver_regimes(actor: Actor) -> list[ReportingRegime]:
    if not actor.roles & OFFICE_ROLES and not actor.is_admin:
        return []
    return list(
        db.session.scalars(
            select(ReportingRegime).where(ReportingRegime.receiver_id.in_(actor.org_scope)).order_by(ReportingRegime.id)
        )
    )


def field_labels() -> dict[str, str]:
    definition = store().latest_definition("school_report")
    if definition is None:
        return {}
    spec, subs = cascade().runtime.specs(definition)
    for process in [spec, *subs.values()]:
        task = process.task_specs.get("fill_report")
        if task is not None:
            return {f.id: f.label for f in form_fields(task)}
    return {}


def _rate(items, today: date):
    closed = [s for s in items if cell_status(s, today) in ("on_time", "late", "missing")]
    return round(100 * sum(cell_status(s, today) == "on_time" for s in closed) / len(closed)) if closed else None


def _trends(periods, subs) -> list:
    trends = []
    for field in TREND_FIELDS:
        values = [
            (
                p.label,
                sum(int(s.values.get(field) or 0) for s in subs if s.period_id == p.id and s.status == "accepted"),
            )
            for p in periods
        ]
        top = max([v for _, v in values] + [1])
        trends.append((field, [(label, v, round(100 * v / top)) for label, v in values]))
    return trends


def dashboard(regimes: list[ReportingRegime], wanted: str | None) -> dict:
    """The office's dashboard: schools × periods of one regime, on-time rates by school/ward/level, trends."""
    regime = next((r for r in regimes if str(r.id) == wanted), regimes[0])
    periods = db.session.scalars(
        select(ReportPeriod).where(ReportPeriod.regime_id == regime.id).order_by(ReportPeriod.start)
    ).all()
    period_ids = [p.id for p in periods]
    subs = db.session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.period_id.in_(period_ids))
        .options(joinedload(ReportSubmission.school))
    ).all()
    today = clock.today()
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    matrix: dict[int, dict[int, ReportSubmission]] = {}
    by_ward: dict[str, list] = {}
    by_level: dict[str, list] = {}
    for s in subs:
        matrix.setdefault(s.school_id, {})[s.period_id] = s
        school = orgs[s.school_id]
        by_ward.setdefault(orgs[school.ward_id].name if school.ward_id else "—", []).append(s)
        by_level.setdefault(school.school_level or "—", []).append(s)
    schools = sorted((orgs[i] for i in matrix), key=lambda o: (o.school_level or "", o.name))
    compilations = db.session.scalars(select(ReportCompilation).where(ReportCompilation.period_id.in_(period_ids)))
    return {
        "regimes": regimes,
        "regime": regime,
        "periods": periods,
        "schools": schools,
        "matrix": matrix,
        "today": today,
        "cell_status": cell_status,
        "by_school": {o.id: _rate(matrix[o.id].values(), today) for o in schools},
        "by_ward": {k: _rate(v, today) for k, v in sorted(by_ward.items())},
        "by_level": {k: _rate(v, today) for k, v in sorted(by_level.items())},
        "trends": _trends(periods, subs),
        "labels": field_labels(),
        "compilations": {c.period_id: c for c in compilations},
        "frequencies": FREQUENCIES,
        "orgs": orgs,
    }


def period_visible(actor: Actor, period: ReportPeriod) -> bool:
    return actor.is_admin or period.regime.receiver_id in actor.org_scope


def own_submission(period_id: int, org_id: int | None) -> ReportSubmission | None:
    return db.session.scalars(
        select(ReportSubmission).where(ReportSubmission.period_id == period_id, ReportSubmission.school_id == org_id)
    ).first()


def period_page(period: ReportPeriod) -> dict:
    subs = db.session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.period_id == period.id)
        .options(joinedload(ReportSubmission.school))
        .order_by(ReportSubmission.id)
    ).all()
    compilation = db.session.scalars(select(ReportCompilation).where(ReportCompilation.period_id == period.id)).first()
    return {
        "period": period,
        "subs": subs,
        "compilation": compilation,
        "today": clock.today(),
        "cell_status": cell_status,
    }


def submission_visible(actor: Actor, s: ReportSubmission) -> bool:
    return s.school_id in actor.org_scope or period_visible(actor, s.period)


def submission_page(actor: Actor, s: ReportSubmission, errors: dict) -> dict:
    can_request = (
        s.school_id in actor.org_scope
        and s.status != "accepted"
        and s.extended_until is None
        and not s.extension_refused
    )
    return {
        "s": s,
        "labels": field_labels(),
        "errors": errors,
        "today": clock.today(),
        "cell_status": cell_status,
        "can_request": can_request,
    }


def extension_request(form, s: ReportSubmission, messages: dict[str, str]) -> tuple[date | None, str, dict]:
    """The new deadline and reason a school asks for, with an error per field."""
    try:
        until = parse_date(form.get("until", ""))
    except ValueError:
        until = None
    reason = (form.get("reason") or "").strip()
    errors = {}
    if until is None or until <= (s.extended_until or s.due):
        errors["until"] = messages["until"]
    if not reason:
        errors["reason"] = messages["reason"]
    return until, reason, errors


def my_reports(org_id: int) -> list[ReportSubmission]:
    return list(
        db.session.scalars(
            select(ReportSubmission)
            .where(ReportSubmission.school_id == org_id)
            .options(joinedload(ReportSubmission.period))
            .order_by(ReportSubmission.id.desc())
        )
    )


def holidays() -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).order_by(Holiday.day)))
