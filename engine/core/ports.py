"""What the engine needs from storage, as plain records and a Protocol; models/store/ implements it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from engine.core.state import StateChanges, StoredState


@dataclass(frozen=True)
class Org:
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    symbol: str | None = None
    grammar: str | None = "state"
    counter_scope: str | None = "year_shared"
    place: str | None = None
    school_level: str | None = None
    ward_id: int | None = None
    managing_body: str | None = None
    closed: bool = False  # closed organisations keep their history but take part in nothing new


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, their organisation scope and roles (or the system itself)."""

    user_id: int | None
    org_id: int | None
    roles: frozenset[str] = frozenset()
    org_scope: frozenset[int] = frozenset()  # own org, plus the parent office when the org is a section
    is_admin: bool = False
    name: str = ""
    remote_addr: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, org_id=None, name="system")

    def holds(self, org_id: int, role: str) -> bool:
        return org_id in self.org_scope and role in self.roles


@dataclass(frozen=True)
class DefinitionRecord:
    id: int
    process_key: str
    version: int
    name: str
    xml: bytes
    start_messages: list[str]
    start_properties: dict
    source: str | None = None  # where it was deployed from: "workflows/x.bpmn" (seed), "modeller", an upload


@dataclass(frozen=True)
class DecisionRecord:
    """One deployed version of a DMN decision table (engine.core.decisions evaluates it)."""

    id: int
    decision_key: str
    version: int
    name: str
    xml: bytes
    sha256: str
    source: str | None = None


@dataclass(frozen=True)
class InstanceRecord:
    id: int
    definition_id: int
    process_key: str
    org_id: int
    status: str
    directive_id: int | None
    sender_org_id: int | None
    parent_instance_id: int | None
    title: str
    state_stamp: int | None = None  # renewed at every state write (see engine.core.warm)


@dataclass(frozen=True)
class HumanTaskRecord:
    id: int
    instance_id: int
    guid: str
    bpmn_id: str
    name: str
    status: str
    assignee_id: int | None
    candidates: tuple[tuple[int, str], ...]
    candidate_users: tuple[int, ...]
    due_at: datetime | None
    org_id: int
    created_at: datetime | None = None


@dataclass
class NewHumanTask:
    guid: str
    bpmn_id: str
    name: str
    org_id: int
    candidates: list[tuple[int, str]]
    candidate_users: list[int]
    due_at: datetime | None
    document_id: int | None = None


@dataclass
class NewMessage:
    name: str
    payload: dict
    source_instance_id: int | None
    target_org_id: int | None = None
    directive_id: int | None = None


@dataclass(frozen=True)
class MessageRecord:
    id: int
    name: str
    payload: dict
    source_instance_id: int | None
    target_org_id: int | None
    directive_id: int | None
    attempts: int


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    full_name: str
    title: str | None
    org_id: int
    roles: frozenset[str]


@dataclass(frozen=True)
class EmailRecord:
    id: int
    to_addr: str
    subject: str
    body: str
    attempts: int


