"""The use cases. Each one works inside one Store (unit of work) and commits once at its end.

Message delivery and timer firing run after the triggering transaction has committed (outbox pattern): a
crash between the two leaves the message pending or the timer unfired, and the worker finishes the job.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException

from engine.core import parser as bpmn_parser
from engine.core.access import can_act_on_task, can_see_task, can_start
from engine.core.clock import clock
from engine.core.errors import (
    DefinitionError,
    EngineError,
    NotAllowedError,
    TaskAlreadyCompletedError,
    TaskNotFoundError,
    UnknownProcessError,
)
from engine.core.forms import form_fields, validate_form
from engine.core.orgs import org_list, resolve_scope
from engine.core.ports import (
    Actor,
    DefinitionRecord,
    DocumentRecord,
    HumanTaskRecord,
    InstanceRecord,
    NewDocument,
    NewHumanTask,
    NewMessage,
    Store,
)
from engine.core.runtime import SERIALIZER_VERSION, LiveInstance, Runtime, ServiceCall, StepResult, end_of_day
from engine.core.validation import validate_definition
from engine.core.warm import WarmInstances, new_stamp
from engine.documents import nd30
from engine.documents.distribution import default_distribution
from engine.incidents.rules import CATEGORIES, SEVERITIES, validate_incident

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5
DELIVERY_BATCH = 20  # messages per transaction; a batch holds its target instances locked until it commits
MAX_EMAIL_ATTEMPTS = 8
# What an implementing or coordinating recipient receives: the message that starts its instance.
PURPOSE_MESSAGES = {"thuc_hien": "implement_directive", "phoi_hop": "coordinate_directive"}
HEAD_TITLES = {
    "office": ("TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"),
    "department": ("GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    "school": ("HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG"),
    "steering_committee": ("TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"),
    "people_committee": ("CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
    "police": ("TRƯỞNG CÔNG AN", "PHÓ TRƯỞNG CÔNG AN"),
    "party_committee": ("BÍ THƯ", "PHÓ BÍ THƯ"),
}


class _DeliveryMemo:
    """What one delivery run reads again and again and what cannot change under it: the deployed versions
    it starts (a deploy during the run applies from the next run on) and the issued documents (never edited
    once numbered). Forgotten on rollback."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._definitions: list[DefinitionRecord] | None = None
        self._documents: dict[int, DocumentRecord | None] = {}

    def latest_definitions(self, store: Store) -> list[DefinitionRecord]:
        if self._definitions is None:
            self._definitions = store.latest_definitions()
        return self._definitions

    def document(self, store: Store, document_id: int) -> DocumentRecord | None:
        if document_id not in self._documents:
            self._documents[document_id] = store.document(document_id)
        return self._documents[document_id]


