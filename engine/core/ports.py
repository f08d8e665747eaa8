"""What the engine needs from storage, as plain records and a Protocol; models/store/ implements it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
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


@dataclass
class NewDocument:
    issuer_id: int
    doc_type: str
    number: int
    year: int
    symbol: str
    grammar: str
    summary: str
    body: str
    place: str | None
    issued_on: date
    signer_name: str | None
    signer_title: str | None
    authority_title: str | None
    signing_mode: str
    drafting_unit: str | None
    response_due: date | None
    issuing_instance_id: int | None
    recipients: list[tuple[int, str]] = field(default_factory=list)
    relations: list[tuple[str, int]] = field(default_factory=list)  # (kind, target document id)


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    issuer_id: int
    symbol: str | None
    summary: str
    issuing_instance_id: int | None
    response_due: date | None


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    full_name: str
    title: str | None
    org_id: int
    roles: frozenset[str]


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    school_id: int
    raised_by_id: int
    category: str
    severity: str
    status: str
    instance_id: int | None
    involved_org_ids: tuple[int, ...] = ()
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class EmailRecord:
    id: int
    to_addr: str
    subject: str
    body: str
    attempts: int


@dataclass(frozen=True)
class RegimeRecord:
    id: int
    name: str
    frequency: str
    receiver_id: int
    reporter_kind: str
    school_deadline_days: int
    office_deadline_days: int
    report_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodRecord:
    id: int
    regime_id: int
    label: str
    start: date
    end: date
    school_due: date
    office_due: date
    compile_instance_id: int | None


@dataclass(frozen=True)
class SubmissionRecord:
    id: int
    period_id: int
    school_id: int
    instance_id: int | None
    status: str
    values: dict
    due: date
    extended_until: date | None
    submitted_at: datetime | None
    on_time: bool | None
    returns: int


@dataclass(frozen=True)
class Tt124CycleRecord:
    id: int
    receiver_id: int
    year: int
    start: date
    end: date
    register_due: date
    submit_due: date


@dataclass(frozen=True)
class Tt124ParticipationRecord:
    id: int
    cycle_id: int
    school_id: int
    eligible: bool
    instance_id: int | None
    status: str
    registration: dict
    registered_at: datetime | None
    registered_on_time: bool | None
    findings: list
    flagged_incident_ids: tuple[int, ...]
    meeting: dict
    submitted_at: datetime | None
    dossier_document_id: int | None


@dataclass(frozen=True)
class Tt124EvidenceRecord:
    id: int
    criterion: int
    description: str
    reference: str
    evidence_date: date | None
    participation_id: int | None = None


@dataclass(frozen=True)
class IncidentFact:
    """An incident as the Circular 124 checklist reads it."""

    id: int
    category: str
    severity: str
    occurred_at: datetime
    status: str


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
    def add_human_task(self, instance_id: int, task: NewHumanTask, at: datetime) -> int: ...
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
    def mark_timers_fired(self, instance_id: int, guids: list[str], at: datetime) -> None: ...

    # messages
    def add_message(self, message: NewMessage) -> int: ...
    def add_messages(self, messages: list[NewMessage]) -> list[int]: ...
    def claim_pending_messages(self, limit: int) -> list[MessageRecord]: ...
    def claim_messages(self, message_ids: list[int]) -> list[MessageRecord]: ...
    def message_delivered(self, message_id: int, target_instance_id: int | None, at: datetime) -> None: ...
    def message_failed(self, message_id: int, error: str, final: bool) -> None: ...

    # documents
    def next_document_number(self, org_id: int, key: str) -> int: ...
    def create_document(self, doc: NewDocument) -> int: ...
    def document(self, document_id: int) -> DocumentRecord | None: ...
    def mark_delivered(self, document_id: int, org_id: int, at: datetime, instance_id: int | None) -> None: ...
    def record_response(
        self, directive_id: int, org_id: int, document_id: int | None, at: datetime
    ) -> tuple[int, int]: ...

    # incidents, notices and e-mail
    def create_incident(self, school_id: int, raised_by: int, clean: dict, at: datetime) -> int: ...
    def add_attachment(self, incident_id: int, filename: str, content_type: str, data: bytes, by: int) -> None: ...
    def incident(self, incident_id: int) -> IncidentRecord | None: ...
    def set_incident(self, incident_id: int, **fields: Any) -> None: ...
    def add_incident_update(
        self, incident_id: int, user_id: int | None, kind: str, text: str, at: datetime
    ) -> None: ...
    def users_with_role(self, org_id: int, role: str) -> list[UserRecord]: ...
    def notify(self, user_ids: list[int], title: str, body: str, url: str | None, at: datetime) -> None: ...
    def claim_pending_emails(self, now: datetime, limit: int) -> list[EmailRecord]: ...
    def email_sent(self, email_id: int, at: datetime) -> None: ...
    def email_failed(self, email_id: int, error: str, retry_at: datetime | None) -> None: ...

    # periodic reporting
    def regime(self, regime_id: int) -> RegimeRecord: ...
    def holidays(self) -> list[date]: ...
    def create_period(
        self, regime_id: int, label: str, start: date, end: date, school_due: date, office_due: date
    ) -> PeriodRecord: ...
    def period(self, period_id: int) -> PeriodRecord: ...
    def set_period(self, period_id: int, **fields: Any) -> None: ...
    def create_submission(self, period_id: int, school_id: int, due: date) -> int: ...
    def submission(self, period_id: int, school_id: int) -> SubmissionRecord | None: ...
    def submissions(self, period_id: int) -> list[SubmissionRecord]: ...
    def set_submission(self, submission_id: int, **fields: Any) -> None: ...
    def period_counts(self, period_id: int) -> tuple[int, int]: ...
    def save_compilation(self, period_id: int, org_id: int, figures: dict, fields: list) -> None: ...
    def set_compilation_document(self, period_id: int, org_id: int, document_id: int) -> None: ...
    def set_open_task_due(self, instance_id: int, bpmn_id: str, due: datetime) -> None: ...
    def incident_counts(self, school_id: int, start: datetime, end: datetime) -> dict[tuple[str, str], int]: ...

    # Circular 124
    def tt124_overrides(self) -> dict[int, tuple[bool, str]]: ...
    def set_tt124_override(
        self, school_id: int, eligible: bool | None, reason: str, by: int | None, at: datetime
    ) -> None: ...
    def create_tt124_cycle(
        self, receiver_id: int, year: int, start: date, end: date, register_due: date, submit_due: date, by: int | None
    ) -> Tt124CycleRecord: ...
    def tt124_cycle(self, cycle_id: int) -> Tt124CycleRecord: ...
    def create_tt124_participation(self, cycle_id: int, school_id: int, eligible: bool, note: str) -> int: ...
    def tt124_participation(self, cycle_id: int, school_id: int) -> Tt124ParticipationRecord | None: ...
    def tt124_running_participations(self, school_id: int, on: date) -> list[Tt124ParticipationRecord]: ...
    def set_tt124_participation(self, participation_id: int, **fields: Any) -> None: ...
    def add_tt124_evidence(
        self,
        participation_id: int,
        criterion: int,
        description: str,
        reference: str,
        on: date | None,
        by: int | None,
        at: datetime,
    ) -> int: ...
    def tt124_evidence(self, participation_id: int) -> list[Tt124EvidenceRecord]: ...
    def tt124_evidence_item(self, evidence_id: int) -> Tt124EvidenceRecord | None: ...
    def tt124_participation_by_id(self, participation_id: int) -> Tt124ParticipationRecord | None: ...
    def tt124_evidence_file_count(self, evidence_id: int) -> int: ...
    def add_tt124_file(
        self,
        participation_id: int,
        kind: str,
        filename: str,
        data: bytes,
        document_id: int | None,
        at: datetime,
        *,
        evidence_id: int | None = None,
        content_type: str | None = None,
        by: int | None = None,
    ) -> int: ...
    def disqualifying_incidents(self, school_id: int, start: datetime, end: datetime) -> list[IncidentFact]: ...

    # audit
    def audit(
        self, actor: Actor, action: str, *, instance_id: int | None = None, detail: dict | None = None, at: datetime
    ) -> None: ...


Json = dict[str, Any]
