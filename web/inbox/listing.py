"""The inbox list, ready to print: one line per task (the organisation it is about, the directive's number, the
step, the due date, a "returned" note), the filters' choices with their counts, the total and the next page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from flask import g, url_for

from engine.core.ports import Actor
from web import queries
from web.filters import bilingual, vn_datetime
from web.inbox.subject import return_notes

PAGE_SIZE = 50
# The filters' counts read at most this many tasks (soonest due first): an inbox this full is searched, not
# counted, and the page costs the same at 60 schools as at 650. Above it the choices show no counts and the
# unfiltered total reads "hơn 200".
FACET_CAP = 200
PROCESS_NAMES = {
    "directive_plan": ("Kế hoạch thực hiện văn bản", "Implementation plan"),
    "school_plan": ("Kế hoạch của trường", "School plan"),
    "coordination": ("Phối hợp", "Coordination"),
    "incident": ("Sự việc", "Incident"),
    "school_report": ("Báo cáo định kỳ", "Periodic report"),
    "compile_report": ("Báo cáo tổng hợp", "Compiled report"),
    "tt124_cycle": ("An toàn ANTT (TT 124)", "Circular 124"),
}


class Line(NamedTuple):
    """One line of the inbox list (the template escapes it)."""

    url: str
    name: str
    title: str
    org: str  # the organisation the task is about
    symbol: str  # the directive's number, or ""
    due: str
    overdue: bool
    assignee: str | None  # None: nobody has claimed it
    returned: bool
    note: str  # the first line of the return's comment


@dataclass
class Choice:
    value: str
    label: str
    count: int


@dataclass
class Listing:
    lines: list[Line]
    total: int
    next_after: int | None
    processes: list[Choice] = field(default_factory=list)
    orgs: list[Choice] = field(default_factory=list)
    documents: list[Choice] = field(default_factory=list)
    overdue: int = 0
    returned: int = 0
    all_tasks: int = 0
    counted: bool = True  # the counts cover every task (the inbox holds FACET_CAP tasks or fewer)
    cap: int = FACET_CAP
    capped: bool = False  # the total only says "more than the cap" (an unfiltered inbox past FACET_CAP)


def _lines(rows) -> list[Line]:
    """Lines from `queries.inbox_rows`. A busy inbox repeats the same few task names and due times, so each is
    turned into text once per request, and the task links are one `url_for` with the id put at its end."""
    now = g.now
    base = url_for("inbox.task", task_id=0)
    prefix = base[:-1] if base.endswith("/0") else None
    notes = return_notes(rows)
    names: dict[str, str] = {}
    dates: dict = {}
    lines = []
    for r in rows:
        name = names.get(r.name)
        if name is None:
            name = names[r.name] = bilingual(r.name)
        due, due_text = r.due_at, ""
        if due is not None:
            due_text = dates.get(due) or dates.setdefault(due, vn_datetime(due))
        note = notes.get(r.instance_id)
        lines.append(
            Line(
                prefix + str(r.id) if prefix is not None else url_for("inbox.task", task_id=r.id),
                name,
                r.title,
                r.org_short_name,
                r.symbol or "",
                due_text,
                due is not None and due < now,
                r.assignee_name if r.assignee_id is not None else None,
                note is not None,
                (note.comment.splitlines() or [""])[0][:140] if note is not None else "",
            )
        )
    return lines


def _choices(counts: dict, labels: dict) -> list[Choice]:
    return sorted((Choice(str(k), labels.get(k, str(k)), n) for k, n in counts.items()), key=lambda c: c.label)


def _facets(listing: Listing, rows) -> None:
    processes: dict = {}
    orgs: dict = {}
    documents: dict = {}
    org_names, doc_names = {}, {}
    for r in rows:
        processes[r.process_key] = processes.get(r.process_key, 0) + r.tasks
        orgs[r.org_id] = orgs.get(r.org_id, 0) + r.tasks
        org_names[r.org_id] = r.org_short_name
        if r.document_id:
            documents[r.document_id] = documents.get(r.document_id, 0) + r.tasks
            doc_names[r.document_id] = r.symbol or f"#{r.document_id}"
        listing.overdue += int(r.overdue or 0)
        listing.returned += int(r.returned or 0)
        listing.all_tasks += r.tasks
    labels = {k: bilingual(" | ".join(v)) for k, v in PROCESS_NAMES.items()}
    listing.processes = _choices(processes, labels)
    listing.orgs = _choices(orgs, org_names)
    listing.documents = _choices(documents, doc_names)


def listing(actor: Actor, scope: str, sort: str, filters: queries.TaskFilter) -> Listing:
    """One page of my inbox under these filters, with the counts the filters show. The default page is two
    queries (the page, the counts over at most FACET_CAP + 1 tasks); the total is counted apart only under a
    filter with more than one page."""
    rows = queries.inbox_rows(actor, scope=scope, sort=sort, limit=PAGE_SIZE + 1, filters=filters)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    page = Listing(lines=_lines(rows), total=0, next_after=rows[-1].id if more else None, cap=FACET_CAP)
    _facets(page, queries.inbox_facets(actor, scope=scope, cap=FACET_CAP))
    page.counted = page.all_tasks <= FACET_CAP
    if filters == queries.TaskFilter(after=filters.after):  # no filter: the counts' sum, or "more than the cap"
        page.total, page.capped = (page.all_tasks, False) if page.counted else (FACET_CAP, True)
    elif more or filters.after:
        page.total = queries.inbox_total(actor, scope=scope, filters=filters)
    else:
        page.total = len(rows)
    return page