class Cascade:
    """The engine's public face: use cases over a Runtime, given a Store per call."""

    def __init__(self, runtime: Runtime | None = None, warm_instances: int = 256):
        self.runtime = runtime or Runtime()
        self.warm = WarmInstances(warm_instances)

    # ---------------------------------------------------------------------------------- definitions ----
    def deploy(
        self,
        store: Store,
        actor: Actor,
        xml: bytes,
        *,
        source: str,
        known_roles: set[str],
        only_if_changed: bool = False,
        known_messages: set[str] | None = None,
    ) -> list[DefinitionRecord]:
        """Validate a BPMN file and store each of its processes as a new version; running instances keep
        the version they started on. Raises DefinitionError naming every problem; nothing is stored then.
        With `known_messages` (names other deployed processes catch) every message thrown needs a catcher."""
        parsed = bpmn_parser.load_definition(xml, filename=source)
        problems = validate_definition(parsed, known_roles=known_roles, known_messages=known_messages)
        if problems:
            raise DefinitionError(f"{source}: {len(problems)} problem(s)", problems)
        digest = hashlib.sha256(parsed.xml).hexdigest()
        out = []
        for pid in parsed.process_ids:
            latest = store.latest_definition(pid)
            if only_if_changed and latest is not None and hashlib.sha256(latest.xml).hexdigest() == digest:
                continue
            record = store.add_definition(
                pid,
                parsed.names.get(pid) or pid,
                parsed.xml,
                digest,
                list(parsed.start_messages.get(pid, [])),
                dict(parsed.start_properties.get(pid, {})),
                actor.user_id,
                source,
            )
            store.audit(
                actor,
                "definition.deploy",
                detail={"process": pid, "version": record.version, "source": source},
                at=clock.now(),
            )
            out.append(record)
        store.commit()
        return out

    # ---------------------------------------------------------------------------------- starting work --
    def start_process(self, store: Store, actor: Actor, process_key: str, data: dict | None = None) -> int:
        """Start a process at the actor's organisation (e.g. the province issuing its own plan)."""
        definition = store.latest_definition(process_key)
        if definition is None:
            raise UnknownProcessError(process_key)
        org = store.org(home_org(store, actor))
        kinds = org_kinds(definition)
        if not manually_startable(definition) or not can_start(actor, org.kind, kinds):
            raise NotAllowedError(f"{org.short_name} cannot start {process_key}")
        message = (definition.start_messages or [None])[0]
        payload = {"directive_id": None, "sender_org_id": None, **(data or {})}
        instance_id = self.start_instance(
            store,
            definition,
            org.id,
            message,
            payload,
            started_by=actor.user_id,
            title=definition.name.split(" | ")[0],
            directive_id=None,
            sender_org_id=None,
            parent_instance_id=None,
        )
        store.audit(actor, "instance.start", instance_id=instance_id, detail={"process": process_key}, at=clock.now())
        store.commit()
        return instance_id

    def start_instance(
        self,
        store: Store,
        definition: DefinitionRecord,
        org_id: int,
        message: str | None,
        payload: dict,
        *,
        started_by: int | None,
        title: str,
        directive_id: int | None,
        sender_org_id: int | None,
        parent_instance_id: int | None,
    ) -> int:
        record = store.create_instance(
            definition,
            org_id,
            title,
            directive_id=directive_id,
            sender_org_id=sender_org_id,
            parent_instance_id=parent_instance_id,
            started_by=started_by,
            serializer_version=SERIALIZER_VERSION,
        )
        live = self.runtime.new(definition)
        if message:
            self.runtime.start_with_message(live, message, payload)
        else:
            live.workflow.get_tasks()[0].data.update(payload)
        self.advance_and_save(store, record, live)
        return record.id

    # ---------------------------------------------------------------------------------- human tasks ----
    def task_for(self, store: Store, actor: Actor, task_id: int) -> tuple[HumanTaskRecord, InstanceRecord]:
        """The task if the actor may see it; otherwise TaskNotFoundError (never reveal it exists)."""
        task = store.human_task(task_id)
        if task is None:
            raise TaskNotFoundError(task_id)
        instance = store.instance(task.instance_id)
        if not can_see_task(actor, task, instance):
            raise TaskNotFoundError(task_id)
        return task, instance

    def _lock_task(self, store: Store, actor: Actor, task_id: int) -> tuple[HumanTaskRecord, InstanceRecord]:
        """Lock the task's instance (serialising everyone acting on it), then read the task as it is now;
        TaskNotFoundError if the actor may not see it (the caller rolls back, which releases the lock)."""
        locked = store.lock_task(task_id)
        if locked is None:
            raise TaskNotFoundError(task_id)
        instance, task = locked
        if not can_see_task(actor, task, instance):
            raise TaskNotFoundError(task_id)
        return task, instance

    def form_for(self, store: Store, actor: Actor, task_id: int) -> tuple[list, dict]:
        """The task's form fields and the current values (from the task's data) to prefill it."""
        task, instance = self.task_for(store, actor, task_id)
        live = self.load_instance(store, instance)
        spiff_task = live.task(task.guid)
        fields = form_fields(spiff_task.task_spec)
        values = {f.id: spiff_task.data[f.id] for f in fields if f.id in spiff_task.data}
        for f in fields:
            if f.type == "recipients" and f.id not in values:
                values[f.id] = [
                    {"org_id": o, "purpose": p}
                    for o, p in default_distribution(store.org(instance.org_id), store.orgs())
                ]
        return fields, dict(values, **{"__data__": dict(spiff_task.data)})

    def complete_task(self, store: Store, actor: Actor, task_id: int, submitted: dict[str, Any]) -> int:
        """Validate and store the form, complete the task and run the instance to its next wait state."""
        task, instance = self._lock_task(store, actor, task_id)
        if task.status != "open":
            raise TaskAlreadyCompletedError(task_id)
        if not can_act_on_task(actor, task):
            raise NotAllowedError("not your task")
        live = self.load_instance(store, instance, locked=True)
        spiff_task = live.task(task.guid)
        if spiff_task is None or not spiff_task.state == 16:  # READY
            raise TaskAlreadyCompletedError(task_id)
        clean = validate_form(
            form_fields(spiff_task.task_spec), submitted, context={"valid_org_ids": org_list(store.orgs()).by_id}
        )
        spiff_task.set_data(**clean)
        spiff_task.run()
        now = clock.now()
        store.close_human_task(task.id, "completed", actor.user_id, now)
        store.audit(
            actor,
            "task.complete",
            instance_id=instance.id,
            detail={"task": task.bpmn_id, "name": task.name, "data": _audit_data(clean)},
            at=now,
        )
        self.advance_and_save(store, instance, live)
        store.commit()
        return instance.id

    def claim(self, store: Store, actor: Actor, task_id: int) -> None:
        task, instance = self._lock_task(store, actor, task_id)
        if task.status != "open":
            raise TaskAlreadyCompletedError(task_id)
        if not can_act_on_task(actor, task):
            raise NotAllowedError("claimed by someone else" if task.assignee_id else "not your task")
        store.set_assignee(task_id, actor.user_id)
        store.audit(actor, "task.claim", instance_id=instance.id, detail={"task": task.bpmn_id}, at=clock.now())
        store.commit()

    def unclaim(self, store: Store, actor: Actor, task_id: int) -> None:
        task, instance = self._lock_task(store, actor, task_id)
        if task.status != "open":
            raise TaskAlreadyCompletedError(task_id)
        if task.assignee_id != actor.user_id:
            raise NotAllowedError("only the person who claimed a task can release it")
        store.set_assignee(task_id, None)
        store.audit(actor, "task.unclaim", instance_id=instance.id, detail={"task": task.bpmn_id}, at=clock.now())
        store.commit()

    # ---------------------------------------------------------------------------------- incidents ------
    def raise_incident(self, store: Store, actor: Actor, data: dict, attachments=()) -> int:
        """Save an incident the moment a school raises it; its path starts from the outbox right after."""
        org = store.org(actor.org_id) if actor.org_id else None
        if org is None or org.kind != "school":
            raise NotAllowedError("only people at a school raise incidents")
        now = clock.now()
        clean = validate_incident(data, now)
        incident_id = store.create_incident(org.id, actor.user_id, clean, now)
        for filename, content_type, content in attachments:
            store.add_attachment(incident_id, filename, content_type, content, actor.user_id)
        store.add_incident_update(incident_id, actor.user_id, "raised", clean["description"][:500], now)
        store.add_message(
            NewMessage(
                name="incident_raised",
                source_instance_id=None,
                target_org_id=org.id,
                payload={
                    "incident_id": incident_id,
                    "category": clean["category"],
                    "severity": clean["severity"],
                    "by_principal": "principal" in actor.roles,
                    "directive_id": None,
                    "sender_org_id": None,
                },
            )
        )
        store.audit(
            actor,
            "incident.raise",
            detail={"incident_id": incident_id, "category": clean["category"], "severity": clean["severity"]},
            at=now,
        )
        store.commit()
        return incident_id

    def open_period(self, store: Store, actor: Actor, regime_id: int, year: int, index: int = 1) -> int:
        from engine.reporting.services import open_period

        return open_period(self, store, actor, regime_id, year, index)

    def request_extension(self, store: Store, actor: Actor, period_id: int, until, reason: str) -> None:
        from engine.reporting.services import request_extension

        request_extension(self, store, actor, period_id, until, reason)

    def open_tt124_cycle(self, store: Store, actor: Actor, receiver_id: int, year: int) -> int:
        from engine.tt124.services import open_cycle

        return open_cycle(self, store, actor, receiver_id, year)

    def set_tt124_eligibility(self, store: Store, actor: Actor, school_id: int, eligible: bool | None, reason: str):
        from engine.tt124.services import set_eligibility

        set_eligibility(store, actor, school_id, eligible, reason)

    def attach_tt124_evidence_files(self, store: Store, actor: Actor, evidence_id: int, files) -> list[int]:
        from engine.tt124.services import attach_evidence_files

        return attach_evidence_files(store, actor, evidence_id, files)

    def deliver_emails(self, store: Store, send, limit: int = 100) -> int:
        """Send queued e-mail with `send(to, subject, body)`; failures retry with back-off (1, 2, 4… min)."""
        sent = 0
        for email in store.claim_pending_emails(clock.now(), limit):
            try:
                send(email.to_addr, email.subject, email.body)
            except Exception as exc:  # the mail server's problem: keep the message and retry later
                retry = (
                    None
                    if email.attempts + 1 >= MAX_EMAIL_ATTEMPTS
                    else clock.now() + timedelta(minutes=2**email.attempts)
                )
                store.email_failed(email.id, f"{type(exc).__name__}: {exc}", retry)
            else:
                store.email_sent(email.id, clock.now())
                sent += 1
        store.commit()
        return sent

    # ---------------------------------------------------------------------------------- messages -------
    def deliver_messages(self, store: Store, limit: int = 500) -> int:
        """Route pending outbox messages. Returns how many were delivered.

        Messages go in batches of DELIVERY_BATCH, one transaction per batch (a fan-out to 65 recipients
        commits 4 times, not 65). If anything in a batch fails, the batch is rolled back whole and its
        messages are tried again one per transaction: the failing one is recorded, the others still go."""
        delivered = 0
        memo = _DeliveryMemo()
        while delivered < limit:
            size, written = min(DELIVERY_BATCH, limit - delivered), store.outbox_writes
            batch = store.claim_pending_messages(size)
            if not batch:
                break
            if len(batch) > 1:
                try:
                    for message in batch:
                        store.message_delivered(message.id, self._route(store, message, memo), clock.now())
                except Exception:
                    store.rollback()
                    memo.clear()
                else:
                    store.commit()
                    delivered += len(batch)
                    if len(batch) < size and store.outbox_writes == written:
                        break  # the outbox held no more, and delivering wrote nothing new to it
                    continue
            retry_later = False
            for message in batch:
                claimed = [message] if len(batch) == 1 else store.claim_messages([message.id])
                outcome = self._deliver_alone(store, claimed[0], memo) if claimed else None
                delivered += outcome is True
                retry_later |= outcome is False
            if retry_later:
                break  # retried by the worker later, after other work may have made it deliverable
            if len(batch) < size and store.outbox_writes == written:
                break
        return delivered

    def _deliver_alone(self, store: Store, message, memo: _DeliveryMemo) -> bool | None:
        """One claimed message in its own transaction: True when delivered, False when it failed and will be
        retried, None when it failed for the last time."""
        try:
            store.message_delivered(message.id, self._route(store, message, memo), clock.now())
        except Exception as exc:  # the message stays in the outbox, with the reason, for the worker
            store.rollback()
            memo.clear()
            final = message.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
            store.message_failed(message.id, f"{type(exc).__name__}: {exc}", final)
            store.commit()
            log.warning("message %s (%s) not delivered: %s", message.id, message.name, exc)
            return None if final else False
        store.commit()
        return True

    def _route(self, store: Store, message, memo: _DeliveryMemo) -> int | None:
        payload = dict(message.payload)
        if payload.get("to_instance"):
            return self._deliver_to_instance(store, message, payload)
        if message.target_org_id is not None:
            return self._deliver_to_org(store, message, payload, memo)
        if message.directive_id is None:
            raise EngineError("message has neither a target organisation nor a directive")
        directive = memo.document(store, message.directive_id)
        if directive is None or directive.issuing_instance_id is None:
            raise EngineError(f"directive {message.directive_id} has no issuing instance")
        source = store.instance(message.source_instance_id) if message.source_instance_id else None
        if source is not None:
            filed, expected = store.record_response(
                directive.id, source.org_id, payload.get("document_id"), clock.now()
            )
            payload.update(org_id=source.org_id, filed_count=filed, expected_count=expected)
        target = store.lock_instance(directive.issuing_instance_id)
        if target.status != "running":
            return target.id  # the issuer has closed its follow-up: the response is recorded on the directive
        live = self.load_instance(store, target, locked=True)
        try:
            self.runtime.send(live, message.name, payload)
        except WorkflowException:
            return target.id  # not waiting for it (e.g. follow-up not modelled): recorded, nothing to wake
        self.advance_and_save(store, target, live)
        return target.id

    def _deliver_to_instance(self, store: Store, message, payload: dict) -> int:
        """A message addressed to one instance (e.g. a school's report to the compiling office); for a
        reporting period the router adds how many reports are in, counted under the target's lock."""
        target = store.lock_instance(int(payload["to_instance"]))
        if payload.get("period_id"):
            filed, expected = store.period_counts(int(payload["period_id"]))
            payload.update(filed_count=filed, expected_count=expected)
        if target.status != "running":
            return target.id  # the office compiled already (deadline passed): the report is on record
        live = self.load_instance(store, target, locked=True)
        try:
            self.runtime.send(live, message.name, payload)
        except WorkflowException:
            return target.id
        self.advance_and_save(store, target, live)
        return target.id

    def _deliver_to_org(self, store: Store, message, payload: dict, memo: _DeliveryMemo) -> int:
        org = store.org(message.target_org_id)
        existing = store.find_instance(org.id, message.directive_id) if message.directive_id else None
        if existing is not None:
            target = store.lock_instance(existing)
            live = self.load_instance(store, target, locked=True)
            self.runtime.send(live, message.name, payload)
            self.advance_and_save(store, target, live)
            return target.id
        definition = self._definition_for_start(memo.latest_definitions(store), message.name, org.kind)
        directive = memo.document(store, message.directive_id) if message.directive_id else None
        title = definition.name.split(" | ")[0]
        if directive is not None and directive.symbol:
            title = f"{title} — {directive.symbol}"
        instance_id = self.start_instance(
            store,
            definition,
            org.id,
            message.name,
            payload,
            started_by=None,
            title=title,
            directive_id=message.directive_id,
            sender_org_id=payload.get("sender_org_id"),
            parent_instance_id=message.source_instance_id,
        )
        if message.directive_id:
            store.mark_delivered(message.directive_id, org.id, clock.now(), instance_id)
        return instance_id

    def _definition_for_start(
        self, definitions: list[DefinitionRecord], message_name: str, org_kind: str
    ) -> DefinitionRecord:
        for definition in definitions:
            if message_name in definition.start_messages:
                kinds = org_kinds(definition)
                if kinds is None or org_kind in kinds:
                    return definition
        raise EngineError(f"no process starts on '{message_name}' for a {org_kind}")

    # ---------------------------------------------------------------------------------- timers ---------
    def fire_due_timers(self, store: Store, limit: int = 100) -> int:
        """Fire every timer due now; each instance in its own transaction. Returns instances advanced."""
        fired = 0
        for instance_id in store.due_timer_instances(clock.now(), limit):
            instance = store.lock_instance(instance_id)
            if instance.status != "running":
                store.sync_timers(instance_id, {})
                store.commit()
                continue
            live = self.load_instance(store, instance, locked=True)
            self.runtime.refresh_timers(live)
            self.advance_and_save(store, instance, live)
            store.audit(Actor.system(), "timer.fire", instance_id=instance_id, at=clock.now())
            store.commit()
            fired += 1
        return fired

    # ---------------------------------------------------------------------------------- internals ------
    def load_instance(self, store: Store, instance: InstanceRecord, *, locked: bool = False) -> LiveInstance:
        """The instance's workflow. Under its lock, the one this process saved last if that is still the
        stored state (engine.core.warm); otherwise rebuilt from the stored rows."""
        if locked:
            live = self.warm.take(instance.id, instance.state_stamp, instance.definition_id)
            if live is not None:
                return live
        return self.runtime.load(store.definition(instance.definition_id), store.load_state(instance.id))

    def advance_and_save(self, store: Store, instance: InstanceRecord, live: LiveInstance) -> StepResult:
        result = self.runtime.advance(live, lambda call: self._service(store, instance, call))
        changes = self.runtime.codec.changes(live.workflow, live.snapshot)
        stamp, summary = instance.state_stamp, {"current": result.current_steps}
        if stamp is None or not changes.unchanged:
            stamp = new_stamp()
            store.save_state(instance.id, changes, stamp, summary)
        else:
            store.set_instance_summary(instance.id, summary)
        self._sync_inbox(store, instance, result)
        if result.timers != live.timers:  # timer rows mirror the waiting timers as of the last save
            store.sync_timers(instance.id, result.timers)
        store.add_messages(
            [
                NewMessage(
                    name=name,
                    payload=payload,
                    source_instance_id=instance.id,
                    target_org_id=payload.get("to_org_id"),
                    directive_id=payload.get("directive_id"),
                )
                for name, payload in result.messages
            ]
        )
        if result.completed:
            store.finish_instance(instance.id, "completed", clock.now())
        else:
            live.timers = result.timers  # as stored now
            store.after_commit(lambda: self.warm.put(instance.id, stamp, live))
        return result

    def _sync_inbox(self, store: Store, instance: InstanceRecord, result: StepResult) -> None:
        now = clock.now()
        open_rows = {t.guid: t for t in store.open_human_tasks(instance.id)}
        ready_guids = {t.guid for t in result.ready}
        for guid, row in open_rows.items():
            if guid not in ready_guids:  # interrupted, terminated or migrated away
                store.close_human_task(row.id, "cancelled", None, now)
        for ready in result.ready:
            if ready.guid in open_rows:
                continue
            candidates = self.candidates(store, instance, ready.groups)
            store.add_human_task(
                instance.id,
                NewHumanTask(
                    guid=ready.guid,
                    bpmn_id=ready.bpmn_id,
                    name=ready.name,
                    org_id=candidates[0][0] if candidates else instance.org_id,
                    candidates=candidates,
                    candidate_users=store.user_ids_by_username(ready.users),
                    due_at=self.runtime.due_at(ready.due_expression, ready.data, now),
                    document_id=instance.directive_id,
                ),
                now,
            )

    def candidates(self, store: Store, instance: InstanceRecord, groups: list[str]) -> list[tuple[int, str]]:
        """`role@scope` → (organisation, role) pairs; a scope that names no organisation is dropped."""
        out = []
        org = store.org(instance.org_id)
        for group in groups:
            role, _, scope = group.partition("@")
            org_id = resolve_scope(scope.strip(), org, store.orgs(), instance.sender_org_id)
            if org_id is not None:
                out.append((org_id, role.strip()))
        return out

    # ---------------------------------------------------------------------------------- services -------
    def _service(self, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
        handler = SERVICE_HANDLERS.get(call.service)
        if handler is None:
            raise EngineError(f"unknown service '{call.service}' in task {call.bpmn_id}")
        return handler(self, store, instance, call)


def issue_document(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Number the approved draft in the issuer's register (NĐ 30), store it with its recipients and
    dispatch it: implementing and coordinating recipients get a message that starts their own instance;
    the others get a copy."""
    data = call.data
    issuer = store.org(instance.org_id)
    today = clock.today()
    doc_type = data.get("loai_van_ban") or call.properties.get("docType") or "KH"
    key = nd30.counter_key(
        issuer.counter_scope or "year_shared",
        year=today.year,
        doc_type=doc_type,
        term=call.properties.get("term") or nd30.party_term(today.year),
    )
    number = store.next_document_number(issuer.id, key)
    grammar = "party" if issuer.grammar == "party" else "state"
    symbol = nd30.render_symbol(grammar, number, doc_type, issuer.symbol or issuer.short_name)
    signer_id = store.last_completion(instance.id, call.properties.get("signerTask", ""))
    signer = store.user(signer_id) if signer_id else None
    head, deputy = HEAD_TITLES.get(issuer.kind, ("THỦ TRƯỞNG", "CẤP PHÓ"))
    mode, authority = "direct", head
    if signer is not None and "deputy" in signer.roles:
        mode = "TM" if issuer.kind == "steering_committee" else "KT"
        authority = "BAN CHỈ ĐẠO" if mode == "TM" else head
    recipients = _recipients(store, instance, data, call.properties)
    response_due = None
    if data.get("han_nop"):
        response_due = nd30.parse_date(str(data["han_nop"]))
    relations = [("implements", instance.directive_id)] if instance.directive_id else []
    document_id = store.create_document(
        NewDocument(
            issuer_id=issuer.id,
            doc_type=doc_type,
            number=number,
            year=today.year,
            symbol=symbol,
            grammar=grammar,
            summary=str(data.get("trich_yeu", "")),
            body=str(data.get("noi_dung", "")),
            place=issuer.place,
            issued_on=today,
            signer_name=signer.full_name if signer else None,
            signer_title=(signer.title or deputy).upper() if signer else None,
            authority_title=authority,
            signing_mode=mode,
            drafting_unit=call.properties.get("draftingUnit"),
            response_due=response_due,
            issuing_instance_id=instance.id,
            recipients=recipients,
            relations=relations,
        )
    )
    now = clock.now()
    expected = 0
    outbox = []
    for org_id, purpose in recipients:
        message = PURPOSE_MESSAGES.get(purpose)
        if message is None or org_id == issuer.id:
            store.mark_delivered(document_id, org_id, now, None)  # a copy: it is in their incoming register
            continue
        expected += purpose == "thuc_hien"
        outbox.append(
            NewMessage(
                name=message,
                source_instance_id=instance.id,
                target_org_id=org_id,
                directive_id=document_id,
                payload={
                    "directive_id": document_id,
                    "directive_symbol": symbol,
                    "directive_summary": str(data.get("trich_yeu", "")),
                    "sender_org_id": issuer.id,
                    "purpose": purpose,
                    "response_due": response_due.isoformat() if response_due else None,
                },
            )
        )
    store.add_messages(outbox)
    store.audit(
        Actor.system(),
        "document.issue",
        instance_id=instance.id,
        detail={"document_id": document_id, "symbol": symbol, "recipients": len(recipients)},
        at=now,
    )
    deadline = end_of_day(response_due) if response_due else None
    return {
        "document_id": document_id,
        "so_ky_hieu": symbol,
        "expected_count": expected,
        "plan_filed": {"filed_count": 0, "expected_count": expected},
        "follow_up_deadline": deadline.isoformat() if deadline else "9999-12-31T00:00:00+00:00",
    }


def _recipients(store: Store, instance: InstanceRecord, data: dict, properties: dict) -> list[tuple[int, str]]:
    """The draft's recipient list, or the diagram's rule (`sender:bao_cao`) for fixed distributions."""
    chosen = data.get("noi_nhan")
    if chosen:
        return [(int(r["org_id"]), str(r["purpose"])) for r in chosen]
    out = []
    for rule in filter(None, (properties.get("recipients") or "").split(",")):
        who, _, purpose = rule.strip().partition(":")
        org_id = instance.sender_org_id if who == "sender" else instance.org_id
        if org_id is not None:
            out.append((org_id, purpose or "bao_cao"))
    return out


def _incident_id(call: ServiceCall) -> int:
    started = call.data.get("incident_raised") or {}
    if not started.get("incident_id"):
        raise EngineError(f"{call.bpmn_id}: the instance carries no incident")
    return int(started["incident_id"])


def notify(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Tell people (in-app and e-mail) about the incident: `targets` lists `role@scope`, e.g.
    `specialist@parent,police@ward_police`. Police units told become involved (they may then open it)."""
    incident_id = _incident_id(call)
    incident = store.incident(incident_id)
    school = store.org(incident.school_id)
    now = clock.now()
    pairs = engine.candidates(store, instance, [t for t in (call.properties.get("targets") or "").split(",") if t])
    users = [u.id for org_id, role in pairs for u in store.users_with_role(org_id, role)]
    category = CATEGORIES.get(incident.category, (incident.category,))[0]
    severity = SEVERITIES.get(incident.severity, (incident.severity,))[0]
    title = (call.properties.get("title") or "Sự việc tại {school}: {category}").format(
        school=school.name, category=category, severity=severity
    )
    body = f"{school.name} — {category} — mức độ: {severity}. {call.properties.get('note', '')}".strip()
    store.notify(users, title, body, f"/incidents/{incident_id}", now)
    involved = set(incident.involved_org_ids) | {
        o for o, _ in pairs if store.org(o).kind in ("police", "ward_police", "office")
    }
    store.set_incident(incident_id, involved_org_ids=sorted(involved))
    names = ", ".join(sorted({store.org(o).short_name for o, _ in pairs}))
    store.add_incident_update(incident_id, None, call.properties.get("kind", "notified"), f"Đã thông báo: {names}", now)
    return {}


def incident_status(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """Record the incident's state from the diagram: `status` = open | acknowledged | closed | false_alarm."""
    incident_id = _incident_id(call)
    status = call.properties.get("status", "open")
    now = clock.now()
    fields: dict[str, Any] = {"instance_id": instance.id}
    if status in ("acknowledged", "closed", "false_alarm"):  # "open", "report", "update" only add to the thread
        fields["status"] = status
    if status == "acknowledged":
        fields["acknowledged_at"] = now
    if status in ("closed", "false_alarm"):
        fields["closed_at"] = now
        fields["outcome"] = str(call.data.get("ket_qua") or call.data.get("ly_do") or "")
    store.set_incident(incident_id, **fields)
    text = call.properties.get("note") or str(call.data.get(call.properties.get("textField", ""), "") or "")
    store.add_incident_update(incident_id, None, status, text, now)
    return {}


SERVICE_HANDLERS = {"issue_document": issue_document, "notify": notify, "incident_status": incident_status}


def _register_reporting() -> None:
    from engine.reporting.services import HANDLERS

    SERVICE_HANDLERS.update(HANDLERS)


_register_reporting()


def _register_tt124() -> None:
    from engine.tt124.services import HANDLERS

    SERVICE_HANDLERS.update(HANDLERS)


_register_tt124()


def home_org(store: Store, actor: Actor) -> int:
    """A section's people act for their office (CTTT drafts for Phòng GDĐT)."""
    org = store.org(actor.org_id)
    return org.parent_id if org.kind == "section" and org.parent_id else org.id


def manually_startable(definition: DefinitionRecord) -> bool:
    """A process whose start event says `manualStart=false` only starts when a directive reaches it."""
    return str((definition.start_properties or {}).get("manualStart", "true")).lower() != "false"


def org_kinds(definition: DefinitionRecord) -> set[str] | None:
    """The organisation kinds a process serves, from the `orgKinds` property of its start event."""
    props = definition.start_properties or {}
    kinds = props.get("orgKinds")
    if kinds is None:
        kinds = next((v.get("orgKinds") for v in props.values() if isinstance(v, dict) and v.get("orgKinds")), None)
    return {k.strip() for k in kinds.split(",")} if kinds else None


def _audit_data(clean: dict) -> dict:
    """Form values for the audit trail: long texts are summarised by length and hash."""
    out = {}
    for key, value in clean.items():
        if isinstance(value, str) and len(value) > 200:
            out[key] = {"length": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()[:16]}
        else:
            out[key] = value
    return out


__all__ = ["Cascade", "issue_document", "SERVICE_HANDLERS"]
