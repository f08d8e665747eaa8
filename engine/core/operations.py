"""What an administrator does about a step that keeps failing (an operations failure, "Lỗi vận hành"): skip it
where the diagram allows it, or cancel the instance. Retrying needs no engine call: the job is simply due again."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask

from engine.core.cascade import Cascade
from engine.core.clock import clock
from engine.core.errors import ActionRefusedError, NotAllowedError, TaskAlreadyCompletedError
from engine.core.ports import Actor, Store


def _running(store: Store, actor: Actor, instance_id: int, what: str):
    if not actor.is_admin:
        raise NotAllowedError(f"only administrators {what}")
    instance = store.lock_instance(instance_id)
    if instance.status != "running":
        raise TaskAlreadyCompletedError(f"quy trình #{instance_id} đã kết thúc")
    return instance


def cancel_instance(store: Store, actor: Actor, instance_id: int, reason: str) -> None:
    """End an instance that cannot go on: its open tasks are cancelled, its timers dropped, its open operations
    failures closed; audited with the reason."""
    _running(store, actor, instance_id, "cancel an instance")
    now = clock.now()
    for task in store.open_human_tasks(instance_id):
        store.close_human_task(task.id, "cancelled", None, now)
    store.sync_timers(instance_id, {})
    store.finish_instance(instance_id, "cancelled", now)
    store.resolve_failures(instance_id, "cancelled", actor.user_id, now)
    store.audit(actor, "instance.cancel", instance_id=instance_id, detail={"reason": reason[:500]}, at=now)
    store.commit()


def skip_failed_step(engine: Cascade, store: Store, actor: Actor, instance_id: int, element_id: str, reason: str):
    """Let the instance go on past a service task that keeps failing, as if it had run and returned nothing: the
    instance's due timers fire and it runs to its next wait state. Only service tasks may be skipped (a script's
    or a condition's result is part of the instance's data; those are fixed in the diagram and migrated)."""
    instance = _running(store, actor, instance_id, "skip a step")
    live = engine.load_instance(store, instance, locked=True)
    specs = [spec for spec in live.workflow.spec.task_specs.values() if getattr(spec, "bpmn_id", None) == element_id]
    for sub in live.workflow.subprocess_specs.values():
        specs += [spec for spec in sub.task_specs.values() if getattr(spec, "bpmn_id", None) == element_id]
    if not specs or not all(isinstance(spec, ServiceTask) for spec in specs):
        raise ActionRefusedError(
            "Chỉ bỏ qua được tác vụ dịch vụ (service task); với kịch bản hay biểu thức, hãy sửa sơ đồ, triển khai "
            "rồi chuyển quy trình sang phiên bản mới và bấm Thử lại."
        )
    engine.runtime.refresh_timers(live)
    engine.advance_and_save(store, instance, live, skip=frozenset({element_id}))
    now = clock.now()
    store.resolve_failures(instance_id, "skipped", actor.user_id, now)
    detail = {"element": element_id, "reason": reason[:500]}
    store.audit(actor, "step.skip", instance_id=instance_id, detail=detail, at=now)
    store.commit()
