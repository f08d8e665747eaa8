"""The core use cases: deploy, start, read and complete tasks, claim. Each one works inside one Store (unit of
work) and commits once at its end. Delivery of messages, timers and e-mail: engine.core.delivery."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException

from engine.core.access import can_act_on_task, can_see_task, can_start
from engine.core.calls import resolver, settled
from engine.core.clock import clock
from engine.core.decisions import decision_resolver
from engine.core.delivery import Delivery, org_kinds
from engine.core.errors import (
    EngineError,
    NotAllowedError,
    StepFailedError,
    TaskAlreadyCompletedError,
    TaskNotFoundError,
    UnknownProcessError,
)
from engine.core.failures import step_failure
from engine.core.forms import form_fields, validate_form
from engine.core.orgs import org_list, resolve_scope
from engine.core.ports import Actor, DefinitionRecord, HumanTaskRecord, InstanceRecord, NewHumanTask, NewMessage, Store
from engine.core.registry import Feature, Registry
from engine.core.runtime import SERIALIZER_VERSION, LiveInstance, Runtime, ServiceCall, StepResult
from engine.core.timer_starts import Schedules, fire_timer_start, without_timer_starts
from engine.core.validation import checked_definition
from engine.core.warm import WarmInstances, new_stamp

log = logging.getLogger(__name__)


class Cascade(Delivery):
    """The engine's public face: use cases over a Runtime, given a Store per call. Features plug in through
    `register` (see engine.core.registry); `engine.create_engine()` builds one with every feature."""

    def __init__(self, runtime: Runtime | None = None, warm_instances: int = 256):
        self.runtime = runtime or Runtime()
        self.warm = WarmInstances(warm_instances)
        self.registry = Registry()
        self.timer_schedules = Schedules()  # timer start events per definition version (engine.core.delivery)

    def register(self, *features: Feature) -> Cascade:
        for feature in features:
            self.registry.register(feature)
        return self

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
        kept: list[DefinitionRecord] | None = None,
    ) -> list[DefinitionRecord]:
        """Validate a BPMN file and store each of its processes as a new version; running instances keep
        the version they started on. Raises DefinitionError naming every problem; nothing is stored then.
        With `known_messages` (names other deployed processes catch) every message thrown needs a catcher.
        With `kept` (a list to fill), a process whose latest version came from elsewhere (an administrator's
        modeller or upload) is left as it is and its latest version added to `kept`: seeding never overrides."""
        deployed = lambda pid: store.latest_definition(pid) is not None  # noqa: E731 - calls to other files
        decided = lambda key: store.latest_decision(key) is not None  # noqa: E731 - business rule tasks
        parsed, _warnings = checked_definition(
            xml,
            filename=source,
            known_roles=known_roles,
            known_messages=known_messages,
            deployed=deployed,
            decided=decided,
        )
        digest = hashlib.sha256(parsed.xml).hexdigest()
        out = []
        for pid in parsed.process_ids:
            latest = store.latest_definition(pid)
            if only_if_changed and latest is not None and hashlib.sha256(latest.xml).hexdigest() == digest:
                continue
            if kept is not None and latest is not None and latest.source != source:
                kept.append(latest)
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
        subject: str | None = None,
        timer_start: str | None = None,
    ) -> int:
        """A new instance of `definition` at `org_id`, started by `message`, by its timer start event `timer_start`
        or by hand, and run to its first wait state. `subject` is its business key with the process and
        organisation (one instance per key)."""
        record = store.create_instance(
            definition,
            org_id,
            title,
            directive_id=directive_id,
            sender_org_id=sender_org_id,
            parent_instance_id=parent_instance_id,
            started_by=started_by,
            serializer_version=SERIALIZER_VERSION,
            subject=subject,
        )
        live = self.runtime.new(definition, resolver(store), decision_resolver(store))
        if timer_start:
            fire_timer_start(live.workflow, timer_start)
        else:
            without_timer_starts(live.workflow)  # the worker starts those (engine.core.timer_starts)
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
            default = self.registry.field_defaults.get(f.type)
            if default is not None and f.id not in values:
                values[f.id] = default(store, instance)
        return fields, dict(values, **{"__data__": dict(spiff_task.data)})

    def complete_task(self, store: Store, actor: Actor, task_id: int, submitted: dict[str, Any]) -> int:
        """Validate and store the form, complete the task and run the instance to its next wait state."""
        task, instance = self._lock_task(store, actor, task_id)
        if task.status != "open" or instance.status != "running":  # done, or its instance ended or was cancelled
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
        try:
            spiff_task.run()
        except (WorkflowException, RecursionError) as exc:
            raise step_failure(exc, instance.process_key) from exc
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

    # ---------------------------------------------------------------------------------- internals ------
    def load_instance(self, store: Store, instance: InstanceRecord, *, locked: bool = False) -> LiveInstance:
        """The instance's workflow. Under its lock, the one this process saved last if that is still the
        stored state (engine.core.warm); otherwise rebuilt from the stored rows."""
        if locked:
            live = self.warm.take(instance.id, instance.state_stamp, instance.definition_id)
            if live is not None and settled(live):
                return live
        definition = store.definition(instance.definition_id)
        return self.runtime.load(definition, store.load_state(instance.id), resolver(store), decision_resolver(store))

    def advance_and_save(
        self, store: Store, instance: InstanceRecord, live: LiveInstance, skip: frozenset[str] = frozenset()
    ) -> StepResult:
        """Run to the next wait state and save what changed; service tasks named in `skip` complete without their
        handler (an administrator skipping a step that keeps failing, engine.core.operations)."""
        try:
            result = self.runtime.advance(
                live, lambda call: {} if call.bpmn_id in skip else self._service(store, instance, call)
            )
        except (WorkflowException, RecursionError) as exc:  # the diagram's own code failed: name the element
            raise step_failure(exc, instance.process_key) from exc
        try:
            changes = self.runtime.codec.changes(live.workflow, live.snapshot)
        except StepFailedError as exc:  # e.g. a step's data over the cap
            exc.process_key = exc.process_key or instance.process_key
            raise
        stamp, summary = instance.state_stamp, {"current": result.current_steps}
        if stamp is None or not changes.unchanged:
            stamp = new_stamp()
            store.save_state(instance.id, changes, stamp, summary)
        else:
            store.set_instance_summary(instance.id, summary)
        if result.timers != live.timers:  # timer rows mirror the waiting timers as of the last save
            store.sync_timers(instance.id, result.timers)  # before the inbox: on PostgreSQL it waits (deferred) and
            # travels with the new task's insert, not alone at the commit
        self._sync_inbox(store, instance, result)
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
        open_rows = store.open_task_guids(instance.id)
        ready_guids = {t.guid for t in result.ready}
        for guid, row_id in open_rows.items():
            if guid not in ready_guids:  # interrupted, terminated or migrated away
                store.close_human_task(row_id, "cancelled", None, now)
        scopes: dict[tuple, list] = {}  # a multi-instance opens many tasks for the same groups at once
        users: dict[tuple, list[int]] = {}
        new = []
        for ready in (r for r in result.ready if r.guid not in open_rows):
            groups, named = tuple(ready.groups), tuple(ready.users)
            if groups not in scopes:
                scopes[groups] = self.candidates(store, instance, ready.groups)
            if named not in users:
                users[named] = store.user_ids_by_username(ready.users)
            candidates, due = scopes[groups], self.runtime.due_at(ready.due_expression, ready.data, now)
            org_id = candidates[0][0] if candidates else instance.org_id
            new.append(
                NewHumanTask(
                    ready.guid, ready.bpmn_id, ready.name, org_id, candidates, users[named], due, instance.directive_id
                )
            )
        store.add_human_tasks(instance.id, new, now)  # all of a step's new tasks in one write

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
        handler = self.registry.service(call.service, call.bpmn_id)
        try:
            return handler(self, store, instance, call)
        except EngineError:
            raise  # refused on purpose (a stale report, a closed window…): the caller's answer says why
        except Exception as exc:  # the service itself failed: name the element
            raise StepFailedError(
                call.bpmn_id, call.name, f"{type(exc).__name__}: {exc}", instance.process_key
            ) from exc


def home_org(store: Store, actor: Actor) -> int:
    """A section's people act for their office (CTTT drafts for Phòng GDĐT)."""
    org = store.org(actor.org_id)
    return org.parent_id if org.kind == "section" and org.parent_id else org.id


def manually_startable(definition: DefinitionRecord) -> bool:
    """A process whose start event says `manualStart=false` only starts when a directive reaches it."""
    return str((definition.start_properties or {}).get("manualStart", "true")).lower() != "false"


def _audit_data(clean: dict) -> dict:
    """Form values for the audit trail: long texts are summarised by length and hash."""
    out = {}
    for key, value in clean.items():
        if isinstance(value, str) and len(value) > 200:
            out[key] = {"length": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()[:16]}
        else:
            out[key] = value
    return out


__all__ = ["Cascade", "home_org", "manually_startable", "org_kinds"]
