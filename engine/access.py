"""Who may see and do what, decided in one place from the actor's organisation scope and roles."""

from __future__ import annotations

from collections.abc import Iterable

from engine.ports import Actor, HumanTaskRecord, InstanceRecord

STARTER_ROLES = frozenset({"leader", "deputy", "specialist"})


def can_act_on_task(actor: Actor, task: HumanTaskRecord) -> bool:
    """Complete or claim: a candidate (organisation + role) or a named candidate user, unless another
    person has claimed it."""
    if task.assignee_id is not None and task.assignee_id != actor.user_id:
        return False
    if actor.user_id is not None and actor.user_id in task.candidate_users:
        return True
    return any(actor.holds(org_id, role) for org_id, role in task.candidates)


def can_see_task(actor: Actor, task: HumanTaskRecord, instance: InstanceRecord) -> bool:
    """See: a candidate or assignee, or a member of the organisation the task belongs to."""
    if task.assignee_id is not None and task.assignee_id == actor.user_id:
        return True
    if actor.user_id in task.candidate_users:
        return True
    if any(org_id in actor.org_scope for org_id, _ in task.candidates):
        return True
    return can_see_instance(actor, instance)


def can_see_instance(actor: Actor, instance: InstanceRecord) -> bool:
    """An instance belongs to its organisation; the organisation that sent the directive supervises it."""
    if actor.is_admin:
        return True
    return instance.org_id in actor.org_scope or (
        instance.sender_org_id is not None and instance.sender_org_id in actor.org_scope
    )


def can_start(actor: Actor, org_kind: str, allowed_kinds: Iterable[str] | None) -> bool:
    if actor.org_id is None or not (actor.roles & STARTER_ROLES):
        return False
    return allowed_kinds is None or org_kind in set(allowed_kinds)
