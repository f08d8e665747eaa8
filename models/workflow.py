"""Engine state: deployed definitions, instances stored as one row per task (data by hash), the inbox
projection, the message outbox, the timer index and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.org import Organisation, User

# The text filter's trigram indexes (PostgreSQL's pg_trgm; `web/queries_selective.py`). A server that refuses the
# extension still gets its schema: the indexes are then left out, and the text filter reads as before (plain ILIKE).
# SQLite has no trigram index: it gets an empty one of the same name and column (`WHERE 0`), so that the migrated
# schema still matches the models there; its text filter reads as before.
TRIGRAM_EXTENSION = (
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; "
    "EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm not available'; END $$"
)


def _trigrams_available(ddl, target, bind, **kw) -> bool:
    if bind.dialect.name != "postgresql":
        return True
    return bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() is not None


def _trigram_index(name: str, column: str, **kw) -> Index:
    """A GIN trigram index on `column` (ILIKE '%…%' through it), made only where pg_trgm is installed."""
    index = Index(
        name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}, sqlite_where=text("0"), **kw
    )
    return index.ddl_if(callable_=_trigrams_available)


class ProcessDefinition(db.Model):
    """One deployed version of one BPMN process; instances pin the version they started on."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    start_messages: Mapped[list] = mapped_column(JSON, default=list)
    start_properties: Mapped[dict] = mapped_column(JSON, default=dict)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))

    deployed_by: Mapped[User | None] = relationship()


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    # the business key: one instance of a process per organisation and subject (a directive, a reporting period,
    # a Circular 124 year, an incident), so a message delivered twice cannot start a second one
    __table_args__ = (
        UniqueConstraint("process_key", "org_id", "subject", name="uq_instance_subject"),
        # an organisation's instances, their ids read from the index alone (the task filter org=)
        Index("ix_process_instance_org_id", "org_id", "id"),
        _trigram_index("ix_process_instance_title_trgm", "title"),  # the task filter's text (q=)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(120), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    sender_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    parent_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    serializer_version: Mapped[str] = mapped_column(String(10))
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    # random, new at every state write: a process that kept the workflow in memory (engine.core.warm) uses it only
    # while the stamp it saved is still the one stored
    state_stamp: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # small facts for lists (current step, etc.)
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(80))  # e.g. "directive:12", "period:3"; None: no key

    definition: Mapped[ProcessDefinition] = relationship()
    org: Mapped[Organisation] = relationship(foreign_keys=[org_id])
    sender_org: Mapped[Organisation | None] = relationship(foreign_keys=[sender_org_id])
    started_by: Mapped[User | None] = relationship()


class WorkflowPart(db.Model):
    """The small, non-task part of the top workflow ("") or of one subprocess (its parent task id)."""

    __tablename__ = "workflow_part"
    __table_args__ = (UniqueConstraint("instance_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    props: Mapped[dict] = mapped_column(JSON)


class WorkflowTaskRow(db.Model):
    """One SpiffWorkflow task; only rows that changed are written on a step."""

    __tablename__ = "workflow_task"
    __table_args__ = (UniqueConstraint("instance_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36))
    part_key: Mapped[str] = mapped_column(String(40))
    props: Mapped[dict] = mapped_column(JSON)
    data_hash: Mapped[str] = mapped_column(String(64))


class JsonData(db.Model):
    """Task data stored once per content hash (most tasks of an instance share their data)."""

    __tablename__ = "json_data"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)


class HumanTask(db.Model):
    """Inbox projection: one row per ready user task, with who may do it and by when."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "guid"),
        Index("ix_human_task_status_due", "status", "due_at"),
        # the tasks someone claimed (few): an inbox's "claimed by me" scan (a partial index, so that its statistics
        # are not those of the unclaimed majority, which made SQLite's planner walk every open task instead)
        Index(
            "ix_human_task_claimed",
            "assignee_id",
            "due_at",
            "id",
            postgresql_where=text("assignee_id IS NOT NULL"),
            sqlite_where=text("assignee_id IS NOT NULL"),
        ),
        # an instance's open tasks (the task filters read from the instance's side: org=, q=), not its finished ones
        Index(
            "ix_human_task_open_instance",
            "instance_id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        _trigram_index("ix_human_task_name_trgm", "name", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    candidate_users: Mapped[list] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | completed | cancelled
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))

    instance: Mapped[ProcessInstance] = relationship()
    org: Mapped[Organisation] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    candidates: Mapped[list[HumanTaskCandidate]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="HumanTaskCandidate.id"
    )


class HumanTaskCandidate(db.Model):
    """Who may take a task: a role within an organisation, or one named person (role "user:<id>").

    The inbox reads this table alone: it carries copies of its task's open/claimed state and dates, so that
    each (organisation, role) an actor holds is one ordered scan of a partial index, stopped at the page size,
    however many tasks the system holds. The store keeps the copies in step with `human_task`."""

    __tablename__ = "human_task_candidate"
    __table_args__ = (
        Index("ix_candidate_org_role", "org_id", "role", "human_task_id"),
        Index(
            "ix_candidate_open_due",
            "org_id",
            "role",
            "due_at",
            "human_task_id",
            postgresql_where=text("is_open"),
            sqlite_where=text("is_open"),
        ),
        Index(
            "ix_candidate_open_created",
            "org_id",
            "role",
            "created_at",
            "human_task_id",
            postgresql_where=text("is_open"),
            sqlite_where=text("is_open"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[str] = mapped_column(String(40))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    claimed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Message(db.Model):
    """Outbox: a message thrown by one instance, delivered to another (or starting one) by the router."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_pending", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict] = mapped_column(JSON)
    source_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    target_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    error: Mapped[str | None] = mapped_column(Text)


class Timer(db.Model):
    """Due times of waiting timer events, so the worker never loads instances to find them."""

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("instance_id", "guid"),
        Index("ix_timer_due", "fired", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired: Mapped[bool] = mapped_column(Boolean, default=False)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # firing failed: retried with back-off (due_at moves on), then parked until an administrator retries it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(db.Model):
    """Append-only: who did what, when, from where."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()


# The database itself refuses to change or remove an audit row, whoever connects (the application only inserts).
AUDIT_GUARD_DDL = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    ),
    "sqlite": (
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ),
}
event.listen(HumanTask.__table__, "before_create", DDL(TRIGRAM_EXTENSION).execute_if(dialect="postgresql"))
event.listen(ProcessInstance.__table__, "before_create", DDL(TRIGRAM_EXTENSION).execute_if(dialect="postgresql"))
for _dialect, _statements in AUDIT_GUARD_DDL.items():
    for _statement in _statements:
        event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
