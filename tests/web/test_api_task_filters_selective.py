"""`GET /api/tasks?org=…` and `?q=…` read from the filter's side when it picks few tasks (`web/queries_selective.py`,
issue 18): the same tasks in the same order, the same pages with `after`, the same totals, in every scope and
sort, as the ordered walk of the actor's candidate rows gives (forced here by a cap of -1); a task visible only
through a claim is listed, another school's never. The text on PostgreSQL goes through the trigram indexes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from engine.core.clock import clock
from models import db
from models.workflow import HumanTask, HumanTaskCandidate, ProcessInstance
from tests.conftest import IsolatedClient
from tests.support.walk import open_task, org
from tests.web.test_api_task_paging import ids, listing, start_plans, step, token_for
from web import queries_selective, queries_tasks

SCHOOLS = {  # school code: (staff, principal); A and B send their plans for review, C does not
    "A": ("cp-s-mn-quang-hanh", "mn-quanghanh"),
    "B": ("cp-s-th-quang-hanh", "th-quanghanh"),
    "C": ("cp-s-mn-cam-thach", "mn-camthach"),
}


def world() -> dict:
    """Office plans (the specialist's drafts), a directive to schools A, B, C through the engine; A's and B's
    plans drafted and approved (their reviews are hers), C's waits for C's draft (never hers). She claims one of
    her drafts, and B's review, whose offer then moves to a role she lacks: B's review is hers only by the claim."""
    start_plans(2)
    clock.freeze(clock.now() + timedelta(hours=2))
    schools = {k: org(code).id for k, (code, _) in SCHOOLS.items()}
    recipients = [{"org_id": o, "purpose": "thuc_hien"} for o in schools.values()]
    directive = start_plans(1)[0]
    draft = {"trich_yeu": "Kế hoạch", "noi_dung": "…", "han_nop": "2022-08-31", "noi_nhan": recipients}
    step("pgddt.cttt", open_task("draft_plan", instance_id=directive), draft)
    step("pgddt.pho", open_task("approve_plan", instance_id=directive), {"quyet_dinh": "approve"})
    step("pgddt.vanthu", open_task("register_plan", instance_id=directive), {"noi_nhan": recipients})
    from web.deps import cascade, store

    cascade().deliver_messages(store(), limit=100)
    db.session.remove()
    for k in ("A", "B"):
        code, login = SCHOOLS[k]
        clock.freeze(clock.now() + timedelta(hours=1))
        step(f"{login}.gv", open_task("draft_school_plan", code), {"trich_yeu": "KH", "noi_dung": "…", "kinh_phi": "1"})
        step(f"{login}.ht", open_task("principal_approval", code), {"hieu_truong_duyet": "approve"})
    clock.freeze(clock.now() + timedelta(hours=1))
    start_plans(2)
    reviews = {k: open_task("office_review", SCHOOLS[k][0]).id for k in ("A", "B")}
    return {
        "schools": schools,
        "reviews": reviews,
        "c_draft": open_task("draft_school_plan", SCHOOLS["C"][0]).id,
        "symbol": db.session.get(ProcessInstance, open_task("office_review", SCHOOLS["A"][0]).instance_id).title,
    }


def claim_only_by_me(client, headers, task_id: int) -> None:
    """Claimed through the API; then the task is offered to principals only (a role the claimant lacks)."""
    assert client.post(f"/api/tasks/{task_id}/claim", headers=headers).status_code == 200
    db.session.execute(
        update(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id == task_id).values(role="principal")
    )
    db.session.commit()


def pages(client, headers, limit: int, **params) -> list[tuple]:
    """Every page walking `next`: (ids, total, total_exact, next) each."""
    out, after = [], None
    while True:
        body = listing(client, headers, limit=limit, **params, **({"after": after} if after else {}))
        out.append((ids(body), body["total"], body["total_exact"], body["next"]))
        after = body["next"]
        if after is None:
            return out


def both_ways(client, headers, monkeypatch, **params) -> tuple[list, list, set]:
    """The pages read from the filter's side, the pages of the ordered walk, and which ways the first took."""
    taken: set = set()
    way = queries_selective.way

    def spy(f):
        taken.add(way(f))
        return way(f)

    with monkeypatch.context() as m:
        m.setattr(queries_selective, "way", spy)
        read = pages(client, headers, **params)
    with monkeypatch.context() as m:
        m.setattr(queries_selective, "CAP", -1)  # every filter picks "too many": the walk
        walked = pages(client, headers, **params)
    return read, walked, taken


def _flat(listed: list[tuple]) -> list[int]:
    return [task_id for page in listed for task_id in page[0]]


def test_org_filter_reads_the_organisations_instances_and_answers_as_the_walk(app, monkeypatch):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        w = world()
        mine = db.session.scalars(
            select(HumanTask.id).where(HumanTask.bpmn_id == "draft_plan", HumanTask.status == "open")
        ).first()
        assert client.post(f"/api/tasks/{mine}/claim", headers=cttt).status_code == 200
        claim_only_by_me(client, cttt, w["reviews"]["B"])
        office = db.session.get(HumanTask, mine).instance.org_id  # the office's plans' organisation
        cases = [
            ({"org": w["schools"]["A"]}, [w["reviews"]["A"]]),
            ({"org": w["schools"]["B"]}, [w["reviews"]["B"]]),  # hers only through the claim
            ({"org": w["schools"]["C"]}, []),  # C's draft is C's staff's, never hers
            ({"org": office}, None),
            ({"org": office, "scope": "mine"}, [mine]),
            ({"org": office, "scope": "unclaimed"}, None),
            ({"org": w["schools"]["B"], "scope": "unclaimed"}, []),
            ({"org": office, "sort": "created"}, None),
            ({"org": office, "process": "directive_plan"}, None),
            ({"org": w["schools"]["A"], "process": "directive_plan"}, []),
            ({"org": office, "q": "Soạn"}, None),
        ]
        for params, expected in cases:
            for limit in (1, 2, 50):
                read, walked, taken = both_ways(client, cttt, monkeypatch, limit=limit, **params)
                assert taken == {("org",)}, params
                assert read == walked, (params, limit)
                if expected is not None:
                    assert _flat(read) == expected, params
                assert read[0][1] == len(_flat(read)) and read[0][2] is True
        drafts = db.session.scalars(
            select(HumanTask.id).where(HumanTask.bpmn_id == "draft_plan", HumanTask.status == "open")
        ).all()
        assert set(_flat(pages(client, cttt, limit=50, org=office))) == set(drafts) and len(drafts) == 4

        for k, (_code, login) in SCHOOLS.items():
            staff = token_for(f"{login}.gv")
            for other, school in w["schools"].items():
                read, walked, _ = both_ways(client, staff, monkeypatch, limit=2, org=school)
                assert read == walked
                if other != k:
                    assert _flat(read) == [], (k, other)
        staff_c = token_for("mn-camthach.gv")
        assert _flat(pages(client, staff_c, limit=2, org=w["schools"]["C"])) == [w["c_draft"]]


def test_org_filter_overdue_and_the_capped_total(app, monkeypatch):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        start_plans(5)
        clock.freeze(clock.now() + timedelta(days=3))
        start_plans(2)
        office = db.session.scalars(
            select(ProcessInstance.org_id).where(ProcessInstance.process_key == "directive_plan")
        ).first()
        first = db.session.scalars(select(HumanTask.due_at).where(HumanTask.bpmn_id == "draft_plan")).all()
        clock.freeze(min(first) + timedelta(minutes=1))
        read, walked, taken = both_ways(client, cttt, monkeypatch, limit=2, org=office, overdue=1)
        assert taken == {("org",)} and read == walked and len(_flat(read)) == 5
        monkeypatch.setattr(queries_tasks, "TOTAL_CAP", 3)
        read, walked, taken = both_ways(client, cttt, monkeypatch, limit=2, org=office)
        assert taken == {("org",)} and read == walked
        assert read[0][1:3] == (3, False) and len(_flat(read)) == 7


TEXTS = [
    "Trường",  # every school's name: many instances
    "trường",
    "TRƯỜNG MẦM NON QUANG HANH",
    "Tiểu học",
    "Quang Hanh",
    "TH Quang",  # a short name
    "811/KH-PGDĐT",  # the directive's symbol (replaced below by the one the engine gave)
    "Xem xét",  # a task's name
    "kế hoạch của trường",
    "không có",  # nothing
    "ọ",  # shorter than a trigram
    "%",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_filter_answers_as_the_walk(app, monkeypatch, text):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        w = world()
        claim_only_by_me(client, cttt, w["reviews"]["B"])
        if text == "811/KH-PGDĐT":
            text = w["symbol"].rsplit("— ", 1)[-1]
            assert "/KH-" in text
        for params in ({}, {"scope": "unclaimed"}, {"scope": "mine"}, {"sort": "created"}, {"process": "school_plan"}):
            read, walked, taken = both_ways(client, cttt, monkeypatch, limit=2, q=text, **params)
            assert read == walked, (text, params)
            postgres = db.engine.dialect.name == "postgresql"
            assert None not in taken if postgres else taken == {None}, taken  # PostgreSQL: the trigram indexes
            source = {"Tiểu học": "org_name", "Xem xét": "name", "không có": None}.get(
                text, "symbol" if "/KH-" in text else ""
            )
            if postgres and source != "":
                assert all((source in way) if source else way == () for way in taken), taken
        found = _flat(pages(client, cttt, limit=50, q=text))
        assert w["c_draft"] not in found
        if text in ("Tiểu học", "TH Quang"):
            assert found == [w["reviews"]["B"]]  # only through her claim
        upper = text == "TRƯỜNG MẦM NON QUANG HANH" and postgres  # SQLite's lower() folds ASCII letters only
        if text == "Xem xét" or "/KH-" in text or upper:
            assert w["reviews"]["A"] in found
        staff_c = token_for("mn-camthach.gv")
        for params in ({}, {"org": w["schools"]["C"]}):
            read, walked, _ = both_ways(client, staff_c, monkeypatch, limit=2, q=text, **params)
            assert read == walked
            assert set(_flat(read)) <= {w["c_draft"]}


def test_text_filter_uses_the_trigram_indexes_on_postgresql(pg_app):
    with pg_app.app_context():
        assert queries_selective.trigrams()
        names = db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'")).all()
        assert set(names) == set(queries_selective.TRIGRAM_INDEXES)
