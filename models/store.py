"""SqlStore: engine.core.ports.Store over the Flask-SQLAlchemy session. Its commit() is the only commit of a use
case; row locks (SELECT … FOR UPDATE, SKIP LOCKED for workers) serialise work on PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, joinedload, scoped_session

from engine.core.orgs import OrgList
from engine.core.ports import (
    Actor,
    DefinitionRecord,
    DocumentRecord,
    EmailRecord,
    HumanTaskRecord,
    IncidentFact,
    IncidentRecord,
    InstanceRecord,
    MessageRecord,
    NewDocument,
    NewHumanTask,
    NewMessage,
    Org,
    PeriodRecord,
    RegimeRecord,
    SubmissionRecord,
    Tt124CycleRecord,
    Tt124EvidenceRecord,
    Tt124ParticipationRecord,
    UserRecord,
)
from engine.core.state import StateChanges, StoredState, TaskRow
from models import deferred
from models.base import db, utcnow
from models.document import Document, DocumentCounter, DocumentRecipient, DocumentRelation
from models.incident import EmailMessage, Incident, IncidentAttachment, IncidentUpdate, Notification
from models.org import CacheGeneration, Organisation, User, UserRole, generation
from models.report import Holiday, ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission
from models.tt124 import Tt124Cycle, Tt124Evidence, Tt124File, Tt124Override, Tt124Participation
from models.workflow import (
    AuditEvent,
    HumanTask,
    HumanTaskCandidate,
    JsonData,
    Message,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    WorkflowPart,
    WorkflowTaskRow,
)


def org_record(o: Organisation) -> Org:
    return Org(
        id=o.id,
        code=o.code,
        name=o.name,
        short_name=o.short_name,
        kind=o.kind,
        parent_id=o.parent_id,
        symbol=o.symbol,
        grammar=o.grammar,
        counter_scope=o.counter_scope,
        place=o.place,
        school_level=o.school_level,
        ward_id=o.ward_id,
        managing_body=o.managing_body,
    )


def definition_record(d: ProcessDefinition) -> DefinitionRecord:
    return DefinitionRecord(
        id=d.id,
        process_key=d.process_key,
        version=d.version,
        name=d.name,
        xml=d.xml,
        start_messages=list(d.start_messages or []),
        start_properties=dict(d.start_properties or {}),
    )


def instance_record(i) -> InstanceRecord:
    """From a ProcessInstance or a Core row of its columns (attribute access alike)."""
    return InstanceRecord(
        id=i.id,
        definition_id=i.definition_id,
        process_key=i.process_key,
        org_id=i.org_id,
        status=i.status,
        directive_id=i.directive_id,
        sender_org_id=i.sender_org_id,
        parent_instance_id=i.parent_instance_id,
        title=i.title,
        state_stamp=i.state_stamp,
    )


def task_record(t: HumanTask) -> HumanTaskRecord:
    return HumanTaskRecord(
        id=t.id,
        instance_id=t.instance_id,
        guid=t.guid,
        bpmn_id=t.bpmn_id,
        name=t.name,
        status=t.status,
        assignee_id=t.assignee_id,
        candidates=tuple((c.org_id, c.role) for c in t.candidates),
        candidate_users=tuple(t.candidate_users or ()),
        due_at=t.due_at,
        org_id=t.org_id,
        created_at=t.created_at,
    )


class _OrgIndex(dict):
    """Organisations by id, with the list and its lookups built once (`all`, an engine.core.orgs.OrgList)."""

    def __init__(self, items):
        super().__init__(items)
        self.all = OrgList(self.values())


class _OrgCache:
    """Organisations kept per process and database, reread only when their generation counter moved."""

    def __init__(self):
        self._entries: dict[URL, tuple[int, _OrgIndex]] = {}
        self._lock = threading.Lock()

    def get(self, session, known_generation: int | None = None) -> _OrgIndex:
        """`known_generation`: the counter as this transaction already read it (the instance lock reads it
        alongside the instance), saving the round trip."""
        connection = session.connection()
        key = connection.engine.url  # URLs hash by value: one entry per database
        current = (
            known_generation if known_generation is not None else generation(connection, Organisation.__tablename__)
        )
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == current:
            return entry[1]
        orgs = _OrgIndex((o.id, org_record(o)) for o in session.scalars(select(Organisation)))
        with self._lock:
            self._entries[key] = (current, orgs)
        return orgs


_org_cache = _OrgCache()
_definitions: dict[tuple[URL, int, str | None], DefinitionRecord] = {}  # (database, id, sha256) -> record

# Statements of the hot path (completing a task, delivering a message), built once: SQLAlchemy then only
# looks up their compiled form instead of constructing and hashing a new statement on every call.
_PI, _PD = ProcessInstance.__table__, ProcessDefinition.__table__
_HT, _HTC = HumanTask.__table__, HumanTaskCandidate.__table__
_PART, _ROW, _DATA = WorkflowPart.__table__, WorkflowTaskRow.__table__, JsonData.__table__
_GEN = CacheGeneration.__table__


def _locking(where, pg: bool):
    """The instance with its definition's content hash and the organisations' cache generation: one round
    trip brings what every step needs before it can run. PostgreSQL locks the instance row only."""
    org_generation = select(_GEN.c.value).where(_GEN.c.name == Organisation.__tablename__).scalar_subquery()
    stmt = (
        select(_PI, _PD.c.sha256.label("definition_sha256"), org_generation.label("org_generation"))
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
    """`_locking` by task id, in the same round trip joined with the instance's open tasks and the task itself
    (one row per task and candidate)."""
    stmt = _locking(_PI.c.id == _TASK_INSTANCE, pg)
    return (
        stmt.add_columns(
            *(c.label(f"t_{c.name}") for c in _TASK_COLUMNS), _HTC.c.org_id.label("c_org"), _HTC.c.role.label("c_role")
        )
        .outerjoin(_HT, and_(_HT.c.instance_id == _PI.c.id, or_(_HT.c.status == "open", _HT.c.id == bindparam("t"))))
        .outerjoin(_HTC, _HTC.c.human_task_id == _HT.c.id)
        .order_by(_HT.c.id, _HTC.c.id)
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


def _compact(sql: str) -> str:
    """One line: the statement travels and is parsed shorter (psycopg caches statements up to 4 KB)."""
    return " ".join(sql.split())


# PostgreSQL: a step's whole state write as one piece of a statement (models.deferred), whatever it changed: the
# instance's new state stamp and summary, new data blobs, parts and task rows updated, inserted and deleted, each a
# data-modifying CTE fed by arrays (JSON travels as text). The sets are disjoint (a row is new, changed or gone),
# so the CTEs never touch one row twice. Updates find their rows by (instance, key/guid = ANY(array)) on the
# unique index, never by a join: a join's plan depends on row estimates, and a plan cached while the table was
# small turned into a scan of all task rows once it was not.
_STATE_CTES: dict[str, tuple[str, tuple[str, ...]]] = {  # name -> (template, the arrays it reads)
    "stamped": (
        _compact(
            """{p}stamped AS (
                UPDATE process_instance
                SET state_stamp = %({p}stamp)s::bigint,
                    summary = CASE WHEN %({p}new_summary)s THEN CAST(%({p}summary)s AS JSON) ELSE summary END
                WHERE id = %({p}i)s::integer
            )"""
        ),
        ("stamp", "new_summary", "summary"),
    ),
    "new_data": (
        _compact(
            """{p}new_data AS (
                INSERT INTO json_data (hash, data)
                SELECT x.hash, CAST(x.data AS JSON)
                FROM unnest(%({p}data_hashes)s::varchar[], %({p}data_json)s::text[]) AS x(hash, data)
                ON CONFLICT (hash) DO NOTHING
            )"""
        ),
        ("data_hashes", "data_json"),
    ),
    "gone_parts": (
        _compact(
            """{p}gone_parts AS (
                DELETE FROM workflow_part
                WHERE instance_id = %({p}i)s::integer AND key = ANY(%({p}gone_parts)s::varchar[])
            )"""
        ),
        ("gone_parts",),
    ),
    "gone_rows": (
        _compact(
            """{p}gone_rows AS (
                DELETE FROM workflow_task
                WHERE instance_id = %({p}i)s::integer AND guid = ANY(%({p}gone_rows)s::varchar[])
            )"""
        ),
        ("gone_rows",),
    ),
    "changed_parts": (
        _compact(
            """{p}changed_parts AS (
                UPDATE workflow_part AS p
                SET props = (
                    SELECT CAST(x.props AS JSON)
                    FROM unnest(%({p}part_keys)s::varchar[], %({p}part_props)s::text[]) AS x(key, props)
                    WHERE x.key = p.key
                )
                WHERE p.instance_id = %({p}i)s::integer AND p.key = ANY(%({p}part_keys)s::varchar[])
            )"""
        ),
        ("part_keys", "part_props"),
    ),
    "new_parts": (
        _compact(
            """{p}new_parts AS (
                INSERT INTO workflow_part (instance_id, key, props)
                SELECT %({p}i)s::integer, x.key, CAST(x.props AS JSON)
                FROM unnest(%({p}new_part_keys)s::varchar[], %({p}new_part_props)s::text[]) AS x(key, props)
            )"""
        ),
        ("new_part_keys", "new_part_props"),
    ),
    "changed_rows": (
        _compact(
            """{p}changed_rows AS (
                UPDATE workflow_task AS t
                SET (props, data_hash, part_key) = (
                    SELECT CAST(x.props AS JSON), x.data_hash, x.part_key
                    FROM unnest(
                        %({p}row_guids)s::varchar[], %({p}row_props)s::text[],
                        %({p}row_hashes)s::varchar[], %({p}row_parts)s::varchar[]
                    ) AS x(guid, props, data_hash, part_key)
                    WHERE x.guid = t.guid
                )
                WHERE t.instance_id = %({p}i)s::integer AND t.guid = ANY(%({p}row_guids)s::varchar[])
            )"""
        ),
        ("row_guids", "row_props", "row_hashes", "row_parts"),
    ),
    "new_rows": (
        _compact(
            """{p}new_rows AS (
                INSERT INTO workflow_task (instance_id, guid, part_key, props, data_hash)
                SELECT %({p}i)s::integer, x.guid, x.part_key, CAST(x.props AS JSON), x.data_hash
                FROM unnest(
                    %({p}new_row_guids)s::varchar[], %({p}new_row_parts)s::varchar[],
                    %({p}new_row_props)s::text[], %({p}new_row_hashes)s::varchar[]
                ) AS x(guid, part_key, props, data_hash)
            )"""
        ),
        ("new_row_guids", "new_row_parts", "new_row_props", "new_row_hashes"),
    ),
}
# PostgreSQL pieces for a task's close (with its inbox rows), an audit row, and a new task with its inbox rows
_CLOSE_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}closed AS (
            UPDATE human_task
            SET status = %({p}status)s, completed_at = %({p}at)s::timestamptz, completed_by_id = %({p}by)s::integer
            WHERE id = %({p}t)s::integer
        )""",
        """{p}closed_candidates AS (
            UPDATE human_task_candidate SET is_open = false WHERE human_task_id = %({p}t)s::integer
        )""",
    )
)
_AUDIT_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}audit AS (
            INSERT INTO audit_event (at, user_id, org_id, instance_id, action, detail, remote_addr)
            VALUES (
                %({p}at)s::timestamptz, %({p}user_id)s::integer, %({p}org_id)s::integer, %({p}instance_id)s::integer,
                %({p}action)s, CAST(%({p}detail)s AS JSON), %({p}remote_addr)s
            )
        )""",
    )
)
_NEW_TASK_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}task AS (
            INSERT INTO human_task
                (instance_id, guid, bpmn_id, name, org_id, candidate_users, due_at, created_at, document_id, status)
            VALUES (
                %({p}instance_id)s::integer, %({p}guid)s, %({p}bpmn_id)s, %({p}name)s, %({p}org_id)s::integer,
                CAST(%({p}candidate_users)s AS JSON), %({p}due_at)s::timestamptz, %({p}created_at)s::timestamptz,
                %({p}document_id)s::integer, 'open'
            )
            RETURNING id
        )""",
        """{p}task_candidates AS (
            INSERT INTO human_task_candidate (human_task_id, org_id, role, is_open, claimed, due_at, created_at)
            SELECT t.id, x.org_id, x.role, true, false, %({p}due_at)s::timestamptz, %({p}created_at)s::timestamptz
            FROM {p}task AS t, unnest(%({p}c_orgs)s::integer[], %({p}c_roles)s::varchar[]) AS x(org_id, role)
        )""",
    )
)


