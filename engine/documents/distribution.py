"""The usual "Nơi nhận" of a plan, proposed to the drafter (who may change it): superiors for reporting,
partners for coordination, the organisation's own leaders to direct, subordinates to implement, and the
records office and drafting section to file."""

from __future__ import annotations

from collections.abc import Iterable

from engine.core.orgs import org_list
from engine.core.ports import Org

CITY_BODIES = ("office", "police", "people_committee")


def default_distribution(issuer: Org, orgs: Iterable[Org]) -> list[tuple[int, str]]:
    orgs = org_list(o for o in orgs if not o.closed)  # a closed organisation is offered to no new document
    by_id = orgs.by_id
    parent = by_id.get(issuer.parent_id) if issuer.parent_id else None
    siblings = [o for o in orgs.children(issuer.parent_id) if o.id != issuer.id]
    children = orgs.children(issuer.id)
    out: list[tuple[int, str]] = []

    def add(org: Org | None, purpose: str) -> None:
        if org is not None and all(org.id != o for o, _ in out):
            out.append((org.id, purpose))

    if issuer.kind == "office":
        grand = by_id.get(parent.parent_id) if parent and parent.parent_id else None
        for o in orgs.children(grand.id) if grand else ():
            if o.kind == "department":
                add(o, "bao_cao")  # Sở GDĐT
        for o in siblings:
            if o.kind == "people_committee":
                add(o, "bao_cao")  # UBND TP
            elif o.kind == "police":
                add(o, "phoi_hop")  # Công an TP
        add(issuer, "chi_dao")  # the head and deputies
        for o in children:
            if o.kind == "school":
                add(o, "thuc_hien")
    elif issuer.kind == "steering_committee":
        for o in siblings:
            if o.kind == "party_committee":
                add(o, "bao_cao")
            elif o.kind in CITY_BODIES:
                add(o, "thuc_hien")
    elif issuer.kind == "department":
        for o in siblings:
            if o.kind == "people_committee":
                add(o, "bao_cao")
            elif o.kind == "police":
                add(o, "phoi_hop")
        for city in (o for o in orgs.children(parent.id) if o.kind == "city") if parent else ():
            for o in orgs.children(city.id):
                if o.kind == "office" and (o.symbol or "").endswith("GDĐT"):
                    add(o, "thuc_hien")  # the city education offices
        for o in children:
            if o.kind == "school":
                add(o, "thuc_hien")
    else:
        if parent is not None and parent.kind not in ("city", "province", "ward"):
            add(parent, "bao_cao")
        for o in children:
            if o.kind not in ("section",):
                add(o, "thuc_hien")
    for o in children:
        if o.kind == "section":
            add(o, "luu")  # "Lưu: VT, CTTT"
    return out
