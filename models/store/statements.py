"""The hot path's SQLAlchemy Core statements (instance locks, the state read, task, message and recipient
writes), built once at import; the PostgreSQL pieces that travel deferred are in `pieces`."""

from __future__ import annotations

from sqlalchemy import (
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.document import DocumentRecipient
from models.org import CacheGeneration, Organisation, User, UserRole
from models.workflow import (
    AuditEvent,
    HumanTask,
    HumanTaskCandidate,
    JsonData,
    Message,
    ProcessDefinition,
    ProcessInstance,
    WorkflowPart,
    WorkflowTaskRow,
)

# Statements of the hot path (completing a task, delivering a message), built once: SQLAlchemy then only
# looks up their compiled form instead of constructing and hashing a new statement on every call.
_PI, _PD = ProcessInstance.__table__, ProcessDefinition.__table__
_HT, _HTC = HumanTask.__table__, HumanTaskCandidate.__table__
_PART, _ROW, _DATA = WorkflowPart.__table__, WorkflowTaskRow.__table__, JsonData.__table__
_GEN = CacheGeneration.__table__


def _locking(where, pg: bool, instance_columns=(_PI,)):
    """The instance with its definition's content hash and the organisations' cache generation: one round
    trip brings what every step needs before it can run. PostgreSQL locks the instance row only."""
    org_generation = select(_GEN.c.value).where(_GEN.c.name == Organisation.__tablename__).scalar_subquery()
    stmt = (
        select(*instance_columns, _PD.c.sha256.label("definition_sha256"), org_generation.label("org_generation"))
        .join(_PD, _PD.c.id == _PI.c.definition_id)
        .where(where)
    )
    if not pg:
        return stmt
    # The rest of a locked step's transaction is statements by key, run once per step: PostgreSQL would plan the
    # step's write statement anew at every execution (its custom plan sees the arrays' lengths, so it always
    # looks cheaper than the generic one), about 0.3 ms a step. This makes the transaction's later statements
    # use the generic plan made once per connection; `is_local` ends it with the transaction.
    generic = func.set_config("plan_cache_mode", "force_generic_plan", True).label("generic_plans")
    return stmt.add_columns(generic).with_for_update(of=_PI)


_TASK_INSTANCE = select(_HT.c.instance_id).where(_HT.c.id == bindparam("t")).scalar_subquery()
_LOCK_BY_ID = {pg: _locking(_PI.c.id == bindparam("i"), pg) for pg in (False, True)}
# SQLite has no row locks: this bump takes the database's write lock first, so every read after it sees the
# latest committed state and no one else writes until commit.
_BUMP_BY_ID = update(_PI).where(_PI.c.id == bindparam("i")).values(lock_version=_PI.c.lock_version + 1)
_BUMP_BY_TASK = update(_PI).where(_PI.c.id == _TASK_INSTANCE).values(lock_version=_PI.c.lock_version + 1)
_TASK_COLUMNS = (
    _HT.c.id,
    _HT.c.instance_id,
    _HT.c.guid,
    _HT.c.bpmn_id,
    _HT.c.name,
    _HT.c.status,
    _HT.c.assignee_id,
    _HT.c.candidate_users,
    _HT.c.due_at,
    _HT.c.org_id,
    _HT.c.created_at,
)
_TASKS_WITH_CANDIDATES = select(*_TASK_COLUMNS, _HTC.c.org_id.label("c_org"), _HTC.c.role.label("c_role")).outerjoin(
    _HTC, _HTC.c.human_task_id == _HT.c.id
)


def _locking_task(pg: bool):
    """`_locking` by task id, in the same round trip joined with the task itself (all its columns and one row per
    candidate) and the id and guid of each of the instance's other open tasks (what the inbox sync compares).
    The instance's summary (its current steps: one per open task of a multi-instance) and the task's other
    columns come on the locked task's rows only, not decoded again for each of a multi-instance's open tasks."""
    this = _HT.c.id == bindparam("t")
    summary = case((this, _PI.c.summary), else_=null()).label("summary")
    columns = (*(c for c in _PI.c if c.name != "summary"), summary)
    stmt = _locking(_PI.c.id == _TASK_INSTANCE, pg, columns)
    light = {"id", "guid", "status"}
    task_columns = (
        (c if c.name in light else case((this, c), else_=null())).label(f"t_{c.name}") for c in _TASK_COLUMNS
    )
    if not pg:
        return (
            stmt.add_columns(*task_columns, _HTC.c.org_id.label("c_org"), _HTC.c.role.label("c_role"))
            .outerjoin(_HT, and_(_HT.c.instance_id == _PI.c.id, or_(_HT.c.status == "open", this)))
            .outerjoin(_HTC, and_(_HTC.c.human_task_id == _HT.c.id, this))
            .order_by(_HT.c.id, _HTC.c.id)
        )
    # PostgreSQL: the instance's open tasks by the partial index of open tasks (a literal 'open', so that a generic
    # plan uses it), and the task itself if it is closed by its key; never the instance's closed tasks, which a
    # long-lived loop adds two of a round (the join by instance read them all: 0.05 -> 0.35-0.47 ms at round 1,000)
    is_open = _HT.c.status == literal_column("'open'")
    ht = union_all(
        select(_HT).where(_HT.c.instance_id == _PI.c.id, is_open),
        select(_HT).where(_HT.c.id == bindparam("t"), ~is_open),
    ).lateral("ht")
    this = ht.c.id == bindparam("t")
    summary = case((this, _PI.c.summary), else_=null()).label("summary")
    columns = (*(c for c in _PI.c if c.name != "summary"), summary)
    stmt = _locking(_PI.c.id == _TASK_INSTANCE, pg, columns)
    task_columns = (
        (ht.c[c.name] if c.name in light else case((this, ht.c[c.name]), else_=null())).label(f"t_{c.name}")
        for c in _TASK_COLUMNS
    )
    return (
        stmt.add_columns(*task_columns, _HTC.c.org_id.label("c_org"), _HTC.c.role.label("c_role"))
        .outerjoin(ht, true())
        .outerjoin(_HTC, and_(_HTC.c.human_task_id == bindparam("t"), this))
        .order_by(ht.c.id, _HTC.c.id)
    )


_LOCK_TASK = {pg: _locking_task(pg) for pg in (False, True)}
_OPEN_TASKS = _TASKS_WITH_CANDIDATES.where(_HT.c.instance_id == bindparam("i"), _HT.c.status == "open").order_by(
    _HT.c.id, _HTC.c.id
)
# The whole stored state in one round trip: task rows with their data, then the parts. Each row fetches its
# data by primary key (a blob shared by several rows comes once per row): a plan that cannot turn into a scan
# of json_data, whatever the table statistics say.
_ROW_DATA = select(_DATA.c.data).where(_DATA.c.hash == _ROW.c.data_hash).scalar_subquery()
_STATE = union_all(
    select(literal("r").label("kind"), _ROW.c.guid, _ROW.c.part_key, _ROW.c.props, _ROW.c.data_hash, _ROW_DATA).where(
        _ROW.c.instance_id == bindparam("i")
    ),
    select(literal("p"), _PART.c.key, null(), _PART.c.props, null(), null()).where(
        _PART.c.instance_id == bindparam("i")
    ),
)

_UPDATE_PART = (
    update(_PART)
    .where(_PART.c.instance_id == bindparam("i"), _PART.c.key == bindparam("k"))
    .values(props=bindparam("p"))
)
_UPDATE_ROW = (
    update(_ROW)
    .where(_ROW.c.instance_id == bindparam("i"), _ROW.c.guid == bindparam("g"))
    .values(props=bindparam("props"), data_hash=bindparam("data_hash"), part_key=bindparam("part_key"))
)
_INSERT_DATA = {
    True: pg_insert(_DATA).on_conflict_do_nothing(index_elements=["hash"]),
    False: sqlite_insert(_DATA).on_conflict_do_nothing(index_elements=["hash"]),
}
_CLOSE_TASK = (
    update(_HT)
    .where(_HT.c.id == bindparam("t"))
    .values(status=bindparam("status"), completed_at=bindparam("at"), completed_by_id=bindparam("by"))
)
_CLOSE_CANDIDATES = update(_HTC).where(_HTC.c.human_task_id == bindparam("t")).values(is_open=False)
_INSERT_TASK = insert(_HT).returning(_HT.c.id)
_INSERT_TASK_WITH_ID = insert(_HT)  # SQLite, under its write lock: the ids after the first (InboxStore.add_human_tasks)
_INSERT_CANDIDATES = insert(_HTC)
_INSERT_AUDIT = insert(AuditEvent.__table__)
_INSERT_INSTANCE = insert(_PI).returning(_PI.c.id)
_SET_STAMP = update(_PI).where(_PI.c.id == bindparam("i")).values(state_stamp=bindparam("stamp"))
_SET_STAMP_AND_SUMMARY = (
    update(_PI).where(_PI.c.id == bindparam("i")).values(state_stamp=bindparam("stamp"), summary=bindparam("summary"))
)
_SET_SUMMARY = update(_PI).where(_PI.c.id == bindparam("i")).values(summary=bindparam("summary"))
_FINISH = update(_PI).where(_PI.c.id == bindparam("i")).values(status=bindparam("status"), completed_at=bindparam("at"))


_MSG, _REC = Message.__table__, DocumentRecipient.__table__
_INSERT_MESSAGE = insert(_MSG).returning(_MSG.c.id, sort_by_parameter_order=True)
_CLAIM_MESSAGES = {
    pg: (lambda stmt: stmt.with_for_update(skip_locked=True) if pg else stmt)(
        select(_MSG).where(_MSG.c.status == "pending").order_by(_MSG.c.id).limit(bindparam("n"))
    )
    for pg in (False, True)
}
# SQLite has no row locks: a claim first takes the database's write lock with a write that changes nothing, so
# the rows it then reads are the latest and no other process can claim them before this transaction ends
_TAKE_WRITE_LOCK = text("UPDATE message SET attempts = attempts WHERE 0")
# marking done checks the claim: a message is delivered once, from pending
_MESSAGE_DELIVERED = (
    update(_MSG)
    .where(_MSG.c.id == bindparam("m"), _MSG.c.status == "pending")
    .values(
        status="delivered",
        delivered_at=bindparam("at"),
        target_instance_id=bindparam("target"),
        attempts=_MSG.c.attempts + 1,
    )
)
# a recipient keeps the first delivery's time and instance
_MARK_DELIVERED = (
    update(_REC)
    .where(_REC.c.document_id == bindparam("d"), _REC.c.org_id == bindparam("o"))
    .values(
        delivered_at=func.coalesce(_REC.c.delivered_at, bindparam("at", type_=_REC.c.delivered_at.type)),
        instance_id=func.coalesce(bindparam("inst", type_=_REC.c.instance_id.type), _REC.c.instance_id),
    )
)


_RESPONDED = (
    update(_REC)
    .where(_REC.c.document_id == bindparam("d"), _REC.c.org_id == bindparam("o"))
    .values(responded_at=bindparam("at"), response_document_id=bindparam("doc"))
)
# recipients that implement a directive, and how many of them have filed their response: one scan
_RESPONSES = select(func.sum(case((_REC.c.responded_at.is_not(None), 1), else_=0)), func.count()).where(
    _REC.c.document_id == bindparam("d"), _REC.c.purpose == "thuc_hien"
)
_USER, _ROLE = User.__table__, UserRole.__table__
_USER_WITH_ROLES = (
    select(_USER.c.id, _USER.c.username, _USER.c.full_name, _USER.c.title, _USER.c.org_id, _ROLE.c.role)
    .outerjoin(_ROLE, _ROLE.c.user_id == _USER.c.id)
    .where(_USER.c.id == bindparam("u"))
)
