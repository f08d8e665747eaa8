"""The usual "Nơi nhận" of a plan, proposed to the drafter (who may change it): superiors for reporting,
partners for coordination, the organisation's own leaders to direct, subordinates to implement, and the
records office and drafting section to file."""

from __future__ import annotations

from engine.ports import Org

CITY_BODIES = ("office", "police", "people_committee")


def default_distribution(issuer: Org, orgs: list[Org]) -> list[tuple[int, str]]:
    by_id = {o.id: o for o in orgs}
    parent = by_id.get(issuer.parent_id) if issuer.parent_id else None
    siblings = [o for o in orgs if o.parent_id == issuer.parent_id and o.id != issuer.id]
    children = [o for o in orgs if o.parent_id == issuer.id]
    out: list[tuple[int, str]] = []

    def add(org: Org | None, purpose: str) -> None:
        if org is not None and all(org.id != o for o, _ in out):
            out.append((org.id, purpose))

    if issuer.kind == "office":
        grand = by_id.get(parent.parent_id) if parent and parent.parent_id else None
        for o in orgs:
            if o.kind == "department" and grand and o.parent_id == grand.id:
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
        for city in (o for o in orgs if parent and o.parent_id == parent.id and o.kind == "city"):
            for o in orgs:
                if o.parent_id == city.id and o.kind == "office" and (o.symbol or "").endswith("GDĐT"):
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
