"""Task filters read from their own side when they pick few tasks (issue 18: `org=` and `q=` at 100k open tasks).

The task list walks each (organisation, role) an actor holds in the page's order and stops at a page. A filter
on the instance (its organisation) or on text meets a match rarely in that walk: one school of 59 meant ~6,000
candidate rows joined to task and instance for a page, and the capped total many more. When the filter's own
side is small (at most `CAP` rows, counted to the cap first), the open tasks are read from it instead — the
organisation's instances, or the text's matches (task names and instance titles through trigram indexes, the
organisations and directives matched first, small tables) — each kept when one of the actor's candidate rows
offers it or the actor claimed it, then sorted and cut to the page. The text is read so only on PostgreSQL with
pg_trgm (`models/workflow.py`); elsewhere, or when the filter picks many rows, the walk stays."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from models import db
from models.document import Document
from models.org import Organisation
from models.workflow import HumanTask, ProcessInstance
from web.queries import TaskFilter

CAP = 3_000  # at most this many instances / tasks behind a filter are read from its side; more: the ordered walk
OPEN_TASK = text("human_task.status = 'open'")  # literal, as the partial indexes say it (plans may use them)
TRIGRAM_INDEXES = ("ix_human_task_name_trgm", "ix_process_instance_title_trgm")
_ORG, _LIKE, _N = bindparam("org", type_=Integer()), bindparam("like", type_=String()), bindparam("n", type_=Integer())
_TRIGRAMS: dict[str, bool] = {}  # per database: are the trigram indexes there


class InIds(ColumnElement):
    """`column IN (ids)`; on PostgreSQL `column = ANY(ARRAY(ids))`: the ids are read first and the column's index
    probed for each (for `IN` the planner hashed a scan of every open task)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it stands (SQLite would otherwise be given `… = 1`)
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement), ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, ids) -> None:
        self.column, self.ids = column, ids


@compiles(InIds)
def _in_ids(element: InIds, compiler, **kw) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(InIds, "postgresql")
def _in_ids_postgresql(element: InIds, compiler, **kw) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{column} = ANY(ARRAY{ids})"


def trigrams() -> bool:
    """Whether this database has the text filter's trigram indexes (PostgreSQL with pg_trgm)."""
    if db.engine.dialect.name != "postgresql":
        return False
    key = str(db.engine.url)
    if key not in _TRIGRAMS:
        names = ", ".join(f"'{name}'" for name in TRIGRAM_INDEXES)
        found = db.session.scalar(text(f"SELECT count(*) FROM pg_indexes WHERE indexname IN ({names})"))  # noqa: S608 - constant names
        _TRIGRAMS[key] = found == len(TRIGRAM_INDEXES)
    return _TRIGRAMS[key]


def like(f: TaskFilter) -> str:
    """The text filter's ILIKE pattern, as `web.queries._narrow` builds it."""
    return f"%{f.q.strip()}%"


def _orgs():
    o = Organisation
    return select(o.id).where(or_(o.name.ilike(_LIKE), o.short_name.ilike(_LIKE)))


def _directives():
    return select(Document.id).where(Document.symbol.ilike(_LIKE))


# Where the tasks a filter picks are read from: each source is a condition on `human_task` (beside `OPEN_TASK`)
_SOURCES = {
    "org": lambda: InIds(HumanTask.instance_id, select(ProcessInstance.id).where(ProcessInstance.org_id == _ORG)),
    "name": lambda: HumanTask.name.ilike(_LIKE),  # the task's name (trigram index of open tasks)
    "title": lambda: InIds(  # the instance's title (trigram index)
        HumanTask.instance_id, select(ProcessInstance.id).where(ProcessInstance.title.ilike(_LIKE))
    ),
    "org_name": lambda: InIds(  # the instance's organisation: name or short name
        HumanTask.instance_id, select(ProcessInstance.id).where(InIds(ProcessInstance.org_id, _orgs()))
    ),
    "symbol": lambda: InIds(  # the instance's directive: its symbol
        HumanTask.instance_id, select(ProcessInstance.id).where(InIds(ProcessInstance.directive_id, _directives()))
    ),
}
TEXT_SOURCES = ("name", "title", "org_name", "symbol")
_GATES: dict[str, object] = {}


def _gate(drive: str):
    """How many rows each source of the filter holds, counted to `:n`; the organisations' and directives'
    instances only when some organisation or directive matches (their indexes are read only then)."""
    if drive not in _GATES:
        pi, one = ProcessInstance, literal_column("1")

        def capped(stmt):
            return select(func.count()).select_from(stmt.limit(_N).subquery()).scalar_subquery()

        def if_any(matched, stmt):
            return case((exists(matched), capped(stmt)), else_=0)

        if drive == "org":
            counts = [capped(select(one).select_from(pi).where(pi.org_id == _ORG))]
        else:
            counts = [
                capped(select(one).select_from(HumanTask).where(OPEN_TASK, HumanTask.name.ilike(_LIKE))),
                capped(select(one).select_from(pi).where(pi.title.ilike(_LIKE))),
                if_any(_orgs(), select(one).select_from(pi).where(InIds(pi.org_id, _orgs()))),
                if_any(_directives(), select(one).select_from(pi).where(InIds(pi.directive_id, _directives()))),
            ]
        _GATES[drive] = select(*counts)
    return _GATES[drive]


def way(f: TaskFilter) -> tuple[str, ...] | None:
    """The sources the filter's tasks are read from — ("org",) for `org=`, else the text's sources that match
    something (PostgreSQL with trigram indexes) — when they hold at most `CAP` rows in all; None: the walk.
    One capped count (per source) decides."""
    drive = "org" if f.org_id else "q" if f.q and trigrams() else None
    if drive is None:
        return None
    params = {"n": CAP + 1, "org": f.org_id, "like": like(f) if f.q else None}
    counts = db.session.execute(_gate(drive), params).one()
    if sum(counts) > CAP:
        return None
    return ("org",) if drive == "org" else tuple(s for s, n in zip(TEXT_SOURCES, counts, strict=True) if n)


def picks(sources: tuple[str, ...]):
    """The open tasks these sources select, as a condition on `human_task` (with `OPEN_TASK` beside it): exactly
    the tasks `web.queries._narrow` keeps for that part of the filter (no source: none)."""
    return or_(*(_SOURCES[s]() for s in sources)) if sources else false()


def rest(f: TaskFilter, sources: tuple[str, ...]) -> TaskFilter:
    """What is left of the filter once its sources picked the tasks."""
    return replace(f, org_id=None) if sources == ("org",) else replace(f, q="")
