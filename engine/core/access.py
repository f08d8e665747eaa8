"""Who may see and do what, decided in one place from the actor's organisation scope and roles."""

from __future__ import annotations

from collections.abc import Iterable

from engine.core.ports import Actor, HumanTaskRecord, InstanceRecord

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


HANDLER_ROLES_AT_OFFICE = frozenset({"specialist", "leader", "deputy"})


def incident_access(actor: Actor, incident, school, orgs_by_id: dict) -> str | None:
    """How much of an incident the actor may see: "full" (with minors' names: the people handling it),
    "no_names" (others at the school), "counts" (organisations above, on the board only) or None."""
    if actor.user_id == incident.raised_by_id:
        return "full"
    if school.id in actor.org_scope:
        return "full" if "principal" in actor.roles else "no_names"
    if school.parent_id in actor.org_scope and actor.roles & HANDLER_ROLES_AT_OFFICE:
        return "full"
    if any(org_id in actor.org_scope for org_id in incident.involved_org_ids):
        return "full"
    if actor.is_admin:
        return "counts"
    # organisations above the school (city bodies, the province) see numbers, not cases
    above = set()
    current = orgs_by_id.get(school.parent_id)
    while current is not None:
        above.add(current.id)
        above.update(o.id for o in orgs_by_id.values() if o.parent_id == current.id and o.kind != "school")
        current = orgs_by_id.get(current.parent_id) if current.parent_id else None
    ward_police = {o.id for o in orgs_by_id.values() if o.kind == "ward_police"}
    if actor.org_scope & (above - ward_police):
        return "counts"
    return None


# --------------------------------------------------------------------------- Circular 124
TT124_CITY_ROLES = frozenset({"police", "specialist", "leader", "deputy"})  # who handles dossiers at city level
TT124_EVIDENCE_ROLES = frozenset({"staff", "principal"})  # the candidates of `add_evidence` (tt124_cycle.bpmn)


def can_see_tt124_year(actor: Actor, receiver_id: int, city_body_ids: Iterable[int]) -> bool:
    """A receiving office's Circular 124 year (overview, roll-ups): the office and its sections, the
    administrator, and the people who appraise and decide on the dossiers at the city police and UBND TP."""
    if actor.is_admin or receiver_id in actor.org_scope:
        return True
    return bool(actor.roles & TT124_CITY_ROLES) and bool(actor.org_scope & set(city_body_ids))


def can_see_tt124_dossier(
    actor: Actor, school_id: int, receiver_id: int, city_body_ids: Iterable[int], ward_police_id: int | None
) -> bool:
    """One school's year — its page, evidence, evidence attachments and dossier files: the school itself,
    whoever sees the receiving office's year, and the school's ward police (who sit on its meeting)."""
    if school_id in actor.org_scope or can_see_tt124_year(actor, receiver_id, city_body_ids):
        return True
    return ward_police_id is not None and ward_police_id in actor.org_scope


def can_attach_tt124_evidence(actor: Actor, school_id: int) -> bool:
    """Attach files to the school's evidence: the people of the school who file evidence."""
    return school_id in actor.org_scope and bool(actor.roles & TT124_EVIDENCE_ROLES)
