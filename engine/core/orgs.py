"""Resolves who a task or notice concerns relative to an instance's organisation: `role@scope`.

Scopes: `self` (the instance's organisation), `sender` (the organisation that sent the directive), `parent`
(the managing body: a school's Phòng GDĐT), `ward_police` (the police of the organisation's ward),
`city_police`, `city_committee` (UBND of the city), `department` (the province's Sở GDĐT) and
`child_protection` (the city's Phòng LĐTBXH).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.core.ports import Org

SCOPES = ("self", "sender", "parent", "ward_police", "city_police", "city_committee", "department", "child_protection")


class OrgList(list):
    """The organisations in their order, with the lookups scopes and distributions need built once: by id,
    children by parent, a ward's police. The store keeps one per version of the tree (45,000 schools must not
    be scanned for every task); anything else is wrapped on the way in (`org_list`). Read it, never change it."""

    def __init__(self, orgs: Iterable[Org] = ()):
        super().__init__(orgs)
        self.by_id: dict[int, Org] = {o.id: o for o in self}
        self._children: dict[int | None, list[Org]] = {}
        self._ward_police: dict[int, int] = {}
        for o in self:
            self._children.setdefault(o.parent_id, []).append(o)
            if o.kind == "ward_police":
                for ward in (o.ward_id, o.parent_id):
                    if ward is not None:
                        self._ward_police.setdefault(ward, o.id)  # the first in order, as a scan would find

    def children(self, parent_id: int | None) -> list[Org]:
        return self._children.get(parent_id, [])

    def ward_police(self, ward_id: int | None) -> int | None:
        return self._ward_police.get(ward_id) if ward_id is not None else None


def org_list(orgs: Iterable[Org]) -> OrgList:
    return orgs if isinstance(orgs, OrgList) else OrgList(orgs)


def _city(org: Org, by_id: dict[int, Org]) -> Org | None:
    current: Org | None = org
    for _ in range(6):
        if current is None or current.kind == "city":
            return current
        current = by_id.get(current.parent_id) if current.parent_id else None
    return None


def resolve_scope(scope: str, org: Org, orgs: Iterable[Org], sender_org_id: int | None = None) -> int | None:
    """The organisation id that `scope` names for `org`, or None if there is none."""
    orgs = org_list(orgs)
    if scope in ("", "self"):
        return org.id
    if scope == "sender":
        return sender_org_id or org.id
    if scope == "parent":
        return org.parent_id
    if scope == "ward_police":
        return orgs.ward_police(org.ward_id)
    city = _city(org, orgs.by_id)
    if city is None:
        return None
    children = orgs.children(city.id)
    if scope == "city_police":
        return next((o.id for o in children if o.kind == "police"), None)
    if scope == "city_committee":
        return next((o.id for o in children if o.kind == "people_committee"), None)
    if scope == "child_protection":
        return next((o.id for o in children if o.kind == "office" and (o.symbol or "").startswith("LĐTBXH")), None)
    if scope == "department":
        return next((o.id for o in orgs.children(city.parent_id) if o.kind == "department"), None)
    return None
