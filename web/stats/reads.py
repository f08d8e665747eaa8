"""Statistics ("Thống kê") for office leaders, read-only: per unit and period, the directives received and how
they were done (on time, late, not done), the periodic reports filed on time, the incidents by category and
severity.

Who sees which units: the leaders, deputies and specialists of an office see the office and its schools; anyone
else sees only their own organisation (a school sees itself); an administrator sees every office and school."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from engine.core.clock import VN_TZ
from engine.core.ports import Actor, Org
from models import db
from models.document import Document, DocumentRecipient
from models.incident import Incident
from models.report import ReportPeriod, ReportSubmission
from models.workflow import ProcessInstance

LEADING_ROLES = frozenset({"leader", "deputy", "specialist"})
DIRECTIVE_KEYS = ("received", "on_time", "late", "not_done", "overdue")
REPORT_KEYS = ("due", "on_time", "late", "missing")
QUARTERS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}


@dataclass(frozen=True)
class Window:
    """The period asked for: a calendar year, or one quarter of it (dates in Vietnam time, both inclusive)."""

    year: int
    quarter: int | None
    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The window as instants: from the first day's midnight to the midnight after the last day."""
        begin = datetime.combine(self.start, time(), tzinfo=VN_TZ)
        return begin, datetime.combine(self.end + timedelta(days=1), time(), tzinfo=VN_TZ)


def window(year: int, quarter: int | None) -> Window:
    if quarter not in QUARTERS:
        return Window(year, None, date(year, 1, 1), date(year, 12, 31))
    first, last = QUARTERS[quarter]
    end = date(year + (last == 12), last % 12 + 1, 1) - timedelta(days=1)
    return Window(year, quarter, date(year, first, 1), end)


def units(actor: Actor, orgs: list[Org]) -> list[Org]:
    """The organisations the actor may count: their offices first, then the schools by name."""
    if actor.is_admin:
        parents = {o.parent_id for o in orgs if o.kind == "school"}
        chosen = [o for o in orgs if o.id in parents or o.kind == "school"]
    elif actor.roles & LEADING_ROLES:  # the office (not its sections) and the schools under it
        schools = [o for o in orgs if o.kind == "school" and o.parent_id in actor.org_scope]
        chosen = [o for o in orgs if o.id in {s.parent_id for s in schools}] + schools
    else:
        chosen = [o for o in orgs if o.id in actor.org_scope]
    return sorted(chosen, key=lambda o: (o.kind == "school", o.school_level or "", o.name))


@dataclass
class UnitRow:
    org: Org
    directives: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DIRECTIVE_KEYS, 0))
    reports: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPORT_KEYS, 0))
    incidents: int = 0


@dataclass
class Statistics:
    window: Window
    rows: list[UnitRow]
    directives: dict[str, int]  # the sums over every unit
    reports: dict[str, int]
    incidents: dict[tuple[str, str], int]  # (category, severity) → cases
    incident_total: int = 0


def _vn_day(at: datetime | None) -> date | None:
    return at.astimezone(VN_TZ).date() if at is not None else None


def _directives(rows: dict[int, UnitRow], w: Window, today: date) -> None:
    """Directives delivered to a unit for it to carry out (thực hiện) in the window: done on time (its plan or
    answer by the directive's response date, or no date set), done late, not done (overdue: past the date)."""
    begin, end = w.bounds()
    stmt = (
        select(DocumentRecipient.org_id, DocumentRecipient.responded_at, Document.response_due, ProcessInstance)
        .join(Document, Document.id == DocumentRecipient.document_id)
        .outerjoin(ProcessInstance, ProcessInstance.id == DocumentRecipient.instance_id)
        .where(
            DocumentRecipient.org_id.in_(list(rows)),
            DocumentRecipient.purpose == "thuc_hien",
            DocumentRecipient.delivered_at >= begin,
            DocumentRecipient.delivered_at < end,
        )
    )
    for org_id, responded_at, due, instance in db.session.execute(stmt):
        counts = rows[org_id].directives
        counts["received"] += 1
        done_at = responded_at
        if done_at is None and instance is not None and instance.status == "completed":
            done_at = instance.completed_at
        if done_at is None:
            counts["not_done"] += 1
            counts["overdue"] += int(due is not None and today > due)
        elif due is None or _vn_day(done_at) <= due:
            counts["on_time"] += 1
        else:
            counts["late"] += 1


def _reports(rows: dict[int, UnitRow], w: Window) -> None:
    """Periodic reports whose school deadline falls in the window: filed on time, filed late, not filed."""
    stmt = (
        select(ReportSubmission.school_id, ReportSubmission.submitted_at, ReportSubmission.on_time)
        .join(ReportPeriod, ReportPeriod.id == ReportSubmission.period_id)
        .where(
            ReportSubmission.school_id.in_(list(rows)),
            ReportPeriod.school_due >= w.start,
            ReportPeriod.school_due <= w.end,
        )
    )
    for school_id, submitted_at, on_time in db.session.execute(stmt):
        counts = rows[school_id].reports
        counts["due"] += 1
        if submitted_at is None:
            counts["missing"] += 1
        else:
            counts["on_time" if on_time else "late"] += 1


def _incidents(rows: dict[int, UnitRow], w: Window) -> dict[tuple[str, str], int]:
    """Incidents that happened at a unit's school in the window (false alarms left out), by category and severity."""
    begin, end = w.bounds()
    stmt = select(Incident.school_id, Incident.category, Incident.severity).where(
        Incident.school_id.in_(list(rows)),
        Incident.occurred_at >= begin,
        Incident.occurred_at < end,
        Incident.status != "false_alarm",
    )
    table: dict[tuple[str, str], int] = {}
    for school_id, category, severity in db.session.execute(stmt):
        rows[school_id].incidents += 1
        table[(category, severity)] = table.get((category, severity), 0) + 1
    return table


def _sum(rows: list[UnitRow], part: str, keys: tuple[str, ...]) -> dict[str, int]:
    return {k: sum(getattr(r, part)[k] for r in rows) for k in keys}


def statistics(actor: Actor, orgs: list[Org], w: Window, today: date) -> Statistics:
    """The three tables for the units the actor may count (three queries)."""
    rows = {o.id: UnitRow(o) for o in units(actor, orgs)}
    if rows:
        _directives(rows, w, today)
        _reports(rows, w)
    incidents = _incidents(rows, w) if rows else {}
    ordered = list(rows.values())
    return Statistics(
        window=w,
        rows=ordered,
        directives=_sum(ordered, "directives", DIRECTIVE_KEYS),
        reports=_sum(ordered, "reports", REPORT_KEYS),
        incidents=incidents,
        incident_total=sum(incidents.values()),
    )
