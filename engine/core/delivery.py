"""The work that runs after a request has committed (outbox pattern): outbox messages, due timers, e-mail.

A crash between a request's commit and this work leaves the message pending or the timer unfired, and
`flask worker` finishes the job. Inline delivery after a request and any number of workers may run at once:
each piece of work is claimed (see the store's claim methods), so it is done once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from SpiffWorkflow.exceptions import WorkflowException

from engine.core.clock import clock
from engine.core.errors import EngineError
from engine.core.failures import step_failure
from engine.core.ports import Actor, DefinitionRecord, MessageRecord, Store
from engine.core.registry import DeliveryMemo
from engine.core.timer_starts import Schedules, TimerStart

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5
DELIVERY_BATCH = 20  # messages per transaction; a batch holds its target instances locked until it commits
MAX_EMAIL_ATTEMPTS = 8
MAX_TIMER_ATTEMPTS = 4  # a failing timer is retried after 1, 2 and 4 minutes, then parked
TIMER_BACKOFF = timedelta(minutes=1)
TIMER_BATCH = 20  # due timer instances fired per transaction when several are due
TIMER_BATCH_TIME = 0.05  # s: a batch commits once it has run this long (the latest a firing waits for its commit)


class Delivery:
    """Mixed into `Cascade`: it uses the engine's runtime, registry and step (`load_instance`, `advance_and_save`,
    `start_instance`)."""

    # ---------------------------------------------------------------------------------- messages -------
    def deliver_messages(self, store: Store, limit: int = 500) -> int:
        """Route pending outbox messages. Returns how many were delivered.

        Messages go in batches of DELIVERY_BATCH, one transaction per batch (a fan-out to 65 recipients
        commits 4 times, not 65). If anything in a batch fails, the batch is rolled back whole and its
        messages are tried again one per transaction: the failing one is recorded, the others still go."""
        delivered = 0
        memo = DeliveryMemo()
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

    def _deliver_alone(self, store: Store, message: MessageRecord, memo: DeliveryMemo) -> bool | None:
        """One claimed message in its own transaction: True when delivered, False when it failed and will be
        retried, None when it failed for the last time."""
        try:
            store.message_delivered(message.id, self._route(store, message, memo), clock.now())
        except Exception as exc:  # the message stays in the outbox, with the reason, for the worker
            store.rollback()
            memo.clear()
            final = message.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
            store.message_failed(message.id, f"{type(exc).__name__}: {exc}", final)
            if final:  # parked: an administrator sees it, fixes the cause and retries
                failure = step_failure(exc)
                detail = f"{message.name} (#{message.id}): {failure.reason}"
                store.record_failure(
                    "message",
                    message.source_instance_id,
                    failure.element_id,
                    failure.element_name,
                    detail,
                    message.attempts + 1,
                    clock.now(),
                    message_id=message.id,
                )
            store.commit()
            log.warning("message %s (%s) not delivered: %s", message.id, message.name, exc)
            return None if final else False
        store.commit()
        return True

    def _route(self, store: Store, message: MessageRecord, memo: DeliveryMemo) -> int | None:
        """To the instance the payload names, else to the target organisation (its instance for the directive,
        or a new one), else to the instance a feature knows (e.g. the issuer of the directive answered)."""
        payload = dict(message.payload)
        if message.source_instance_id is not None:  # so a reply can go back: {"to_instance": msg["from_instance"]}
            payload.setdefault("from_instance", message.source_instance_id)
        if payload.get("to_instance"):
            return self._deliver_to_instance(store, message, int(payload["to_instance"]), payload, memo)
        if message.target_org_id is not None:
            return self._deliver_to_org(store, message, payload, memo)
        target_id = self.registry.message_target(store, message, memo)
        if target_id is None:
            raise EngineError(f"message '{message.name}' has no target organisation, instance or directive issuer")
        return self._deliver_to_instance(store, message, target_id, payload, memo)

    def _deliver_to_instance(
        self, store: Store, message: MessageRecord, target_id: int, payload: dict, memo: DeliveryMemo
    ) -> int:
        """Under the target's lock, features add what they count (e.g. reports in, responses filed); a target
        that has finished, or is not waiting for the message, keeps it on record only."""
        target = store.lock_instance(target_id)
        self.registry.before_delivery(store, message, payload, memo)
        if target.status != "running":
            return target.id
        live = self.load_instance(store, target, locked=True)
        try:
            self.runtime.send(live, message.name, payload)
        except WorkflowException:
            return target.id
        self.advance_and_save(store, target, live)
        return target.id

    def _deliver_to_org(self, store: Store, message: MessageRecord, payload: dict, memo: DeliveryMemo) -> int | None:
        org = store.org(message.target_org_id)
        existing = store.find_instance(org.id, message.directive_id) if message.directive_id else None
        if existing is not None:
            target = store.lock_instance(existing)
            live = self.load_instance(store, target, locked=True)
            self.runtime.send(live, message.name, payload)
            self.advance_and_save(store, target, live)
            return target.id
        if org.closed:  # a closed organisation starts nothing new: the message is kept on record only
            detail = {"message_id": message.id, "name": message.name, "org_id": org.id}
            store.audit(Actor.system(), "message.closed_org", detail=detail, at=clock.now())
            return None
        definitions = memo.get("definitions", store.latest_definitions)
        definition = _definition_for_start(definitions, message.name, org.kind)
        subject = self.registry.subject(message)
        if subject is not None:
            duplicate = store.instance_by_subject(definition.process_key, org.id, subject)
            if duplicate is not None:  # delivered twice: the instance exists, the message is dropped
                detail = {"message_id": message.id, "name": message.name, "subject": subject}
                store.audit(Actor.system(), "message.duplicate", instance_id=duplicate, detail=detail, at=clock.now())
                return duplicate
        title = self.registry.instance_title(store, message, definition.name.split(" | ")[0], memo)
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
            subject=subject,
        )
        self.registry.after_start(store, message, instance_id)
        return instance_id

    # ---------------------------------------------------------------------------------- timers ---------
    def fire_due_timers(self, store: Store, limit: int = 100) -> int:
        """Start the processes whose timer start event is due, then fire the timers due now, earliest first.
        Returns instances started or advanced.

        When several are due (a backlog), their instances fire in batches of up to TIMER_BATCH per transaction
        (one commit, not one each), a batch committing once it has run TIMER_BATCH_TIME; a batch that fails is
        rolled back whole and its instances fired again one per transaction, so a bad timer is counted alone."""
        fired, left = self.start_due_processes(store), limit
        while left > 0:
            size = min(TIMER_BATCH, left)
            claimed = store.due_timer_instances(clock.now(), size)
            if not claimed:
                store.commit()  # ends the claim's read transaction
                break
            if len(claimed) == 1:
                count, tried = self._fire_alone(store, claimed[0]), 1
            else:
                count, tried = self._fire_batch(store, claimed)
            fired, left = fired + count, left - tried
            if len(claimed) < size and tried == len(claimed):
                break  # nothing more was due
        return fired

    def _fire_batch(self, store: Store, claimed: list[int]) -> tuple[int, int]:
        """Fire claimed instances in one transaction until TIMER_BATCH_TIME has passed: (advanced, tried). The
        instances are locked in id order, so two workers' batches never wait on each other in a cycle."""
        started, fired, tried = time.monotonic(), 0, 0
        try:
            for instance_id in sorted(claimed):
                fired += self._fire(store, instance_id)
                tried += 1
                if time.monotonic() - started >= TIMER_BATCH_TIME:
                    break
            store.commit()
            return fired, tried
        except Exception:  # noqa: BLE001 - each again alone: the failing one is recorded, the others fire
            store.rollback()
        return sum(self._fire_alone(store, instance_id) for instance_id in claimed), len(claimed)

    def _fire_alone(self, store: Store, instance_id: int) -> int:
        try:
            fired = self._fire(store, instance_id)
            store.commit()
            return fired
        except Exception as exc:  # one bad timer never stalls the others: retried with back-off, then parked
            store.rollback()
            self._timer_failed(store, instance_id, exc)
            return 0

    def start_due_processes(self, store: Store) -> int:
        """Start each deployed process whose timer start event is due, at every organisation of the event's
        `orgKinds`, once per due time (business key `timer:<event id>:<due>`; with several workers the database
        keeps one). Each round reads the latest versions' ids (no XML) and compares due times; schedules are
        parsed once per version (engine.core.timer_starts). Returns how many instances were started."""
        schedules: Schedules = self.timer_schedules  # type: ignore[attr-defined]
        now, started = clock.now(), 0
        for definition_id, sha256, deployed_at in store.latest_definition_heads():
            for timer in schedules.of(definition_id, sha256, store.definition):
                due = timer.latest_due(now)
                key = (definition_id, timer.event_id)
                if due is None or due < deployed_at or schedules.handled.get(key) == due:
                    continue  # not yet; due before this version was deployed (no start for the past); done
                failed_due, attempts, retry_at = schedules.failing.get(key, (due, 0, now))
                if failed_due == due and retry_at > now:
                    continue  # failed: retried after 1, 2, 4… minutes (at most an hour)
                definition = store.definition(definition_id)
                count, error = self._start_on_timer(store, definition, timer, due)
                started += count
                if error is None:
                    schedules.handled[key] = due
                    schedules.failing.pop(key, None)
                    continue
                attempts = attempts + 1 if failed_due == due else 1
                schedules.failing[key] = (due, attempts, now + TIMER_BACKOFF * min(2 ** (attempts - 1), 60))
                if attempts >= MAX_TIMER_ATTEMPTS:  # an administrator sees it on the operations failures page
                    store.record_failure(
                        "timer", None, timer.event_id, None, error, attempts, now, process_key=definition.process_key
                    )
                    store.commit()
        store.commit()  # ends the read transaction
        return started

    def _start_on_timer(
        self, store: Store, definition: DefinitionRecord, timer: TimerStart, due: datetime
    ) -> tuple[int, str | None]:
        """One instance per organisation of the timer's kinds, each in its own transaction: (how many started,
        the reason a start failed or None)."""
        subject, started, error = f"timer:{timer.event_id}:{due.isoformat()}", 0, None
        for org in [o for o in store.orgs() if o.kind in timer.org_kinds and not o.closed]:
            if store.instance_by_subject(definition.process_key, org.id, subject) is not None:
                continue  # started by another worker, or before a restart
            try:
                instance_id = self.start_instance(
                    store,
                    definition,
                    org.id,
                    None,
                    {"directive_id": None, "sender_org_id": None, "timer_due": due.isoformat()},
                    started_by=None,
                    title=definition.name.split(" | ")[0],
                    directive_id=None,
                    sender_org_id=None,
                    parent_instance_id=None,
                    subject=subject,
                    timer_start=timer.event_id,
                )
                detail = {"process": definition.process_key, "version": definition.version, "subject": subject}
                at = clock.now()
                store.audit(Actor.system(), "instance.timer_start", instance_id=instance_id, detail=detail, at=at)
                store.commit()
                started += 1
            except Exception as exc:  # another worker's start won the business key, or the start failed
                store.rollback()
                if store.instance_by_subject(definition.process_key, org.id, subject) is None:
                    error = str(step_failure(exc, definition.process_key))
                    log.warning("timer start %s at org %s failed: %s", subject, org.id, error)
                store.commit()
        return started, error

    def _fire(self, store: Store, instance_id: int) -> int:
        """Fire the instance's due timers in the current transaction (the caller commits): 1 if it advanced."""
        instance = store.lock_instance(instance_id)
        due = store.due_timers(instance_id, clock.now())  # under the lock: what no other process fired
        if not due or instance.status != "running":
            if due:
                store.sync_timers(instance_id, {})
            return 0
        live = self.load_instance(store, instance, locked=True)
        self.runtime.refresh_timers(live)
        self.advance_and_save(store, instance, live)
        timers = [[guid, at.isoformat()] for guid, at in due]
        store.audit(Actor.system(), "timer.fire", instance_id=instance_id, detail={"timers": timers}, at=clock.now())
        return 1

    def _timer_failed(self, store: Store, instance_id: int, exc: Exception) -> None:
        """Count the failure on the instance's due timers; past MAX_TIMER_ATTEMPTS they are parked (no worker
        retries them until an administrator does) and an operations failure is opened."""
        instance = store.instance(instance_id)
        failure = step_failure(exc, instance.process_key)
        now = clock.now()
        attempts = store.timer_failed(instance_id, now, str(failure), MAX_TIMER_ATTEMPTS, TIMER_BACKOFF)
        if attempts >= MAX_TIMER_ATTEMPTS:
            store.record_failure(
                "timer", instance_id, failure.element_id, failure.element_name, failure.reason, attempts, now
            )
        store.commit()
        log.warning("timer of instance %s failed (attempt %s): %s", instance_id, attempts, failure)

    # ---------------------------------------------------------------------------------- e-mail ---------
    def deliver_emails(self, store: Store, send, limit: int = 100) -> int:
        """Send queued e-mail with `send(to, subject, body)`; failures retry with back-off (1, 2, 4… min). The
        claim is committed before sending (a lease: no other process sends them meanwhile)."""
        sent = 0
        claimed = store.claim_pending_emails(clock.now(), limit)
        store.commit()
        for email in claimed:
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


def _definition_for_start(definitions: list[DefinitionRecord], message_name: str, org_kind: str) -> DefinitionRecord:
    for definition in definitions:
        if message_name in definition.start_messages:
            kinds = org_kinds(definition)
            if kinds is None or org_kind in kinds:
                return definition
    raise EngineError(f"no process starts on '{message_name}' for a {org_kind}")


def org_kinds(definition: DefinitionRecord) -> set[str] | None:
    """The organisation kinds a process serves, from the `orgKinds` property of its start event."""
    props = definition.start_properties or {}
    kinds = props.get("orgKinds")
    if kinds is None:
        kinds = next((v.get("orgKinds") for v in props.values() if isinstance(v, dict) and v.get("orgKinds")), None)
    return {k.strip() for k in kinds.split(",")} if kinds else None