class Store(Protocol):
    """One unit of work over the database: every method joins the current transaction; commit() ends it."""

    outbox_writes: int  # messages written to the outbox through this store so far

    # transaction
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def after_commit(self, callback: Callable[[], None]) -> None: ...  # runs once this transaction commits

    # organisations and people
    def org(self, org_id: int) -> Org: ...
    def orgs(self) -> list[Org]: ...
    def user(self, user_id: int) -> UserRecord: ...
    def user_ids_by_username(self, usernames: list[str]) -> list[int]: ...

    # definitions
    def definition(self, definition_id: int) -> DefinitionRecord: ...
    def latest_definition(self, process_key: str) -> DefinitionRecord | None: ...
    def latest_definitions(self) -> list[DefinitionRecord]: ...
    def latest_definition_heads(self) -> list[tuple[int, str, datetime]]: ...  # (id, sha256, deployed_at), no XML
    def add_definition(
        self,
        process_key: str,
        name: str,
        xml: bytes,
        sha256: str,
        start_messages: list[str],
        start_properties: dict,
        deployed_by: int | None,
        source: str,
    ) -> DefinitionRecord: ...
    def definition_version(self, process_key: str, version: int) -> DefinitionRecord | None: ...
    def definition_versions(self, process_key: str) -> list[DefinitionRecord]: ...

    # decision tables (DMN)
    def decision(self, decision_id: int) -> DecisionRecord: ...
    def latest_decision(self, decision_key: str) -> DecisionRecord | None: ...

    # instances and their state
    def create_instance(
        self,
        definition: DefinitionRecord,
        org_id: int,
        title: str,
        *,
        directive_id: int | None,
        sender_org_id: int | None,
        parent_instance_id: int | None,
        started_by: int | None,
        serializer_version: str,
        subject: str | None = None,
    ) -> InstanceRecord: ...
    def instance_by_subject(self, process_key: str, org_id: int, subject: str) -> int | None: ...
    def instance(self, instance_id: int) -> InstanceRecord: ...
    def lock_instance(self, instance_id: int) -> InstanceRecord: ...
    def lock_task(self, task_id: int) -> tuple[InstanceRecord, HumanTaskRecord] | None: ...
    def load_state(self, instance_id: int) -> StoredState: ...
    def save_state(self, instance_id: int, changes: StateChanges, stamp: int, summary: dict | None = None) -> None: ...
    def finish_instance(self, instance_id: int, status: str, at: datetime) -> None: ...
    def set_instance_summary(self, instance_id: int, summary: dict) -> None: ...
    def find_instance(self, org_id: int, directive_id: int, process_key: str | None = None) -> int | None: ...
    def running_instances(self, process_key: str) -> list[InstanceRecord]: ...
    def set_instance_definition(self, instance_id: int, definition_id: int) -> None: ...

    # inbox projection
    def human_task(self, task_id: int) -> HumanTaskRecord | None: ...
    def open_human_tasks(self, instance_id: int) -> list[HumanTaskRecord]: ...
    def open_task_guids(self, instance_id: int) -> dict[str, int]: ...  # guid -> id of each open task
    def add_human_task(self, instance_id: int, task: NewHumanTask, at: datetime) -> int: ...
    def add_human_tasks(  # ids in the order given; one statement on PostgreSQL whatever their number
        self, instance_id: int, tasks: list[NewHumanTask], at: datetime
    ) -> list[int]: ...
    def close_human_task(self, task_id: int, status: str, by_user: int | None, at: datetime) -> None: ...
    def set_assignee(self, task_id: int, user_id: int | None) -> None: ...
    def update_human_task(
        self,
        task_id: int,
        *,
        name: str,
        org_id: int,
        candidates: list[tuple[int, str]],
        candidate_users: list[int],
        due_at: datetime | None,
        release_claim: bool,
    ) -> None: ...
    def last_completion(self, instance_id: int, bpmn_id: str) -> int | None: ...

    # timers
    def sync_timers(self, instance_id: int, waiting: dict[str, tuple[str, datetime]]) -> None: ...
    def due_timer_instances(self, now: datetime, limit: int) -> list[int]: ...
    def due_timers(self, instance_id: int, now: datetime) -> list[tuple[str, datetime]]: ...
    def timer_failed(
        self, instance_id: int, now: datetime, error: str, max_attempts: int, backoff: timedelta
    ) -> int: ...
    def resolve_failures(self, instance_id: int, status: str, by: int | None, at: datetime) -> None: ...
    def record_failure(
        self,
        kind: str,
        instance_id: int | None,
        element_id: str | None,
        element_name: str | None,
        error: str,
        attempts: int,
        at: datetime,
        *,
        message_id: int | None = None,
        process_key: str | None = None,
    ) -> int: ...
    def mark_timers_fired(self, instance_id: int, guids: list[str], at: datetime) -> None: ...

    # messages
    def add_message(self, message: NewMessage) -> int: ...
    def add_messages(self, messages: list[NewMessage]) -> list[int]: ...
    def claim_pending_messages(self, limit: int) -> list[MessageRecord]: ...
    def claim_messages(self, message_ids: list[int]) -> list[MessageRecord]: ...
    def message_delivered(self, message_id: int, target_instance_id: int | None, at: datetime) -> None: ...
    def message_failed(self, message_id: int, error: str, final: bool) -> None: ...

    # people told: notices and e-mail
    def users_with_role(self, org_id: int, role: str) -> list[UserRecord]: ...
    def notify(self, user_ids: list[int], title: str, body: str, url: str | None, at: datetime) -> None: ...
    def claim_pending_emails(self, now: datetime, limit: int) -> list[EmailRecord]: ...
    def email_sent(self, email_id: int, at: datetime) -> None: ...
    def email_failed(self, email_id: int, error: str, retry_at: datetime | None) -> None: ...

    # audit
    def audit(
        self, actor: Actor, action: str, *, instance_id: int | None = None, detail: dict | None = None, at: datetime
    ) -> None: ...


Json = dict[str, Any]
