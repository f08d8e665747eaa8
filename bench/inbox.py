"""Scenario `inbox`: a busy inbox. On top of the seeded world, bulk-inserts synthetic schools (two users each:
staff and principal), one running instance per school and many open inbox rows (`human_task` + candidates,
written directly: the inbox reads only the projection); 10 % of them are offered to Phòng GDĐT's
specialists (CTTT's heavy inbox), 5 % are claimed. Then times web.queries.inbox and GET /api/tasks and the
HTML inbox page for a heavy and a typical user, and counts SQL statements (none may be per row). With that
many organisations it also times one Cascade.complete_task (the engine reads every organisation per step)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select, text

from bench.harness import (
    START,
    Client,
    Row,
    StatementCounter,
    Stopwatch,
    actor,
    check,
    open_tasks,
    seeded_app,
    timed_row,
    token_for,
)

NAME = "inbox"
DATABASES = ("postgres", "sqlite")


def _bulk(app, schools: int, tasks: int, rng: random.Random) -> dict:
    from models import db
    from models.org import Organisation, User, UserRole, bump_generation
    from models.workflow import HumanTask, HumanTaskCandidate, ProcessDefinition, ProcessInstance

    with app.app_context():
        s = db.session
        office = s.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        s.execute(
            Organisation.__table__.insert(),
            [
                {
                    "code": f"bench-s-{i}",
                    "name": f"Trường bench {i}",
                    "short_name": f"TB {i}",
                    "kind": "school",
                    "parent_id": office.id,
                    "school_level": "thcs",
                    "synthetic": True,
                }
                for i in range(schools)
            ],
        )
        bump_generation(s.connection(), Organisation.__tablename__)  # a bulk insert bypasses the ORM events
        org_ids = list(s.scalars(select(Organisation.id).where(Organisation.code.like("bench-s-%"))))
        password = s.scalars(select(User.password_hash)).first()
        s.execute(
            User.__table__.insert(),
            [
                {
                    "username": f"bench{i}.{r}",
                    "full_name": f"Người {i} {r}",
                    "password_hash": password,
                    "org_id": o,
                    "session_token": f"{i}{r}",
                }
                for i, o in enumerate(org_ids)
                for r in ("gv", "ht")
            ],
        )
        users = dict(s.execute(select(User.username, User.id).where(User.username.like("bench%"))).all())
        s.execute(
            UserRole.__table__.insert(),
            [{"user_id": uid, "role": "staff" if name.endswith(".gv") else "principal"} for name, uid in users.items()],
        )
        definition = s.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == "school_plan")).one()
        s.execute(
            ProcessInstance.__table__.insert(),
            [
                {
                    "definition_id": definition.id,
                    "process_key": "school_plan",
                    "org_id": o,
                    "title": "KH bench",
                    "serializer_version": "1.5",
                    "sender_org_id": office.id,
                    "summary": {},
                    "lock_version": 0,
                    "status": "running",
                    "started_at": START,
                }
                for o in org_ids
            ],
        )
        instances = dict(
            s.execute(
                select(ProcessInstance.org_id, ProcessInstance.id).where(ProcessInstance.title == "KH bench")
            ).all()
        )
        user_ids = list(users.values())
        task_rows, plan = [], []
        for k in range(tasks):
            school = org_ids[k % len(org_ids)]
            if k % 10 == 0:
                bpmn_id, cand = "office_review", (office.id, "specialist")
            elif k % 2:
                bpmn_id, cand = "draft_school_plan", (school, "staff")
            else:
                bpmn_id, cand = "principal_approval", (school, "principal")
            task_rows.append(
                {
                    "instance_id": instances[school],
                    "guid": f"bench-{k}",
                    "bpmn_id": bpmn_id,
                    "name": bpmn_id,
                    "org_id": cand[0],
                    "candidate_users": [],
                    "status": "open",
                    "created_at": START,
                    "assignee_id": rng.choice(user_ids) if k % 20 == 0 else None,
                    "due_at": START + timedelta(hours=rng.randrange(1, 24 * 30)),
                }
            )
            plan.append(cand)
        for chunk in range(0, tasks, 5000):
            s.execute(HumanTask.__table__.insert(), task_rows[chunk : chunk + 5000])
        ids = list(s.scalars(select(HumanTask.id).where(HumanTask.guid.like("bench-%")).order_by(HumanTask.id)))
        candidates = [
            {
                "human_task_id": i,
                "org_id": o,
                "role": r,
                "is_open": True,
                "claimed": row["assignee_id"] is not None,
                "due_at": row["due_at"],
                "created_at": row["created_at"],
            }
            for i, (o, r), row in zip(ids, plan, task_rows, strict=True)
        ]
        for chunk in range(0, len(candidates), 5000):
            s.execute(HumanTaskCandidate.__table__.insert(), candidates[chunk : chunk + 5000])
        s.commit()
        s.execute(text("ANALYZE"))  # planner statistics, as autovacuum would have them on a live database
        s.commit()
        open_total = s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
        return {"typical": "bench7.gv", "open": open_total, "orgs": s.scalar(select(func.count(Organisation.id)))}


def _html_inbox(app, counter, backend: str, label: str, username: str, reps: int) -> list[Row]:
    """The HTML inbox page for a logged-in user (a session cookie; CSRF is off in the bench app)."""
    page = Client(app)
    check(page.post("/login", data={"username": username, "password": "cascade-demo"}), 302)
    watch, statements = Stopwatch(), []
    for _ in range(reps):
        with counter.counting(), watch:
            r = page.get("/")
        check(r)
        statements.append(counter.count)
    row = timed_row(NAME, backend, f"GET / (HTML inbox), {label}", watch.samples, target="p95 ≤ 50 ms")
    row.met = row.p95 <= 50
    return [row, Row(NAME, backend, "  SQL statements per page", max(statements), "stmts")]


def run(backend: str, quick: bool) -> list[Row]:
    from models import db
    from models.org import Organisation
    from web import queries, warm_up
    from web.deps import cascade, store

    schools, tasks, reps = (1000, 20_000, 40) if quick else (5000, 100_000, 100)
    rows: list[Row] = []
    with seeded_app(backend) as app:
        facts = _bulk(app, schools, tasks, random.Random(8))
        warm_up(app)  # as wsgi.py does in production
        client = Client(app)
        with app.app_context():
            counter = StatementCounter(db.engine)
            heavy, typical = "pgddt.cttt", facts["typical"]
            for label, username in (("heavy (CTTT specialist)", heavy), ("typical (school staff)", typical)):
                who = actor(username)
                watch, sizes, statements = Stopwatch(), [], []
                for _ in range(reps):
                    db.session.remove()
                    with counter.counting(), watch:
                        got = queries.inbox(who)
                    sizes.append(len(got))
                    statements.append(counter.count)
                rows.append(timed_row(NAME, backend, f"queries.inbox, {label}: {sizes[0]} rows", watch.samples))
                rows.append(Row(NAME, backend, "  SQL statements per inbox query", max(statements), "stmts"))
                if backend == "postgres":  # diagnostic: the same query with PostgreSQL's JIT compiler off
                    watch = Stopwatch()
                    for _ in range(reps):
                        db.session.remove()
                        db.session.execute(text("SET jit = off"))
                        with watch:
                            queries.inbox(who)
                        db.session.execute(text("RESET jit"))
                    rows.append(timed_row(NAME, backend, "  diagnostic: same query, SET jit = off", watch.samples))

                token = token_for(username)
                watch, statements = Stopwatch(), []
                for _ in range(reps):
                    with counter.counting(), watch:
                        r = client.get("/api/tasks", headers=token)
                    check(r)
                    statements.append(counter.count)
                rows.append(timed_row(NAME, backend, f"GET /api/tasks, {label}", watch.samples, target="p95 ≤ 50 ms"))
                rows[-1].met = rows[-1].p95 <= 50
                rows.append(Row(NAME, backend, "  SQL statements per API request", max(statements), "stmts"))

                try:
                    rows += _html_inbox(app, counter, backend, label, username, reps)
                except Exception as exc:  # noqa: BLE001 - the page is optional; say why it was not measured
                    rows.append(Row(NAME, backend, f"GET / (HTML inbox), {label}: FAILED {exc!s:.60}", float("nan")))
            counter.close()

            # one task completion with this many organisations in the database
            who, engine = actor("pgddt.cttt"), cascade()
            school_id = db.session.scalars(select(Organisation.id).where(Organisation.kind == "school")).first()
            draft = {
                "trich_yeu": "KH",
                "noi_dung": "…",
                "han_nop": "2022-08-31",
                "noi_nhan": [{"org_id": school_id, "purpose": "thuc_hien"}],
            }
            ids = [engine.start_process(store(), who, "directive_plan") for _ in range(min(reps, 30))]
            watch = Stopwatch()
            for task in open_tasks("draft_plan", instance_ids=ids):
                db.session.remove()
                with watch:
                    engine.complete_task(store(), who, task.id, draft)
            rows.append(
                timed_row(
                    NAME, backend, f"Cascade.complete_task draft_plan, {facts['orgs']:,} organisations", watch.samples
                )
            )
    rows.insert(
        0,
        Row(NAME, backend, f"open tasks / synthetic schools / users +{2 * schools}", facts["open"], "tasks", n=schools),
    )
    return rows
