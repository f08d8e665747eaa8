"""`GET /api/tasks` (issue 18): keyset pages that stay complete and stable while tasks are added, each filter
(process, organisation, document, instance, overdue), the capped total, another school's tasks never listed,
and a clear 400 for a bad `limit`, `after` or id."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.core.clock import clock
from models import db
from models.org import ApiToken, User
from models.workflow import HumanTask, ProcessInstance
from tests.conftest import IsolatedClient
from tests.support.walk import open_task, org
from web import queries_tasks
from web.deps import actor_for, cascade, store

SCHOOL_A, SCHOOL_B = "cp-s-mn-quang-hanh", "cp-s-mn-cam-thach"


def token_for(username: str) -> dict:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    token = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, name="test", token_hash=ApiToken.hash(token)))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def who(username: str):
    return actor_for(db.session.scalars(select(User).where(User.username == username)).one())


def step(username: str, task: HumanTask, form: dict) -> None:
    task_id = task.id
    db.session.remove()
    cascade().complete_task(store(), who(username), task_id, form)
    db.session.remove()


def start_plans(n: int) -> list[int]:
    """`n` directive_plan instances started by the office specialist: a draft_plan each, in her inbox."""
    ids = [cascade().start_process(store(), who("pgddt.cttt"), "directive_plan") for _ in range(n)]
    db.session.remove()
    return ids


def directive_to_two_schools() -> dict:
    """A directive issued to schools A and B through the engine; A's plan drafted and approved, so it waits for
    the office's review (the specialist's inbox); B's waits for B's draft. Returns the ids the tests check."""
    a, b = org(SCHOOL_A).id, org(SCHOOL_B).id
    recipients = [{"org_id": a, "purpose": "thuc_hien"}, {"org_id": b, "purpose": "thuc_hien"}]
    directive = start_plans(1)[0]
    draft = {"trich_yeu": "Kế hoạch", "noi_dung": "…", "han_nop": "2022-08-31", "noi_nhan": recipients}
    step("pgddt.cttt", open_task("draft_plan", instance_id=directive), draft)
    step("pgddt.pho", open_task("approve_plan", instance_id=directive), {"quyet_dinh": "approve"})
    step("pgddt.vanthu", open_task("register_plan", instance_id=directive), {"noi_nhan": recipients})
    cascade().deliver_messages(store(), limit=100)
    db.session.remove()
    plan_a = open_task("draft_school_plan", SCHOOL_A)
    step("mn-quanghanh.gv", plan_a, {"trich_yeu": "Kế hoạch", "noi_dung": "…", "kinh_phi": "1"})
    step("mn-quanghanh.ht", open_task("principal_approval", SCHOOL_A), {"hieu_truong_duyet": "approve"})
    review = open_task("office_review", SCHOOL_A)
    plan_b = open_task("draft_school_plan", SCHOOL_B)
    document = db.session.get(ProcessInstance, review.instance_id).directive_id
    assert document is not None
    return {"review": review.id, "review_instance": review.instance_id, "b_task": plan_b.id, "b": b, "a": a}


def listing(client, headers, **params) -> dict:
    response = client.get("/api/tasks", headers=headers, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(body: dict) -> list[int]:
    return [t["id"] for t in body["tasks"]]


def mine_open(actor) -> set[int]:
    """What the specialist may do, straight from the database: open tasks offered to her roles in her scope."""
    from models.workflow import HumanTaskCandidate as C

    stmt = (
        select(HumanTask.id)
        .join(C, C.human_task_id == HumanTask.id)
        .where(HumanTask.status == "open", C.org_id.in_(actor.org_scope), C.role.in_(actor.roles))
    )
    return set(db.session.scalars(stmt))


@pytest.mark.parametrize("sort", ["due", "created"])
def test_pages_are_complete_and_stable_while_tasks_are_added(app, sort):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        start_plans(4)
        clock.freeze(clock.now() + timedelta(hours=1))
        start_plans(3)  # later due dates and creation times: both orders have two blocks
        before = mine_open(who("pgddt.cttt"))
        assert len(before) == 7

        seen: list[int] = []
        body = listing(client, cttt, limit=2, sort=sort)
        assert body["total"] == 7 and body["total_exact"] is True
        pages = 1
        while True:
            seen += ids(body)
            assert len(body["tasks"]) <= 2
            if pages == 2:  # tasks added while a client pages: none listed twice, none of the others missed
                clock.freeze(clock.now() + timedelta(minutes=5))
                start_plans(2)
            if body["next"] is None:
                break
            body = listing(client, cttt, limit=2, sort=sort, after=body["next"])
            pages += 1
        assert len(seen) == len(set(seen)), "a task was listed twice"
        assert before <= set(seen)
        assert set(seen) <= mine_open(who("pgddt.cttt"))
        assert pages >= 4


def test_each_filter_and_the_instance_filter(app):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        early = start_plans(2)
        world = directive_to_two_schools()
        clock.freeze(clock.now() + timedelta(days=7))
        late = start_plans(2)
        document = db.session.get(ProcessInstance, world["review_instance"]).directive_id

        everything = listing(client, cttt)
        assert world["review"] in ids(everything) and world["b_task"] not in ids(everything)
        assert listing(client, cttt, process="school_plan")["tasks"][0]["bpmn_id"] == "office_review"
        assert ids(listing(client, cttt, process="school_plan")) == [world["review"]]
        assert ids(listing(client, cttt, org=world["a"])) == [world["review"]]
        assert ids(listing(client, cttt, document=document)) == [world["review"]]
        assert ids(listing(client, cttt, q=org(SCHOOL_A).name)) == [world["review"]]
        assert ids(listing(client, cttt, q=org(SCHOOL_A).name, process="school_plan", org=world["a"])) == [
            world["review"]
        ]
        one = listing(client, cttt, instance=world["review_instance"])
        assert ids(one) == [world["review"]] and one["total"] == 1
        for instance_id in late:
            assert ids(listing(client, cttt, instance=instance_id)) == [
                open_task("draft_plan", instance_id=instance_id).id
            ]
        assert listing(client, cttt, instance=world["review_instance"], process="directive_plan")["tasks"] == []

        first = [open_task("draft_plan", instance_id=i) for i in early]
        clock.freeze(max(t.due_at for t in first) + timedelta(minutes=1))  # the first drafts are now late
        assert all(open_task("draft_plan", instance_id=i).due_at > clock.now() for i in late)
        overdue = listing(client, cttt, overdue=1)
        late_ids = db.session.scalars(
            select(HumanTask.id).where(HumanTask.id.in_(mine_open(who("pgddt.cttt"))), HumanTask.due_at < clock.now())
        )
        expected = set(late_ids)
        assert {t.id for t in first} <= expected and not expected & {t["id"] for t in everything["tasks"][-2:]}
        assert set(ids(overdue)) == expected and overdue["total"] == len(expected)
        assert all(t["overdue"] for t in overdue["tasks"])
        paged = listing(client, cttt, overdue=1, limit=1)
        assert paged["total"] == len(expected) and paged["next"] is not None


def test_another_schools_tasks_never_appear(app):
    with app.app_context():
        client = IsolatedClient(app)
        world = directive_to_two_schools()
        staff_a = token_for("mn-quanghanh.gv")
        b_instance = db.session.get(HumanTask, world["b_task"]).instance_id
        assert world["b_task"] not in ids(listing(client, staff_a))
        assert listing(client, staff_a, instance=b_instance) == {
            "tasks": [],
            "total": 0,
            "total_exact": True,
            "next": None,
        }
        assert listing(client, staff_a, org=world["b"])["tasks"] == []
        staff_b = token_for("mn-camthach.gv")
        assert ids(listing(client, staff_b, instance=b_instance)) == [world["b_task"]]


def test_the_total_is_capped_and_says_so(app, monkeypatch):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        start_plans(5)
        monkeypatch.setattr(queries_tasks, "TOTAL_CAP", 3)
        capped = listing(client, cttt, limit=2)
        assert capped["total"] == 3 and capped["total_exact"] is False
        whole = listing(client, cttt, limit=50)  # the first and last page: counted as listed
        assert whole["total"] == 5 and whole["total_exact"] is True


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("after=abc", "after"),
        ("after=-3", "after"),
        ("after=987654321", "after"),
        ("instance=x", "instance"),
        ("org=1.5", "org"),
        ("document=%C2%B2", "document"),
    ],
)
def test_bad_arguments_get_a_clear_400(app, query, argument):
    with app.app_context():
        client = IsolatedClient(app)
        response = client.get(f"/api/tasks?{query}", headers=token_for("pgddt.cttt"))
        assert response.status_code == 400
        body = response.get_json()
        assert body["argument"] == argument and f"`{argument}`" in body["error"]


def test_claimed_tasks_are_listed_in_their_scopes(app):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        plans = start_plans(3)
        claimed = open_task("draft_plan", instance_id=plans[1]).id
        assert client.post(f"/api/tasks/{claimed}/claim", headers=cttt).status_code == 200
        everything = listing(client, cttt)
        assert claimed in ids(everything) and len(ids(everything)) == 3 == everything["total"]
        assert ids(listing(client, cttt, scope="mine")) == [claimed]
        assert claimed not in ids(listing(client, cttt, scope="unclaimed"))
        assert ids(listing(client, cttt, scope="mine", instance=plans[0])) == []
        page = listing(client, cttt, limit=1)
        assert page["total"] == 3 and page["next"] is not None
