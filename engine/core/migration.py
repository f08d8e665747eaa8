"""Versions of a definition side by side, and moving running instances to a newer version when it is safe.

- `diff_definitions(old_xml, new_xml)` (engine.core.diff): BPMN elements added, removed and changed.
- `preview_migration(...)`: for every running instance on an older version, whether it can move to the
  target version and, when not, why: SpiffWorkflow's `diff_workflow` aligns the instance's tasks with the new
  specs; a completed or started task whose spec changed or was removed, or a waiting/ready task whose
  element is gone, makes the move unsafe (engine-notes §7).
- `migrate_instances(...)`: re-checks each chosen instance under its lock and migrates it with
  `migrate_workflow` (ready and waiting branches re-predicted from the new specs; a waiting timer keeps
  its due time), re-projects open tasks whose element changed (who may do it, deadline from the task's
  creation), runs the instance to its next wait state, pins it to the new version and audits it; one
  transaction per instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.task import TaskState

from engine.core.clock import clock
from engine.core.errors import EngineError
from engine.core.parser import SERIALIZER_CONFIG
from engine.core.ports import Actor, DefinitionRecord, InstanceRecord, Store

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

UNSAFE_STATES = TaskState.COMPLETED | TaskState.STARTED
AT_STATES = TaskState.READY | TaskState.WAITING
# SpecDiff attributes that say nothing a person changed (derived from the flows around the element)
DERIVED_ATTRIBUTES = {"inputs", "outputs"}


# ---------------------------------------------------------------------------------------------------------
# Running instances
# ---------------------------------------------------------------------------------------------------------
_REGISTRY: Any = None


def diff_registry() -> Any:
    """The serializer registry SpecDiff compares specs with: Cascade's, plus the plain service task
    (Cascade runs it itself, so the state registry never needs to convert its spec) with its properties."""
    global _REGISTRY
    if _REGISTRY is None:

        class ServiceTaskConverter(BpmnTaskSpecConverter):
            def to_dict(self, spec):
                dct = super().to_dict(spec)
                dct["extensions"] = dict(getattr(spec, "extensions", None) or {})
                return dct

        _REGISTRY = BpmnWorkflowSerializer.configure({**SERIALIZER_CONFIG, ServiceTask: ServiceTaskConverter})
    return _REGISTRY


@dataclass
class Reason:
    """Why an instance cannot move: `kind` is completed_changed | started_changed | completed_removed |
    started_removed | at_removed | subprocess_removed | error."""

    kind: str
    element_id: str | None = None
    name: str = ""
    detail: str = ""


@dataclass
class InstanceCheck:
    instance_id: int
    title: str
    org_id: int
    from_version: int
    to_version: int
    can_migrate: bool
    reasons: list[Reason] = field(default_factory=list)
    at: list[str] = field(default_factory=list)  # where it is now (ready/started task names)


@dataclass
class MigrationResult:
    migrated: list[int] = field(default_factory=list)
    refused: dict[int, list[Reason]] = field(default_factory=dict)


def _spec_label(spec: Any) -> tuple[str, str]:
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    return bpmn_id, getattr(spec, "bpmn_name", None) or ""


def _task_reasons(diff: Any, changed_specs: dict) -> list[Reason]:
    out: list[Reason] = []
    for task in diff.removed:
        state = task.state
        bpmn_id, name = _spec_label(task.task_spec)
        if state & TaskState.COMPLETED:
            out.append(Reason("completed_removed", bpmn_id, name))
        elif state & TaskState.STARTED:
            out.append(Reason("started_removed", bpmn_id, name))
        elif state & AT_STATES:
            out.append(Reason("at_removed", bpmn_id, name))
    for task in diff.changed:
        if not task.state & UNSAFE_STATES:
            continue
        attributes = [a for a in changed_specs.get(task.task_spec, []) if a not in DERIVED_ATTRIBUTES]
        attributes = attributes or sorted(changed_specs.get(task.task_spec, []))
        bpmn_id, name = _spec_label(task.task_spec)
        kind = "completed_changed" if task.state & TaskState.COMPLETED else "started_changed"
        out.append(Reason(kind, bpmn_id, name, ", ".join(attributes)))
    return out


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen, out = set(), []
    for r in reasons:
        key = (r.kind, r.element_id)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _check_live(engine: Cascade, live: Any, target: DefinitionRecord) -> tuple[list[Reason], Any]:
    """Reasons the live workflow cannot move to `target` ([] when it can), and the diffs to migrate with."""
    runtime = engine.runtime
    new_spec, new_subs = runtime.specs(target)
    wf = live.workflow
    registry = diff_registry()
    top, sub_diffs = diff_workflow(registry, wf, new_spec, new_subs)
    reasons = _task_reasons(top, SpecDiff(registry, wf.spec, new_spec).changed)
    for sp_id, sp_diff in sub_diffs.items():
        sub = wf.subprocesses[sp_id]
        if sp_diff is None:
            if not sub.is_completed():
                reasons.append(Reason("subprocess_removed", sub.spec.name, ""))
            continue
        reasons += _task_reasons(sp_diff, SpecDiff(registry, sub.spec, new_subs[sub.spec.name]).changed)
    return _unique(reasons), (top, sub_diffs, new_spec, new_subs)


def _where(live: Any) -> list[str]:
    names = []
    for task in live.workflow.get_tasks(state=TaskState.READY, manual=True):
        names.append(task.task_spec.bpmn_name or task.task_spec.bpmn_id)
    return names


def check_instance(engine: Cascade, store: Store, instance: InstanceRecord, target: DefinitionRecord) -> InstanceCheck:
    current = store.definition(instance.definition_id)
    check = InstanceCheck(instance.id, instance.title, instance.org_id, current.version, target.version, False)
    try:
        live = engine.load_instance(store, instance)
        check.at = _where(live)
        reasons, _ = _check_live(engine, live, target)
    except Exception as exc:  # noqa: BLE001 - an instance the engine cannot even compare must not move
        reasons = [Reason("error", None, "", f"{type(exc).__name__}: {exc}")]
    check.reasons = reasons
    check.can_migrate = not reasons
    return check


def target_definition(store: Store, process_key: str, version: int | None) -> DefinitionRecord:
    target = store.latest_definition(process_key) if version is None else store.definition_version(process_key, version)
    if target is None:
        raise EngineError(f"no version {version or 'latest'} of {process_key}")
    return target


def preview_migration(
    engine: Cascade, store: Store, process_key: str, version: int | None = None, limit: int = 1000
) -> tuple[DefinitionRecord, list[InstanceCheck]]:
    """Every running instance of `process_key` on an older version than the target (default: the latest),
    with whether it can move and why not. Reads only."""
    target = target_definition(store, process_key, version)
    older = {d.id for d in store.definition_versions(process_key) if d.version < target.version}
    checks = [
        check_instance(engine, store, instance, target)
        for instance in store.running_instances(process_key)[:limit]
        if instance.definition_id in older
    ]
    return target, checks


def _timers(wf: Any) -> dict[Any, dict]:
    """Due times of waiting timers (and event-based gateways waiting on one), by task id."""
    out = {}
    for workflow in [wf, *wf.subprocesses.values()]:
        for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
            if "event_value" in task.internal_data:
                out[task.id] = (task.task_spec.name, task.internal_data["event_value"])
    return out


def _specs_belong(wf: Any, new_spec: Any, new_subs: dict) -> bool:
    """After migrating, every task must point at a spec of the new version (else the rows cannot reload)."""
    valid = {id(s) for s in new_spec.task_specs.values()}
    for sub in new_subs.values():
        valid |= {id(s) for s in sub.task_specs.values()}
    return all(id(task.task_spec) in valid for w in [wf, *wf.subprocesses.values()] for task in w.tasks.values())


def migrate_one(
    engine: Cascade, store: Store, actor: Actor, instance_id: int, target: DefinitionRecord
) -> list[Reason]:
    """Move one instance to `target` in the current transaction; [] on success, else the reasons (nothing
    changed then; the caller rolls back)."""
    instance = store.lock_instance(instance_id)
    if instance.status != "running":
        return [Reason("error", None, "", "the instance is no longer running")]
    current = store.definition(instance.definition_id)
    if current.process_key != target.process_key or current.version >= target.version:
        return [Reason("error", None, "", f"the instance is on version {current.version} already")]
    live = engine.load_instance(store, instance)
    reasons, (top, sub_diffs, new_spec, new_subs) = _check_live(engine, live, target)
    if reasons:
        return reasons
    wf = live.workflow
    changed_ids = {_spec_label(t.task_spec)[0] for d in [top, *[s for s in sub_diffs.values() if s]] for t in d.changed}
    timers = _timers(wf)
    migrate_workflow(top, wf, new_spec)
    for sp_id, sp_diff in sub_diffs.items():
        sub = wf.subprocesses[sp_id]
        if sp_diff is not None:
            migrate_workflow(sp_diff, sub, new_subs[sub.spec.name])
    wf.subprocess_specs = new_subs
    for workflow in [wf, *wf.subprocesses.values()]:
        for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
            saved = timers.get(task.id)
            if saved and saved[0] == task.task_spec.name and task.task_spec.name not in changed_ids:
                task.internal_data["event_value"] = saved[1]
    if not _specs_belong(wf, new_spec, new_subs):
        return [Reason("error", None, "", "some tasks could not be aligned with the new version")]
    live.definition = target
    store.set_instance_definition(instance.id, target.id)
    _reproject_open_tasks(engine, store, instance, live, changed_ids)
    engine.advance_and_save(store, instance, live)
    store.audit(
        actor,
        "instance.migrate",
        instance_id=instance.id,
        detail={
            "process": target.process_key,
            "from_version": current.version,
            "to_version": target.version,
            "changed": sorted(changed_ids),
        },
        at=clock.now(),
    )
    return []


def _reproject_open_tasks(engine: Cascade, store: Store, instance: InstanceRecord, live: Any, changed: set[str]):
    """Open inbox rows of tasks whose element changed take the new candidates and deadline (counted from
    when the task was created); a claim is released when the candidates changed."""
    result = engine.runtime.collect(live)
    ready = {r.guid: r for r in result.ready}
    for row in store.open_human_tasks(instance.id):
        spec = ready.get(row.guid)
        if spec is None or row.bpmn_id not in changed:
            continue
        candidates = engine.candidates(store, instance, spec.groups)
        due = engine.runtime.due_at(spec.due_expression, spec.data, row.created_at or clock.now())
        users = store.user_ids_by_username(spec.users)
        release = set(candidates) != set(row.candidates) or set(users) != set(row.candidate_users)
        store.update_human_task(
            row.id,
            name=spec.name,
            org_id=candidates[0][0] if candidates else instance.org_id,
            candidates=candidates,
            candidate_users=users,
            due_at=due,
            release_claim=release,
        )


def migrate_instances(
    engine: Cascade,
    store: Store,
    actor: Actor,
    process_key: str,
    instance_ids: list[int],
    version: int | None = None,
) -> MigrationResult:
    """Migrate the chosen instances to the target version (default: the latest), each in its own
    transaction; those that are no longer safe are refused with their reasons."""
    target = target_definition(store, process_key, version)
    result = MigrationResult()
    for instance_id in instance_ids:
        try:
            reasons = migrate_one(engine, store, actor, instance_id, target)
        except Exception as exc:  # noqa: BLE001 - one instance failing must not stop the batch
            reasons = [Reason("error", None, "", f"{type(exc).__name__}: {exc}")]
        if reasons:
            store.rollback()
            result.refused[instance_id] = reasons
            continue
        store.commit()
        result.migrated.append(instance_id)
    store.audit(
        actor,
        "definition.migrate",
        detail={
            "process": process_key,
            "to_version": target.version,
            "migrated": result.migrated,
            "refused": sorted(result.refused),
        },
        at=clock.now(),
    )
    store.commit()
    return result