def _utc(value: datetime | None) -> datetime | None:
    """What UTCDateTime binds, for the raw pieces: aware, in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _state_piece(instance_id: int, changes: StateChanges, stamp: int, summary: dict | None) -> deferred.Piece:
    """The state write with only the CTEs this step needs (most steps change rows and add a data blob, no more)."""
    params = _save_state_params(instance_id, changes, stamp, summary)
    names = [n for n, (_, keys) in _STATE_CTES.items() if n == "stamped" or params[keys[0]]]
    used = {"i"}.union(*(_STATE_CTES[n][1] for n in names))
    return deferred.Piece(tuple(_STATE_CTES[n][0] for n in names), {k: params[k] for k in used}, ("state", instance_id))


def _save_state_params(instance_id: int, changes: StateChanges, stamp: int, summary: dict | None) -> dict:
    dumps = json.dumps
    params: dict = {
        "i": instance_id,
        "stamp": stamp,
        "new_summary": summary is not None,
        "summary": dumps(summary) if summary is not None else None,
        "data_hashes": list(changes.data),
        "data_json": [dumps(d) for d in changes.data.values()],
        "gone_parts": list(changes.deleted_parts),
        "gone_rows": list(changes.deleted_rows),
    }
    parts = [(k, p) for k, p in changes.parts.items() if k not in changes.new_parts]
    new_parts = [(k, p) for k, p in changes.parts.items() if k in changes.new_parts]
    params.update(
        part_keys=[k for k, _ in parts],
        part_props=[dumps(p) for _, p in parts],
        new_part_keys=[k for k, _ in new_parts],
        new_part_props=[dumps(p) for _, p in new_parts],
    )
    rows = [r for r in changes.rows if r.guid not in changes.new_rows]
    new_rows = [r for r in changes.rows if r.guid in changes.new_rows]
    params.update(
        row_guids=[r.guid for r in rows],
        row_props=[dumps(r.props) for r in rows],
        row_hashes=[r.data_hash for r in rows],
        row_parts=[r.part_key for r in rows],
        new_row_guids=[r.guid for r in new_rows],
        new_row_parts=[r.part_key for r in new_rows],
        new_row_props=[dumps(r.props) for r in new_rows],
        new_row_hashes=[r.data_hash for r in new_rows],
    )
    return params


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
_MESSAGE_DELIVERED = (
    update(_MSG)
    .where(_MSG.c.id == bindparam("m"))
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


_UNREAD = object()  # a summary this transaction has not read
_AFTER_COMMIT = "cascade_after_commit"  # session.info key: callbacks waiting for this transaction's commit


@event.listens_for(Session, "after_commit")
def _run_after_commit(session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_transaction_end")
def _forget_after_commit(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without its commit: rolled back or closed
        session.info.pop(_AFTER_COMMIT, None)


def _message_record(m) -> MessageRecord:
    return MessageRecord(
        id=m.id,
        name=m.name,
        payload=dict(m.payload),
        source_instance_id=m.source_instance_id,
        target_org_id=m.target_org_id,
        directive_id=m.directive_id,
        attempts=m.attempts,
    )


def _tasks_from_rows(rows, prefix: str = "") -> dict[int, HumanTaskRecord]:
    """Rows of task columns (named with `prefix`) and one candidate each, folded into one record per task."""
    names = [prefix + c.name for c in _TASK_COLUMNS]
    columns: dict[int, dict] = {}
    candidates: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        m = r._mapping
        task_id = m[names[0]]
        if task_id not in columns:
            columns[task_id] = {c.name: m[n] for c, n in zip(_TASK_COLUMNS, names, strict=True)}
            candidates[task_id] = []
        if r.c_org is not None:
            candidates[task_id].append((r.c_org, r.c_role))
    return {
        task_id: HumanTaskRecord(
            **dict(c, candidate_users=tuple(c["candidate_users"] or ())), candidates=tuple(candidates[task_id])
        )
        for task_id, c in columns.items()
    }


class SqlStore:
    def __init__(self, session=None):
        self.session = session or db.session
        self._orgs: _OrgIndex | None = None
        self._pg_flag: bool | None = None
        self._tx = None  # the transaction the facts below were read in
        self._locked: set[int] = set()  # instances this transaction holds locked
        self._open: dict[int, dict[int, HumanTaskRecord]] = {}  # locked instance -> its open tasks, kept in step
        self._summaries: dict[int, dict] = {}  # locked instance -> its summary as read
        self._sha: dict[int, str] = {}  # definition id -> content hash, read with the lock
        self._org_generation: int | None = None
        self.outbox_writes = 0  # messages written to the outbox through this store

    @property
    def _pg(self) -> bool:
        if self._pg_flag is None:
            self._pg_flag = self.session.get_bind().dialect.name == "postgresql"
        return self._pg_flag

    def _facts(self) -> SqlStore:
        """Forget what an earlier transaction read: locks and the rows they protect end with it."""
        session = self.session.registry() if isinstance(self.session, scoped_session) else self.session
        tx = session.get_transaction()
        if tx is not self._tx:
            self._tx = tx
            self._locked, self._open, self._summaries, self._sha = set(), {}, {}, {}
            self._org_generation = None
        return self

    def _exec(self, statement, params=None):
        """A prebuilt Core statement on this transaction's connection. `session.execute` would add the ORM's
        per-statement work (about 50 µs on PostgreSQL) that Core statements do not need; pending ORM changes
        are flushed first, as its autoflush would."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            session.flush()
        return session.connection().execute(statement, params)

    def _for_update(self, stmt, skip_locked: bool = False):
        return stmt.with_for_update(skip_locked=skip_locked) if self._pg else stmt

    # transaction -------------------------------------------------------------------------------------
    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def after_commit(self, callback) -> None:
        """Run `callback` once the current transaction has committed; forget it if it rolls back."""
        self.session.info.setdefault(_AFTER_COMMIT, []).append(callback)

    # organisations and people ------------------------------------------------------------------------
    def orgs(self) -> list[Org]:
        if self._orgs is None:
            self._orgs = _org_cache.get(self.session, self._facts()._org_generation)
        return self._orgs.all  # shared per process: read it, never change it

    def org(self, org_id: int) -> Org:
        if self._orgs is None:
            self.orgs()
        return self._orgs[org_id]

    def user(self, user_id: int) -> UserRecord:
        rows = self.session.execute(_USER_WITH_ROLES, {"u": user_id}).all()
        if not rows:
            raise LookupError(f"user {user_id}")
        u = rows[0]
        roles = frozenset(r.role for r in rows if r.role)
        return UserRecord(
            id=u.id, username=u.username, full_name=u.full_name, title=u.title, org_id=u.org_id, roles=roles
        )

    def user_ids_by_username(self, usernames: list[str]) -> list[int]:
        if not usernames:
            return []
        return list(self.session.scalars(select(User.id).where(User.username.in_(usernames))))

    # definitions ------------------------------------------------------------------------------------
    def definition(self, definition_id: int) -> DefinitionRecord:
        """A deployed version never changes: kept per process, re-read only if its content hash differs."""
        digest = self._facts()._sha.get(definition_id)
        if digest is None:
            digest = self.session.scalar(select(_PD.c.sha256).where(_PD.c.id == definition_id))
        key = (self.session.get_bind().url, definition_id, digest)
        record = _definitions.get(key)
        if record is None:
            record = definition_record(self.session.get(ProcessDefinition, definition_id))
            _definitions[key] = record
        return record

    def latest_definition(self, process_key: str) -> DefinitionRecord | None:
        d = self.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).first()
        return definition_record(d) if d else None

    def latest_definitions(self) -> list[DefinitionRecord]:
        latest = (
            select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("v"))
            .group_by(ProcessDefinition.process_key)
            .subquery()
        )
        rows = self.session.scalars(
            select(ProcessDefinition)
            .join(
                latest,
                (ProcessDefinition.process_key == latest.c.process_key) & (ProcessDefinition.version == latest.c.v),
            )
            .order_by(ProcessDefinition.process_key)
        )
        return [definition_record(d) for d in rows]

    def add_definition(
        self, process_key, name, xml, sha256, start_messages, start_properties, deployed_by, source
    ) -> DefinitionRecord:
        # Two deploys of one process at once: the no-op update locks its versions (PostgreSQL: their rows;
        # SQLite: the database's write lock) so the second counts after the first commits, and gets the next
        # number instead of a duplicate.
        self.session.execute(
            update(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .values(version=ProcessDefinition.version)
            .execution_options(synchronize_session=False)
        )
        current = (
            self.session.scalar(
                select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == process_key)
            )
            or 0
        )
        row = ProcessDefinition(
            process_key=process_key,
            version=current + 1,
            name=name,
            xml=xml,
            sha256=sha256,
            start_messages=start_messages,
            start_properties=start_properties,
            deployed_by_id=deployed_by,
            source=source,
        )
        self.session.add(row)
        self.session.flush()
        return definition_record(row)

    def definition_version(self, process_key: str, version: int) -> DefinitionRecord | None:
        d = self.session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.process_key == process_key, ProcessDefinition.version == version
            )
        ).first()
        return definition_record(d) if d else None

    def definition_versions(self, process_key: str) -> list[DefinitionRecord]:
        rows = self.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .order_by(ProcessDefinition.version)
        )
        return [definition_record(d) for d in rows]

    # instances --------------------------------------------------------------------------------------
    def create_instance(
        self,
        definition,
        org_id,
        title,
        *,
        directive_id,
        sender_org_id,
        parent_instance_id,
        started_by,
        serializer_version,
    ) -> InstanceRecord:
        values = dict(
            definition_id=definition.id,
            process_key=definition.process_key,
            org_id=org_id,
            title=title[:500],
            directive_id=directive_id,
            sender_org_id=sender_org_id,
            parent_instance_id=parent_instance_id,
            started_by_id=started_by,
            serializer_version=serializer_version,
            summary={},
            status="running",
        )
        instance_id = self.session.execute(_INSERT_INSTANCE, values).scalar_one()
        # no one else sees the new instance before commit: it is as good as locked, and has no tasks yet
        facts = self._facts()
        facts._locked.add(instance_id)
        facts._open[instance_id] = {}
        facts._summaries[instance_id] = {}
        return InstanceRecord(
            id=instance_id,
            definition_id=definition.id,
            process_key=definition.process_key,
            org_id=org_id,
            status="running",
            directive_id=directive_id,
            sender_org_id=sender_org_id,
            parent_instance_id=parent_instance_id,
            title=values["title"],
        )

    def instance(self, instance_id: int) -> InstanceRecord:
        inst = self.session.get(ProcessInstance, instance_id)
        if inst is None:
            raise LookupError(f"instance {instance_id}")
        return instance_record(inst)

    def lock_instance(self, instance_id: int) -> InstanceRecord:
        """Hold the instance until commit (PostgreSQL: its row lock; SQLite: the database's write lock)."""
        if not self._pg:
            self._exec(_BUMP_BY_ID, {"i": instance_id})
        row = self._exec(_LOCK_BY_ID[self._pg], {"i": instance_id}).first()
        if row is None:
            raise LookupError(f"instance {instance_id}")
        return self._hold(row)

    def lock_task(self, task_id: int) -> tuple[InstanceRecord, HumanTaskRecord] | None:
        """Lock the instance a task belongs to, then read the task (whatever its status) and the instance's
        open tasks, which stay known to this transaction. None when there is no such task."""
        if not self._pg:
            self._exec(_BUMP_BY_TASK, {"t": task_id})
        rows = self._exec(_LOCK_TASK[self._pg], {"t": task_id}).all()
        if not rows:
            return None
        instance = self._hold(rows[0])
        tasks = _tasks_from_rows([r for r in rows if r.t_id is not None], prefix="t_")
        self._open[instance.id] = {i: t for i, t in tasks.items() if t.status == "open"}
        task = tasks.get(task_id)
        return (instance, task) if task is not None else None

    def _hold(self, row) -> InstanceRecord:
        facts = self._facts()
        facts._locked.add(row.id)
        facts._summaries[row.id] = row.summary
        facts._sha[row.definition_id] = row.definition_sha256
        facts._org_generation = row.org_generation or 0
        return instance_record(row)

    def load_state(self, instance_id: int) -> StoredState:
        parts, rows, data = {}, [], {}
        for kind, key, part_key, props, digest, task_data in self._exec(_STATE, {"i": instance_id}):
            if kind == "r":
                rows.append(TaskRow(key, part_key, props, digest))
                data[digest] = task_data
            else:
                parts[key] = props
        return StoredState(parts=parts, rows=rows, data=data)

    def save_state(self, instance_id: int, changes: StateChanges, stamp: int, summary: dict | None = None) -> None:
        """Write what a step changed, the instance's new state stamp and, if it changed, its summary."""
        facts = self._facts()
        if summary is not None and facts._summaries.get(instance_id, _UNREAD) == summary:
            summary = None  # read under this transaction's lock: nothing to write
        if summary is not None:
            facts._summaries[instance_id] = summary
        if self._pg:
            deferred.defer(self.session.connection(), _state_piece(instance_id, changes, stamp, summary))
            return
        s = self.session
        if summary is None:
            self._exec(_SET_STAMP, {"i": instance_id, "stamp": stamp})
        else:
            self._exec(_SET_STAMP_AND_SUMMARY, {"i": instance_id, "stamp": stamp, "summary": summary})
        if changes.data:
            self._exec(_INSERT_DATA[self._pg], [{"hash": h, "data": d} for h, d in changes.data.items()])
        if changes.deleted_parts:
            s.execute(
                delete(WorkflowPart).where(
                    WorkflowPart.instance_id == instance_id, WorkflowPart.key.in_(changes.deleted_parts)
                )
            )
        if changes.deleted_rows:
            s.execute(
                delete(WorkflowTaskRow).where(
                    WorkflowTaskRow.instance_id == instance_id, WorkflowTaskRow.guid.in_(changes.deleted_rows)
                )
            )
        # the snapshot tells which rows exist already: updates go by (instance, key/guid), no lookups
        part_updates, part_inserts = [], []
        for k, props in changes.parts.items():
            if k in changes.new_parts:
                part_inserts.append({"instance_id": instance_id, "key": k, "props": props})
            else:
                part_updates.append({"i": instance_id, "k": k, "p": props})
        if part_updates:
            self._exec(_UPDATE_PART, part_updates)
        if part_inserts:
            s.execute(insert(_PART), part_inserts)
        row_updates, row_inserts = [], []
        for r in changes.rows:
            if r.guid in changes.new_rows:
                row_inserts.append(
                    {
                        "instance_id": instance_id,
                        "guid": r.guid,
                        "part_key": r.part_key,
                        "props": r.props,
                        "data_hash": r.data_hash,
                    }
                )
            else:
                row_updates.append(
                    {"i": instance_id, "g": r.guid, "props": r.props, "data_hash": r.data_hash, "part_key": r.part_key}
                )
        if row_updates:
            self._exec(_UPDATE_ROW, row_updates)
        if row_inserts:
            s.execute(insert(_ROW), row_inserts)

    def finish_instance(self, instance_id: int, status: str, at: datetime) -> None:
        self._exec(_FINISH, {"i": instance_id, "status": status, "at": at})

    def set_instance_summary(self, instance_id: int, summary: dict) -> None:
        if self._facts()._summaries.get(instance_id, _UNREAD) == summary:
            return  # read under this transaction's lock: nothing to write
        self._exec(_SET_SUMMARY, {"i": instance_id, "summary": summary})
        self._summaries[instance_id] = summary

    def find_instance(self, org_id: int, directive_id: int, process_key: str | None = None) -> int | None:
        stmt = select(ProcessInstance.id).where(
            ProcessInstance.org_id == org_id, ProcessInstance.directive_id == directive_id
        )
        if process_key:
            stmt = stmt.where(ProcessInstance.process_key == process_key)
        return self.session.scalars(stmt.order_by(ProcessInstance.id).limit(1)).first()

    def running_instances(self, process_key: str) -> list[InstanceRecord]:
        rows = self.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.process_key == process_key, ProcessInstance.status == "running")
            .order_by(ProcessInstance.id)
        )
        return [instance_record(i) for i in rows]

    def set_instance_definition(self, instance_id: int, definition_id: int) -> None:
        self.session.get(ProcessInstance, instance_id).definition_id = definition_id
        self.session.flush()

    # inbox ------------------------------------------------------------------------------------------
    def human_task(self, task_id: int) -> HumanTaskRecord | None:
        t = self.session.get(HumanTask, task_id, populate_existing=True, options=[joinedload(HumanTask.candidates)])
        return task_record(t) if t else None

    def open_human_tasks(self, instance_id: int) -> list[HumanTaskRecord]:
        facts = self._facts()
        known = facts._open.get(instance_id)
        if known is None:
            known = _tasks_from_rows(self._exec(_OPEN_TASKS, {"i": instance_id}))
            if instance_id in facts._locked:  # no one else can change them until this transaction ends
                facts._open[instance_id] = known
        return list(known.values())

    def add_human_task(self, instance_id: int, task: NewHumanTask, at: datetime) -> int:
        name = task.name[:300]
        values = {
            "instance_id": instance_id,
            "guid": task.guid,
            "bpmn_id": task.bpmn_id,
            "name": name,
            "org_id": task.org_id,
            "candidate_users": list(task.candidate_users),
            "due_at": task.due_at,
            "created_at": at,
            "document_id": task.document_id,
            "status": "open",
        }
        if self._pg:
            rows = self._candidate_rows(task.candidates, task.candidate_users)
            params = {
                **values,
                "candidate_users": json.dumps(values["candidate_users"]),
                "due_at": _utc(task.due_at),
                "created_at": _utc(at),
                "c_orgs": [r["org_id"] for r in rows],
                "c_roles": [r["role"] for r in rows],
            }
            del params["status"]
            piece = deferred.Piece(_NEW_TASK_PIECE, params)
            ((task_id,),) = deferred.execute_with_waiting(self.session.connection(), piece, "SELECT id FROM {p}task")
        else:
            task_id = self._exec(_INSERT_TASK, values).scalar_one()
            rows = self._add_candidates(task_id, task.candidates, task.candidate_users, task.due_at, at, claimed=False)
        known = self._facts()._open.get(instance_id)
        if known is not None:
            known[task_id] = HumanTaskRecord(
                id=task_id,
                instance_id=instance_id,
                guid=task.guid,
                bpmn_id=task.bpmn_id,
                name=name,
                status="open",
                assignee_id=None,
                candidates=tuple((r["org_id"], r["role"]) for r in rows),
                candidate_users=tuple(task.candidate_users),
                due_at=task.due_at,
                org_id=task.org_id,
                created_at=at,
            )
        return task_id

    def _add_candidates(self, task_id, candidates, candidate_users, due_at, created_at, *, claimed: bool) -> list:
        """Inbox rows of a task: its (organisation, role) pairs and, for people named on it, "user:<id>"."""
        rows = self._candidate_rows(candidates, candidate_users)
        if rows:
            common = {"human_task_id": task_id, "is_open": True, "claimed": claimed, "due_at": due_at}
            self._exec(_INSERT_CANDIDATES, [{**common, "created_at": created_at, **row} for row in rows])
        return rows

    def _candidate_rows(self, candidates, candidate_users) -> list[dict]:
        rows = [{"org_id": o, "role": r} for o, r in candidates]
        if candidate_users:
            named = self.session.execute(select(User.id, User.org_id).where(User.id.in_(list(candidate_users))))
            rows += [{"org_id": org_id, "role": f"user:{user_id}"} for user_id, org_id in named]
        return rows

    def close_human_task(self, task_id: int, status: str, by_user: int | None, at: datetime) -> None:
        params = {"t": task_id, "status": status, "at": at, "by": by_user}
        if self._pg:
            params["at"] = _utc(at)
            deferred.defer(self.session.connection(), deferred.Piece(_CLOSE_PIECE, params, ("task", task_id)))
        else:
            self._exec(_CLOSE_TASK, params)
            self._exec(_CLOSE_CANDIDATES, {"t": task_id})
        for known in self._facts()._open.values():
            known.pop(task_id, None)

    def set_assignee(self, task_id: int, user_id: int | None) -> None:
        self._facts()._open.clear()  # reread on next use
        self.session.get(HumanTask, task_id).assignee_id = user_id
        self.session.execute(
            update(HumanTaskCandidate)
            .where(HumanTaskCandidate.human_task_id == task_id)
            .values(claimed=user_id is not None)
        )

    def update_human_task(self, task_id, *, name, org_id, candidates, candidate_users, due_at, release_claim) -> None:
        self._facts()._open.clear()  # reread on next use
        row = self.session.get(HumanTask, task_id)
        row.name, row.org_id, row.candidate_users, row.due_at = name[:300], org_id, list(candidate_users), due_at
        if release_claim:
            row.assignee_id = None
        self.session.flush()
        self.session.execute(delete(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id == task_id))
        self.session.expire(row, ["candidates"])
        self._add_candidates(
            task_id, candidates, candidate_users, due_at, row.created_at, claimed=row.assignee_id is not None
        )

    def last_completion(self, instance_id: int, bpmn_id: str) -> int | None:
        return self.session.scalars(
            select(HumanTask.completed_by_id)
            .where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "completed")
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
            .limit(1)
        ).first()

    # timers -----------------------------------------------------------------------------------------
    def sync_timers(self, instance_id: int, waiting: dict[str, tuple[str, datetime]]) -> None:
        rows = {
            t.guid: t
            for t in self.session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.fired.is_(False)))
        }
        for guid, row in rows.items():
            if guid not in waiting:
                self.session.delete(row)
            elif row.due_at != waiting[guid][1]:
                row.due_at = waiting[guid][1]
        for guid, (bpmn_id, due) in waiting.items():
            if guid not in rows:
                self.session.add(Timer(instance_id=instance_id, guid=guid, bpmn_id=bpmn_id, due_at=due))
        self.session.flush()

    def due_timer_instances(self, now: datetime, limit: int) -> list[int]:
        stmt = (
            select(Timer.instance_id)
            .where(Timer.fired.is_(False), Timer.due_at <= now)
            .order_by(Timer.due_at)
            .limit(limit)
        )
        return list(dict.fromkeys(self.session.scalars(self._for_update(stmt, skip_locked=True))))

    def mark_timers_fired(self, instance_id: int, guids: list[str], at: datetime) -> None:
        self.session.execute(
            update(Timer).where(Timer.instance_id == instance_id, Timer.guid.in_(guids)).values(fired=True, fired_at=at)
        )

    # messages ---------------------------------------------------------------------------------------
    def add_message(self, message: NewMessage) -> int:
        return self.add_messages([message])[0]

    def add_messages(self, messages: list[NewMessage]) -> list[int]:
        """Outbox rows, written in one statement however many."""
        if not messages:
            return []
        self.session.info["outbox_written"] = True  # tells the web layer there is something to deliver
        self.outbox_writes += len(messages)
        now = utcnow()
        rows = [
            {
                "name": m.name,
                "payload": m.payload,
                "source_instance_id": m.source_instance_id,
                "target_org_id": m.target_org_id,
                "directive_id": m.directive_id,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
            }
            for m in messages
        ]
        if len(rows) == 1:
            return [self._exec(_INSERT_MESSAGE, rows[0]).scalar_one()]
        return list(self.session.scalars(_INSERT_MESSAGE, rows, execution_options={"sort_by_parameter_order": True}))

    def claim_pending_messages(self, limit: int) -> list[MessageRecord]:
        """The oldest pending messages, locked; other workers skip them."""
        return [_message_record(m) for m in self._exec(_CLAIM_MESSAGES[self._pg], {"n": limit})]

    def claim_messages(self, message_ids: list[int]) -> list[MessageRecord]:
        """These messages if they are still pending and no other worker holds them, locked."""
        stmt = select(_MSG).where(_MSG.c.id.in_(message_ids), _MSG.c.status == "pending").order_by(_MSG.c.id)
        return [_message_record(m) for m in self.session.execute(self._for_update(stmt, skip_locked=True))]

    def message_delivered(self, message_id: int, target_instance_id: int | None, at: datetime) -> None:
        self._exec(_MESSAGE_DELIVERED, {"m": message_id, "at": at, "target": target_instance_id})

    def message_failed(self, message_id: int, error: str, final: bool) -> None:
        m = self.session.get(Message, message_id)
        m.attempts += 1
        m.error = error[:2000]
        if final:
            m.status = "failed"

    # documents --------------------------------------------------------------------------------------
    def next_document_number(self, org_id: int, key: str) -> int:
        stmt = select(DocumentCounter).where(DocumentCounter.org_id == org_id, DocumentCounter.key == key)
        counter = self.session.scalars(self._for_update(stmt)).first()
        if counter is None:
            counter = DocumentCounter(org_id=org_id, key=key, value=0)
            self.session.add(counter)
        counter.value += 1
        self.session.flush()
        return counter.value

    def create_document(self, doc: NewDocument) -> int:
        row = Document(
            issuer_id=doc.issuer_id,
            doc_type=doc.doc_type,
            number=doc.number,
            year=doc.year,
            symbol=doc.symbol,
            grammar=doc.grammar,
            summary=doc.summary[:500],
            body=doc.body,
            place=doc.place,
            issued_on=doc.issued_on,
            signer_name=doc.signer_name,
            signer_title=doc.signer_title,
            authority_title=doc.authority_title,
            signing_mode=doc.signing_mode,
            drafting_unit=doc.drafting_unit,
            status="issued",
            response_due=doc.response_due,
            issuing_instance_id=doc.issuing_instance_id,
            recipients=[DocumentRecipient(org_id=o, purpose=p) for o, p in doc.recipients],
        )
        self.session.add(row)
        self.session.flush()
        for kind, target in doc.relations:
            self.session.add(DocumentRelation(from_id=row.id, to_id=target, kind=kind))
        return row.id

    def document(self, document_id: int) -> DocumentRecord | None:
        d = self.session.get(Document, document_id)
        if d is None:
            return None
        return DocumentRecord(
            id=d.id,
            issuer_id=d.issuer_id,
            symbol=d.symbol,
            summary=d.summary,
            issuing_instance_id=d.issuing_instance_id,
            response_due=d.response_due,
        )

    def mark_delivered(self, document_id: int, org_id: int, at: datetime, instance_id: int | None) -> None:
        self._exec(_MARK_DELIVERED, {"d": document_id, "o": org_id, "at": at, "inst": instance_id})

    def record_response(self, directive_id: int, org_id: int, document_id: int | None, at: datetime) -> tuple[int, int]:
        self._exec(_RESPONDED, {"d": directive_id, "o": org_id, "at": at, "doc": document_id})
        filed, expected = self._exec(_RESPONSES, {"d": directive_id}).one()
        return filed or 0, expected

    # incidents, notices and e-mail ----------------------------------------------------------------------
    def create_incident(self, school_id: int, raised_by: int, clean: dict, at: datetime) -> int:
        row = Incident(school_id=school_id, raised_by_id=raised_by, created_at=at, **clean)
        self.session.add(row)
        self.session.flush()
        return row.id

    def add_attachment(self, incident_id: int, filename: str, content_type: str, data: bytes, by: int) -> None:
        self.session.add(
            IncidentAttachment(
                incident_id=incident_id,
                filename=filename[:255],
                content_type=content_type[:100],
                size=len(data),
                data=data,
                uploaded_by_id=by,
            )
        )

    def incident(self, incident_id: int) -> IncidentRecord | None:
        i = self.session.get(Incident, incident_id)
        if i is None:
            return None
        return IncidentRecord(
            id=i.id,
            school_id=i.school_id,
            raised_by_id=i.raised_by_id,
            category=i.category,
            severity=i.severity,
            status=i.status,
            instance_id=i.instance_id,
            involved_org_ids=tuple(i.involved_org_ids or ()),
            occurred_at=i.occurred_at,
        )

    def set_incident(self, incident_id: int, **fields) -> None:
        row = self.session.get(Incident, incident_id)
        for key, value in fields.items():
            setattr(row, key, value)

    def add_incident_update(self, incident_id: int, user_id: int | None, kind: str, text: str, at: datetime) -> None:
        self.session.add(IncidentUpdate(incident_id=incident_id, user_id=user_id, kind=kind, text=text, at=at))

    def users_with_role(self, org_id: int, role: str) -> list[UserRecord]:
        sections = select(Organisation.id).where(Organisation.parent_id == org_id, Organisation.kind == "section")
        rows = self.session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role, User.active.is_(True), (User.org_id == org_id) | User.org_id.in_(sections))
        )
        return [
            UserRecord(
                id=u.id, username=u.username, full_name=u.full_name, title=u.title, org_id=u.org_id, roles=u.roles
            )
            for u in rows
        ]

    def notify(self, user_ids: list[int], title: str, body: str, url: str | None, at: datetime) -> None:
        for user in self.session.scalars(select(User).where(User.id.in_(set(user_ids)))):
            self.session.add(Notification(user_id=user.id, title=title[:300], body=body, url=url, created_at=at))
            if user.email:
                text = f"{body}\n\n{url or ''}".strip()
                self.session.add(
                    EmailMessage(to_addr=user.email, subject=title[:300], body=text, created_at=at, next_attempt_at=at)
                )

    def claim_pending_emails(self, now: datetime, limit: int) -> list[EmailRecord]:
        stmt = (
            select(EmailMessage)
            .where(EmailMessage.status == "pending", EmailMessage.next_attempt_at <= now)
            .order_by(EmailMessage.id)
            .limit(limit)
        )
        return [
            EmailRecord(id=e.id, to_addr=e.to_addr, subject=e.subject, body=e.body, attempts=e.attempts)
            for e in self.session.scalars(self._for_update(stmt, skip_locked=True))
        ]

    def email_sent(self, email_id: int, at: datetime) -> None:
        row = self.session.get(EmailMessage, email_id)
        row.status, row.sent_at, row.attempts = "sent", at, row.attempts + 1

    def email_failed(self, email_id: int, error: str, retry_at: datetime | None) -> None:
        row = self.session.get(EmailMessage, email_id)
        row.attempts += 1
        row.last_error = error[:2000]
        if retry_at is None:
            row.status = "failed"
        else:
            row.next_attempt_at = retry_at

    # periodic reporting -----------------------------------------------------------------------------
    def regime(self, regime_id: int) -> RegimeRecord:
        r = self.session.get(ReportingRegime, regime_id)
        return RegimeRecord(
            id=r.id,
            name=r.name,
            frequency=r.frequency,
            receiver_id=r.receiver_id,
            reporter_kind=r.reporter_kind,
            school_deadline_days=r.school_deadline_days,
            office_deadline_days=r.office_deadline_days,
            report_to=tuple(r.report_to or ()),
        )

    def holidays(self) -> list[date]:
        return list(self.session.scalars(select(Holiday.day)))

    @staticmethod
    def _period(p: ReportPeriod) -> PeriodRecord:
        return PeriodRecord(
            id=p.id,
            regime_id=p.regime_id,
            label=p.label,
            start=p.start,
            end=p.end,
            school_due=p.school_due,
            office_due=p.office_due,
            compile_instance_id=p.compile_instance_id,
        )

    def create_period(self, regime_id, label, start, end, school_due, office_due) -> PeriodRecord:
        row = ReportPeriod(
            regime_id=regime_id, label=label, start=start, end=end, school_due=school_due, office_due=office_due
        )
        self.session.add(row)
        self.session.flush()
        return self._period(row)

    def period(self, period_id: int) -> PeriodRecord:
        return self._period(self.session.get(ReportPeriod, period_id))

    def set_period(self, period_id: int, **fields) -> None:
        row = self.session.get(ReportPeriod, period_id)
        for key, value in fields.items():
            setattr(row, key, value)

    @staticmethod
    def _submission(r: ReportSubmission) -> SubmissionRecord:
        return SubmissionRecord(
            id=r.id,
            period_id=r.period_id,
            school_id=r.school_id,
            instance_id=r.instance_id,
            status=r.status,
            values=dict(r.values or {}),
            due=r.due,
            extended_until=r.extended_until,
            submitted_at=r.submitted_at,
            on_time=r.on_time,
            returns=r.returns,
        )

    def create_submission(self, period_id: int, school_id: int, due: date) -> int:
        row = ReportSubmission(period_id=period_id, school_id=school_id, due=due, values={})
        self.session.add(row)
        self.session.flush()
        return row.id

    def submission(self, period_id: int, school_id: int) -> SubmissionRecord | None:
        row = self.session.scalars(
            select(ReportSubmission).where(
                ReportSubmission.period_id == period_id, ReportSubmission.school_id == school_id
            )
        ).first()
        return self._submission(row) if row else None

    def submissions(self, period_id: int) -> list[SubmissionRecord]:
        return [
            self._submission(r)
            for r in self.session.scalars(
                select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.id)
            )
        ]

    def set_submission(self, submission_id: int, **fields) -> None:
        row = self.session.get(ReportSubmission, submission_id)
        for key, value in fields.items():
            setattr(row, key, value)
        self.session.flush()

    def period_counts(self, period_id: int) -> tuple[int, int]:
        base = select(func.count()).select_from(ReportSubmission).where(ReportSubmission.period_id == period_id)
        return (self.session.scalar(base.where(ReportSubmission.status == "accepted")), self.session.scalar(base))

    def save_compilation(self, period_id: int, org_id: int, figures: dict, fields: list) -> None:
        row = self.session.scalars(
            select(ReportCompilation).where(
                ReportCompilation.period_id == period_id, ReportCompilation.org_id == org_id
            )
        ).first()
        if row is None:
            row = ReportCompilation(period_id=period_id, org_id=org_id)
            self.session.add(row)
        row.figures, row.fields = figures, fields
        self.session.flush()

    def set_compilation_document(self, period_id: int, org_id: int, document_id: int) -> None:
        row = self.session.scalars(
            select(ReportCompilation).where(
                ReportCompilation.period_id == period_id, ReportCompilation.org_id == org_id
            )
        ).one()
        row.document_id = document_id

    def incident_counts(self, school_id: int, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        from models.reporting import incident_counts

        return incident_counts(school_id, start, end)

    def set_open_task_due(self, instance_id: int, bpmn_id: str, due: datetime) -> None:
        for task in self.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
            )
        ):
            task.due_at = due
            self.session.execute(
                update(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id == task.id).values(due_at=due)
            )

    # Circular 124 ----------------------------------------------------------------------------------------
    def tt124_overrides(self) -> dict[int, tuple[bool, str]]:
        return {o.school_id: (o.eligible, o.reason) for o in self.session.scalars(select(Tt124Override))}

    def set_tt124_override(self, school_id: int, eligible: bool | None, reason: str, by: int | None, at: datetime):
        row = self.session.get(Tt124Override, school_id)
        if eligible is None:
            if row is not None:
                self.session.delete(row)
            return
        if row is None:
            row = Tt124Override(school_id=school_id)
            self.session.add(row)
        row.eligible, row.reason, row.set_by_id, row.set_at = eligible, reason, by, at

    @staticmethod
    def _tt124_cycle(c: Tt124Cycle) -> Tt124CycleRecord:
        return Tt124CycleRecord(
            id=c.id,
            receiver_id=c.receiver_id,
            year=c.year,
            start=c.start,
            end=c.end,
            register_due=c.register_due,
            submit_due=c.submit_due,
        )

    def create_tt124_cycle(self, receiver_id, year, start, end, register_due, submit_due, by) -> Tt124CycleRecord:
        row = Tt124Cycle(
            receiver_id=receiver_id,
            year=year,
            start=start,
            end=end,
            register_due=register_due,
            submit_due=submit_due,
            opened_by_id=by,
        )
        self.session.add(row)
        self.session.flush()
        return self._tt124_cycle(row)

    def tt124_cycle(self, cycle_id: int) -> Tt124CycleRecord:
        return self._tt124_cycle(self.session.get(Tt124Cycle, cycle_id))

    @staticmethod
    def _tt124_participation(p: Tt124Participation) -> Tt124ParticipationRecord:
        return Tt124ParticipationRecord(
            id=p.id,
            cycle_id=p.cycle_id,
            school_id=p.school_id,
            eligible=p.eligible,
            instance_id=p.instance_id,
            status=p.status,
            registration=dict(p.registration or {}),
            registered_at=p.registered_at,
            registered_on_time=p.registered_on_time,
            findings=list(p.findings or []),
            flagged_incident_ids=tuple(p.flagged_incident_ids or ()),
            meeting=dict(p.meeting or {}),
            submitted_at=p.submitted_at,
            dossier_document_id=p.dossier_document_id,
        )

    def create_tt124_participation(self, cycle_id: int, school_id: int, eligible: bool, note: str) -> int:
        row = Tt124Participation(
            cycle_id=cycle_id,
            school_id=school_id,
            eligible=eligible,
            eligibility_note=note[:500],
            status="open" if eligible else "excluded",
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def tt124_participation(self, cycle_id: int, school_id: int) -> Tt124ParticipationRecord | None:
        row = self.session.scalars(
            select(Tt124Participation).where(
                Tt124Participation.cycle_id == cycle_id, Tt124Participation.school_id == school_id
            )
        ).first()
        return self._tt124_participation(row) if row else None

    def tt124_running_participations(self, school_id: int, on: date) -> list[Tt124ParticipationRecord]:
        rows = self.session.scalars(
            select(Tt124Participation)
            .join(Tt124Cycle)
            .join(ProcessInstance, ProcessInstance.id == Tt124Participation.instance_id)
            .where(
                Tt124Participation.school_id == school_id,
                Tt124Cycle.start <= on,
                Tt124Cycle.end >= on,
                ProcessInstance.status == "running",
            )
            .order_by(Tt124Participation.id)
        )
        return [self._tt124_participation(p) for p in rows]

    def set_tt124_participation(self, participation_id: int, **fields) -> None:
        row = self.session.get(Tt124Participation, participation_id)
        for key, value in fields.items():
            setattr(row, key, value)
        self.session.flush()

    def add_tt124_evidence(self, participation_id, criterion, description, reference, on, by, at) -> int:
        row = Tt124Evidence(
            participation_id=participation_id,
            criterion=criterion,
            description=description,
            reference=reference[:300],
            evidence_date=on,
            added_by_id=by,
            added_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    @staticmethod
    def _tt124_evidence(e: Tt124Evidence) -> Tt124EvidenceRecord:
        return Tt124EvidenceRecord(
            id=e.id,
            criterion=e.criterion,
            description=e.description,
            reference=e.reference,
            evidence_date=e.evidence_date,
            participation_id=e.participation_id,
        )

    def tt124_evidence(self, participation_id: int) -> list[Tt124EvidenceRecord]:
        return [
            self._tt124_evidence(e)
            for e in self.session.scalars(
                select(Tt124Evidence)
                .where(Tt124Evidence.participation_id == participation_id)
                .order_by(Tt124Evidence.id)
            )
        ]

    def tt124_evidence_item(self, evidence_id: int) -> Tt124EvidenceRecord | None:
        row = self.session.get(Tt124Evidence, evidence_id)
        return self._tt124_evidence(row) if row else None

    def tt124_participation_by_id(self, participation_id: int) -> Tt124ParticipationRecord | None:
        row = self.session.get(Tt124Participation, participation_id)
        return self._tt124_participation(row) if row else None

    def tt124_evidence_file_count(self, evidence_id: int) -> int:
        return self.session.scalar(
            select(func.count()).select_from(Tt124File).where(Tt124File.evidence_id == evidence_id)
        )

    def add_tt124_file(
        self, participation_id, kind, filename, data, document_id, at, *, evidence_id=None, content_type=None, by=None
    ) -> int:
        row = Tt124File(
            participation_id=participation_id,
            kind=kind,
            filename=filename[:255],
            size=len(data),
            data=data,
            document_id=document_id,
            created_at=at,
            evidence_id=evidence_id,
            content_type=content_type[:100] if content_type else None,
            uploaded_by_id=by,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def disqualifying_incidents(self, school_id: int, start: datetime, end: datetime) -> list[IncidentFact]:
        from models.reporting import disqualifying_incidents

        return [
            IncidentFact(id=i.id, category=i.category, severity=i.severity, occurred_at=i.occurred_at, status=i.status)
            for i in disqualifying_incidents(school_id, start, end)
        ]

    # audit ------------------------------------------------------------------------------------------
    def audit(self, actor: Actor, action: str, *, instance_id=None, detail=None, at: datetime) -> None:
        row = {
            "at": at,
            "user_id": actor.user_id,
            "org_id": actor.org_id,
            "instance_id": instance_id,
            "action": action,
            "detail": detail or {},
            "remote_addr": actor.remote_addr,
        }
        if self._pg:  # rides with the step's next statement (models.deferred)
            row.update(at=_utc(at), detail=json.dumps(row["detail"]))
            deferred.defer(self.session.connection(), deferred.Piece(_AUDIT_PIECE, row))
        else:
            self._exec(_INSERT_AUDIT, row)
