"""Resolves who a task or notice concerns relative to an instance's organisation: `role@scope`.

Scopes: `self` (the instance's organisation), `sender` (the organisation that sent the directive), `parent`
(the managing body: a school's Phòng GDĐT), `ward_police` (the police of the organisation's ward),
`city_police`, `city_committee` (UBND of the city), `department` (the province's Sở GDĐT) and
`child_protection` (the city's Phòng LĐTBXH).
"""

from __future__ import annotations

from engine.ports import Org

SCOPES = ("self", "sender", "parent", "ward_police", "city_police", "city_committee", "department", "child_protection")


def _city(org: Org, by_id: dict[int, Org]) -> Org | None:
    current: Org | None = org
    for _ in range(6):
        if current is None or current.kind == "city":
            return current
        current = by_id.get(current.parent_id) if current.parent_id else None
    return None


def resolve_scope(scope: str, org: Org, orgs: list[Org], sender_org_id: int | None = None) -> int | None:
    """The organisation id that `scope` names for `org`, or None if there is none."""
    if scope in ("", "self"):
        return org.id
    if scope == "sender":
        return sender_org_id or org.id
    if scope == "parent":
        return org.parent_id
    if scope == "ward_police":
        ward = org.ward_id
        return next(
            (o.id for o in orgs if o.kind == "ward_police" and (o.ward_id == ward or o.parent_id == ward)), None
        )
    city = _city(org, {o.id: o for o in orgs})
    if city is None:
        return None
    children = [o for o in orgs if o.parent_id == city.id]
    if scope == "city_police":
        return next((o.id for o in children if o.kind == "police"), None)
    if scope == "city_committee":
        return next((o.id for o in children if o.kind == "people_committee"), None)
    if scope == "child_protection":
        return next((o.id for o in children if o.kind == "office" and (o.symbol or "").startswith("LĐTBXH")), None)
    if scope == "department":
        return next((o.id for o in orgs if o.parent_id == city.parent_id and o.kind == "department"), None)
    return None
