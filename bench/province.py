"""Scenarios `province` and `national` (issue 8): one plan fanning out to hundreds, then tens of thousands of
schools, on a synthetic tree bulk-inserted on top of the seeded Cẩm Phả world (codes `bench-…`, every row
labelled synthetic). Each district is shaped like the seeded Cẩm Phả: a city, its Phòng GDĐT (kind `office`,
symbol PGDĐT) with a CTTT section (specialist) and a VT section (clerk), a leader and a deputy at the office,
and its schools, each with a staff member and a principal. Everything after the bulk insert runs through the
real engine: `web.deps.cascade()` / `store()` and the router `Cascade.deliver_messages`.

`province` (SQLite and PostgreSQL), over the HTTP API like `campha`: 13 districts × 50 schools under
Quảng Ninh. The seeded Sở GDĐT drafts, approves and issues a plan to the 13 offices (each gets its
`directive_plan` instance); each office drafts, approves and registers its own plan to its usual
distribution (its schools implement). A register request numbers the plan and delivers its messages inline
(`DELIVER_INLINE`, as in production): it starts every school's `school_plan`, whose first task is "draft our
plan", and files the office's plan with the Sở. Fan-out = the 13 register requests until every school has that
task. Cẩm Phả's own 59-school fan-out is timed in the same database for the ratio. Last, each office opens one
quarterly reporting period as `flask open-period` does (`Cascade.open_period`, then inline delivery): one
`school_report` instance per school.

`national` (PostgreSQL only): a synthetic Bộ GDĐT → P provinces (a Sở GDĐT each) → D districts each → S
schools each. A driver process completes the tasks through `Cascade.complete_task` (what the requests do);
the Bộ's and the Sở's issues are delivered inline by the driver. The offices' register steps only write the
outbox; then W delivery worker processes (spawned, each a `flask worker`-like loop over
`Cascade.deliver_messages`, messages claimed `FOR UPDATE SKIP LOCKED`) drain it. Fan-out = the registrations
+ the drain. Each worker reads its own VmRSS (/proc/self/status) every 2 s and as the drain passes 10 %, 50 %
and 100 %. Each worker count gets a fresh database.

Sizes (environment variables):

    CASCADE_BENCH_PROVINCE=13x50          districts × schools for `province` (--quick: 5x50)
    CASCADE_BENCH_NATIONAL=63x11x65       provinces × districts × schools for `national` (--quick: 2x11x65);
                                          e.g. 7x11x65 = 5,005 schools, then extrapolate per school
    CASCADE_BENCH_NATIONAL_WORKERS=1,2    delivery worker counts, one fresh run each
    CASCADE_BENCH_WORKER_PROFILE=DIR      pyinstrument profile of each delivery worker, written to DIR

    .venv/bin/python -m bench.run --scenario province --db sqlite --db postgres
    CASCADE_BENCH_NATIONAL=7x11x65 .venv/bin/python -m bench.run --scenario national
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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
from engine.reporting import services as reporting_services

NAME = "province"
NATIONAL = "national"
NATIONAL_DATABASES = ("postgres",)
SOURCE = "synthetic: bench scenario (issue 8), not a real institution"
LEVELS = ("MN", "TH", "THCS")
NATIONAL_SCHOOLS = 45_000  # the target's size (63 × 11 × 65 = 45,045 by default)
SAMPLE_EVERY = 2.0  # seconds between memory samples
PLAN = {"trich_yeu": "Triển khai thực hiện mô hình An ninh cơ sở", "noi_dung": "Thực hiện Kế hoạch…"}
DEADLINE = "2022-08-31"


def _sizes(variable: str, default: str, sep: str = "x") -> tuple[int, ...]:
    raw = os.environ.get(variable) or default
    try:
        return tuple(int(x) for x in raw.lower().split(sep))
    except ValueError:
        raise SystemExit(f"{variable}={raw!r}: expected numbers joined by {sep!r}, e.g. {default}") from None


# ---------------------------------------------------------------------------------------------- tree -------
@dataclass
class Unit:
    """An issuing body: its organisation, its people by role and its plan's usual Nơi nhận."""

    org_id: int
    code: str
    people: dict[str, str]  # role -> username
    recipients: list[tuple[int, str]]  # (organisation, purpose), in default_distribution's order
    implementers: list[int] = field(default_factory=list)  # the `thuc_hien` recipients


@dataclass
class Tree:
    top: Unit  # issues the first plan: the seeded Sở GDĐT (`province`) or the synthetic Bộ GDĐT (`national`)
    departments: list[Unit]  # the synthetic Sở GDĐT (`national` only)
    offices: list[Unit]
    schools: list[int]
    orgs: int  # organisations in the database after the build
    users: int  # synthetic users added


def _org(code: str, name: str, short: str, kind: str, parent_id: int | None, **extra) -> dict:
    row = {
        "code": code,
        "name": name,
        "short_name": short,
        "kind": kind,
        "parent_id": parent_id,
        "ward_id": None,
        "school_level": None,
        "symbol": None,
        "grammar": None,
        "counter_scope": None,
        "place": None,
        "managing_body": None,
        "aliases": [],
        "synthetic": True,
        "source": SOURCE,
    }
    row.update(extra)
    return row


def _unit_org(code: str, name: str, short: str, kind: str, parent_id: int | None, symbol: str, place: str, body: str):
    return _org(
        code,
        name,
        short,
        kind,
        parent_id,
        symbol=symbol,
        grammar="state",
        counter_scope="year_shared",
        place=place,
        managing_body=body,
    )


def build_tree(app, provinces: int | None, districts: int, schools: int) -> Tree:
    """Bulk-insert the tree. `provinces=None`: `districts` districts under the seeded Quảng Ninh, the plan
    issued by the seeded Sở GDĐT; otherwise a Bộ GDĐT and `provinces` synthetic provinces with their Sở."""
    from models import db
    from models.org import Organisation, User, UserRole, bump_generation

    with app.app_context():
        s = db.session
        table = Organisation.__table__

        def insert(rows: list[dict]) -> dict[str, int]:
            for chunk in range(0, len(rows), 5000):
                s.execute(table.insert(), rows[chunk : chunk + 5000])
            return dict(
                s.execute(select(Organisation.code, Organisation.id).where(Organisation.code.like("bench-%"))).all()
            )

        seeded = dict(s.execute(select(Organisation.code, Organisation.id)).all())
        # level 0: the Bộ and the provinces; level 1: each province's Sở and its cities
        if provinces is None:
            province_ids = [seeded["qn"]]
            ids: dict[str, int] = {}
        else:
            level0 = [
                _unit_org(
                    "bench-bgddt",
                    "Bộ Giáo dục và Đào tạo (bench)",
                    "Bộ GDĐT",
                    "department",
                    None,
                    "BGDĐT",
                    "Hà Nội",
                    "",
                )
            ]
            level0 += [_org(f"bench-p{p}", f"Tỉnh bench {p}", f"Tỉnh {p}", "province", None) for p in range(provinces)]
            ids = insert(level0)
            province_ids = [ids[f"bench-p{p}"] for p in range(provinces)]
        level1 = []
        for p, pid in enumerate(province_ids):
            prefix = "bench" if provinces is None else f"bench-p{p}"
            if provinces is not None:
                level1.append(
                    _unit_org(
                        f"{prefix}-sgddt",
                        f"Sở Giáo dục và Đào tạo tỉnh bench {p}",
                        "Sở GDĐT",
                        "department",
                        pid,
                        "SGDĐT",
                        f"Tỉnh {p}",
                        f"UBND TỈNH BENCH {p}",
                    )
                )
            for d in range(districts):
                level1.append(_org(f"{prefix}-d{d}", f"Huyện bench {p}.{d}", f"Huyện {p}.{d}", "city", pid))
        ids = insert(level1)
        level2 = []
        district_codes = []
        for p in range(len(province_ids)):
            prefix = "bench" if provinces is None else f"bench-p{p}"
            for d in range(districts):
                city = f"{prefix}-d{d}"
                district_codes.append((p, city))
                level2.append(
                    _unit_org(
                        f"{city}-pgddt",
                        f"Phòng Giáo dục và Đào tạo huyện bench {p}.{d}",
                        "Phòng GDĐT",
                        "office",
                        ids[city],
                        "PGDĐT",
                        f"Huyện {p}.{d}",
                        f"UBND HUYỆN BENCH {p}.{d}",
                    )
                )
        ids = insert(level2)
        level3 = []
        for _p, city in district_codes:
            office = f"{city}-pgddt"
            oid = ids[office]
            level3.append(_org(f"{office}-cttt", "Bộ phận Chính trị tư tưởng", "CTTT", "section", oid))
            level3.append(_org(f"{office}-vt", "Bộ phận Văn thư", "VT", "section", oid))
            for k in range(schools):
                level = LEVELS[k % len(LEVELS)]
                level3.append(
                    _org(
                        f"{office}-s{k}",
                        f"Trường {level} bench {city[6:]}.{k}",
                        f"{level} bench {k}",
                        "school",
                        oid,
                        school_level=level,
                        symbol=f"{level}B{k}",
                        grammar="state",
                        counter_scope="year_shared",
                        managing_body="PHÒNG GD&ĐT (BENCH)",
                    )
                )
        ids = insert(level3)
        bump_generation(s.connection(), Organisation.__tablename__)  # a bulk insert bypasses the ORM events

        # people: username = organisation code + role
        staffing: list[tuple[str, str, str]] = []  # (username, organisation code, role)
        heads = ["bench-bgddt"] + [f"bench-p{p}-sgddt" for p in range(provinces or 0)] if provinces else []
        for code in heads:
            staffing += [(f"{code}.{r}", code, r) for r in ("leader", "deputy", "specialist", "clerk")]
        for _p, city in district_codes:
            office = f"{city}-pgddt"
            staffing += [(f"{office}.leader", office, "leader"), (f"{office}.deputy", office, "deputy")]
            staffing += [(f"{office}.specialist", f"{office}-cttt", "specialist")]
            staffing += [(f"{office}.clerk", f"{office}-vt", "clerk")]
            for k in range(schools):
                school = f"{office}-s{k}"
                staffing += [(f"{school}.staff", school, "staff"), (f"{school}.principal", school, "principal")]
        password = s.scalars(select(User.password_hash)).first()
        user_rows = [
            {
                "username": name,
                "full_name": f"Người bench {n}",
                "title": role,
                "password_hash": password,
                "org_id": ids[code],
                "session_token": f"bench{n}",
                "synthetic": True,
            }
            for n, (name, code, role) in enumerate(staffing)
        ]
        for chunk in range(0, len(user_rows), 5000):
            s.execute(User.__table__.insert(), user_rows[chunk : chunk + 5000])
        user_ids = dict(s.execute(select(User.username, User.id).where(User.username.like("bench-%"))).all())
        role_rows = [{"user_id": user_ids[name], "role": role} for name, _code, role in staffing]
        for chunk in range(0, len(role_rows), 5000):
            s.execute(UserRole.__table__.insert(), role_rows[chunk : chunk + 5000])
        s.commit()
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE"))  # planner statistics, as autovacuum would have them on a live database
            s.commit()

        def people(code: str) -> dict[str, str]:
            return {r: f"{code}.{r}" for r in ("leader", "deputy", "specialist", "clerk")}

        offices, by_province = [], {}
        for p, city in district_codes:
            office = f"{city}-pgddt"
            school_ids = [ids[f"{office}-s{k}"] for k in range(schools)]
            dept = seeded["qn-sgddt"] if provinces is None else ids[f"bench-p{p}-sgddt"]
            unit = Unit(
                ids[office],
                office,
                people(office),
                [(dept, "bao_cao"), (ids[office], "chi_dao")]
                + [(o, "thuc_hien") for o in school_ids]
                + [(ids[f"{office}-cttt"], "luu"), (ids[f"{office}-vt"], "luu")],
                school_ids,
            )
            offices.append(unit)
            by_province.setdefault(p, []).append(unit)
        departments = []
        if provinces is None:
            implementers = [u.org_id for u in offices]
            top = Unit(
                seeded["qn-sgddt"],
                "qn-sgddt",
                {"specialist": "sgddt.chuyenvien", "deputy": "sgddt.pho", "clerk": "sgddt.vanthu"},
                [(seeded["qn-ubnd"], "bao_cao")] + [(o, "thuc_hien") for o in implementers],
                implementers,
            )
        else:
            for p in range(provinces):
                code = f"bench-p{p}-sgddt"
                implementers = [u.org_id for u in by_province[p]]
                departments.append(
                    Unit(ids[code], code, people(code), [(o, "thuc_hien") for o in implementers], implementers)
                )
            implementers = [u.org_id for u in departments]
            top = Unit(
                ids["bench-bgddt"],
                "bench-bgddt",
                people("bench-bgddt"),
                [(o, "thuc_hien") for o in implementers],
                implementers,
            )
        return Tree(
            top=top,
            departments=departments,
            offices=offices,
            schools=[o for u in offices for o in u.implementers],
            orgs=s.scalar(select(func.count(Organisation.id))),
            users=len(staffing),
        )


def _recipients(unit: Unit) -> list[dict]:
    return [{"org_id": o, "purpose": p} for o, p in unit.recipients]


def _draft(unit: Unit) -> dict:
    return {"loai_van_ban": "KH", **PLAN, "han_nop": DEADLINE, "noi_nhan": _recipients(unit)}


def _open_by_org(bpmn_id: str, org_ids: list[int]) -> dict[int, int]:
    """Open inbox rows with this BPMN id, by the organisation of their instance: {org id: task id}."""
    from models import db
    from models.workflow import HumanTask, ProcessInstance

    db.session.rollback()
    out: dict[int, int] = {}
    for chunk in range(0, len(org_ids), 1000):
        stmt = (
            select(ProcessInstance.org_id, HumanTask.id)
            .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
            .where(
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.status == "open",
                ProcessInstance.org_id.in_(org_ids[chunk : chunk + 1000]),
            )
        )
        out.update(db.session.execute(stmt).all())
    return out


def _open_school_drafts(schools: list[int]) -> int:
    """How many of these schools have their "draft our plan" task open; raises if a school got two instances
    (a message delivered twice)."""
    from models import db
    from models.workflow import ProcessInstance

    started = sum(
        db.session.scalar(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.process_key == "school_plan", ProcessInstance.org_id.in_(schools[i : i + 1000])
            )
        )
        for i in range(0, len(schools), 1000)
    )
    if started != len(schools):
        raise RuntimeError(f"{started} school_plan instances for {len(schools)} schools")
    return len(_open_by_org("draft_school_plan", schools))


def _pending() -> tuple[int, int]:
    from models import db
    from models.workflow import Message

    db.session.rollback()
    counts = dict(db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
    return counts.get("pending", 0), counts.get("failed", 0)


# ---------------------------------------------------------------------------------------------- province ---
def _http_walk(app, client: Client, tokens: dict, unit: Unit) -> tuple[int, list[float]]:
    """Start a plan at one issuing body, then draft, approve, register it over the API; returns the instance
    and the three request times (ms). The last request numbers the plan and delivers its messages inline."""
    r = client.post("/api/processes/directive_plan/instances", headers=tokens[unit.people["specialist"]], json={})
    check(r, 201)
    instance_id = r.get_json()["id"]
    out = []
    for bpmn_id, role, form in (
        ("draft_plan", "specialist", _draft(unit)),
        ("approve_plan", "deputy", {"quyet_dinh": "approve"}),
        ("register_plan", "clerk", {"noi_nhan": _recipients(unit)}),
    ):
        with app.app_context():
            (task,) = open_tasks(bpmn_id, instance_ids=[instance_id])
        t = time.perf_counter()
        r = client.post(f"/api/tasks/{task.id}/complete", headers=tokens[unit.people[role]], json=form)
        out.append((time.perf_counter() - t) * 1000)
        check(r)
    return instance_id, out


def _campha_unit(app) -> Unit:
    """Phòng GDĐT Cẩm Phả with its usual distribution (59 schools implement, Công an TP coordinates)."""
    from engine.documents.distribution import default_distribution
    from models import db
    from models.org import Organisation
    from web.deps import store

    with app.app_context():
        s = store()
        office = db.session.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        chosen = default_distribution(s.org(office.id), s.orgs())
        return Unit(
            office.id,
            "cp-pgddt",
            {"specialist": "pgddt.cttt", "deputy": "pgddt.pho", "clerk": "pgddt.vanthu"},
            chosen,
            [o for o, p in chosen if p == "thuc_hien"],
        )


def _reporting_period(app, tree: Tree) -> tuple[list[float], int]:
    """One quarterly reporting period at every synthetic office, opened as `flask open-period` and the web's
    "Mở kỳ báo cáo" do: Cascade.open_period (the office's compiling instance, one message per school), then
    the outbox delivered inline (each school's `school_report` starts, its first task "fill in the report").
    Returns ms per office and how many schools have that task."""
    from engine.core.clock import VN_TZ, clock
    from models import db
    from models.report import ReportingRegime
    from web.deps import cascade, store

    with app.app_context():
        db.session.execute(
            ReportingRegime.__table__.insert(),
            [
                {
                    "name": "Báo cáo kết quả thực hiện kế hoạch (bench) — hằng quý",
                    "kind": "periodic",
                    "frequency": "quarterly",
                    "receiver_id": unit.org_id,
                    "reporter_kind": "school",
                    "school_deadline_days": 2,
                    "office_deadline_days": 5,
                    "report_to": ["qn-sgddt"],
                    "active": True,
                }
                for unit in tree.offices
            ],
        )
        db.session.commit()
        regimes = dict(db.session.execute(select(ReportingRegime.receiver_id, ReportingRegime.id)).all())
        who = {u.org_id: actor(u.people["specialist"]) for u in tree.offices}
        clock.freeze(datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))  # the day after the Q3 cut-off (14/9)
        watch = Stopwatch()
        for unit in tree.offices:
            db.session.remove()
            with watch:
                reporting_services.open_period(cascade(), store(), who[unit.org_id], regimes[unit.org_id], 2022, 3)
                cascade().deliver_messages(store(), limit=100_000)
        db.session.remove()
        return watch.samples, len(_open_by_org("fill_report", tree.schools))


def run(backend: str, quick: bool) -> list[Row]:
    """Scenario `province`: the Sở's plan to 13 offices, each office's plan to its 50 schools (HTTP)."""
    from models import db
    from models.document import Document, DocumentRecipient
    from models.workflow import ProcessInstance

    districts, schools = _sizes("CASCADE_BENCH_PROVINCE", "5x50" if quick else "13x50")
    rows: list[Row] = []
    with seeded_app(backend) as app:
        t = time.perf_counter()
        tree = build_tree(app, None, districts, schools)
        build_s = time.perf_counter() - t
        campha = _campha_unit(app)
        client = Client(app)
        with app.app_context():
            names = {u for unit in (tree.top, campha, *tree.offices) for u in unit.people.values()}
            tokens = {name: token_for(name) for name in names}

        # the Sở's plan: one register request starts the 13 offices' instances inline
        so_instance, so_times = _http_walk(app, client, tokens, tree.top)
        with app.app_context():
            offices_started = len(_open_by_org("draft_plan", [u.org_id for u in tree.offices]))
        if offices_started != len(tree.offices):
            raise RuntimeError(f"{offices_started} offices have their draft task, expected {len(tree.offices)}")

        drafts, approvals = Stopwatch(), Stopwatch()
        for unit in tree.offices:  # every office drafts and its deputy approves; none registers yet
            for bpmn_id, role, form, watch in (
                ("draft_plan", "specialist", _draft(unit), drafts),
                ("approve_plan", "deputy", {"quyet_dinh": "approve"}, approvals),
            ):
                with app.app_context():
                    (task,) = open_tasks(bpmn_id, org_ids=[unit.org_id])
                with watch:
                    r = client.post(f"/api/tasks/{task.id}/complete", headers=tokens[unit.people[role]], json=form)
                check(r)

        # the fan-out: each office's register request numbers its plan and starts its schools' instances
        with app.app_context():
            registers = [(u, open_tasks("register_plan", org_ids=[u.org_id])[0].id) for u in tree.offices]
        fan_out = Stopwatch()
        with app.app_context():
            counter = StatementCounter(db.engine)
        started = time.perf_counter()
        with counter.counting():
            for unit, task_id in registers:
                with fan_out:
                    r = client.post(
                        f"/api/tasks/{task_id}/complete",
                        headers=tokens[unit.people["clerk"]],
                        json={"noi_nhan": _recipients(unit)},
                    )
                check(r)
        total_s = time.perf_counter() - started  # inline delivery: the schools' tasks exist when requests return
        statements = counter.count
        counter.close()
        with app.app_context():
            pending, failed = _pending()
            ready = _open_school_drafts(tree.schools)
        if ready != len(tree.schools) or pending or failed:
            raise RuntimeError(f"{ready}/{len(tree.schools)} schools ready, {pending} pending, {failed} failed")

        # Cẩm Phả's own plan in the same database: its register request starts 59 schools + Công an TP
        _campha_instance, campha_times = _http_walk(app, client, tokens, campha)
        period_ms, reporting = _reporting_period(app, tree)
        with app.app_context():
            db.session.rollback()
            instances = db.session.scalar(select(func.count()).select_from(ProcessInstance))
            filed = db.session.scalar(
                select(func.count())
                .select_from(DocumentRecipient)
                .join(Document, DocumentRecipient.document_id == Document.id)
                .where(Document.issuing_instance_id == so_instance, DocumentRecipient.responded_at.is_not(None))
            )

    n = len(tree.schools)
    per_office = fan_out.samples
    per_school = total_s * 1000 / n
    campha_starts = len(campha.implementers) + sum(1 for _o, p in campha.recipients if p == "phoi_hop")
    campha_per_start = campha_times[2] / campha_starts
    rows += [
        Row(
            NAME, backend, f"tree: {districts} districts × {schools} schools, {tree.orgs:,} organisations", build_s, "s"
        ),
        Row(NAME, backend, "  synthetic users (4 per office, 2 per school)", tree.users, "users"),
        Row(NAME, backend, f"Sở issues to {districts} offices (1 register request)", so_times[2], "ms"),
        timed_row(NAME, backend, "office draft_plan (HTTP)", drafts.samples),
        timed_row(NAME, backend, "office approve_plan (HTTP)", approvals.samples),
        timed_row(NAME, backend, f"fan-out per office: register → {schools} schools (1 request)", per_office),
        Row(
            NAME,
            backend,
            f"fan-out: {districts} register requests → {n} schools",
            total_s,
            "s",
            n=districts,
            target="≤ 1.5 s" if n >= 600 and backend == "postgres" else "",  # issue 18 (issue 8: ≤ 5 s)
            met=(total_s <= 1.5) if n >= 600 and backend == "postgres" else None,
        ),
        Row(NAME, backend, "  per school (total / schools)", per_school, "ms"),
        Row(NAME, backend, f"  SQL statements per school ({districts} requests)", statements / n, "stmts"),
        Row(NAME, backend, "  schools with their draft task open", ready, "schools"),
        Row(
            NAME, backend, f"Cẩm Phả fan-out, same database: {campha_starts} starts (1 request)", campha_times[2], "ms"
        ),
        Row(NAME, backend, "  per started instance", campha_per_start, "ms"),
        Row(NAME, backend, f"ratio: per school, {n} schools / Cẩm Phả", per_school / campha_per_start, "×"),
        Row(NAME, backend, f"ratio: fan-out total / Cẩm Phả's {campha_starts}", total_s * 1000 / campha_times[2], "×"),
        timed_row(NAME, backend, f"reporting period opened per office: → {schools} school reports", period_ms),
        Row(NAME, backend, f"  {districts} offices → {n} school reports", sum(period_ms) / 1000, "s"),
        Row(NAME, backend, "  per school report", sum(period_ms) / n, "ms"),
        Row(NAME, backend, "  schools with their fill-in task open", reporting, "schools"),
        Row(NAME, backend, "  instances in the database at the end", instances, "inst"),
        Row(NAME, backend, "  offices' plans filed with the Sở (plan_filed delivered)", filed, "offices"),
    ]
    return rows


# ---------------------------------------------------------------------------------------------- national ---
def _status_kb(pid: int | str, key: str) -> int:
    """VmRSS / VmHWM of a process, in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


MARKS = (0.10, 0.50)  # fractions of the drain at which each worker reads its memory (and at its end: 100 %)


def _loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def _delivery_worker(index, uri, frozen_at, ready, go, delivered, expected, results, profile_dir) -> None:
    """One delivery worker (a spawned process): what `flask worker` does for messages, until none is left.
    Reads its own VmRSS every SAMPLE_EVERY s and when the drain (all workers together) passes each of MARKS."""
    import logging

    logging.disable(logging.WARNING)
    from engine.core.clock import clock
    from models import db
    from models.workflow import Message
    from web import create_app
    from web.deps import cascade, store

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SERVER_NAME": "localhost"})
    clock.freeze(datetime.fromisoformat(frozen_at))
    with app.app_context():
        # a long-running worker has its caches warm: organisations, definitions, parsed diagrams
        s = store()
        s.orgs()
        for key in ("school_plan", "directive_plan"):
            cascade().runtime.new(s.definition(s.latest_definition(key).id))
        db.session.remove()
        idle_kb = _status_kb("self", "VmRSS")
        ready.put(index)
        go.wait()
        profiler = None
        if profile_dir:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        started = last_sample = time.perf_counter()
        cpu_started = sum(os.times()[:2])
        samples = [(0.0, 0.0, idle_kb)]  # (s since go, fraction drained, VmRSS KiB)
        marks: dict[float, tuple[float, int]] = {}  # mark -> (s since go, VmRSS KiB)
        mine = 0
        while True:
            n = cascade().deliver_messages(store(), limit=20)
            db.session.remove()
            mine += n
            with delivered.get_lock():
                delivered.value += n
                fraction = delivered.value / max(1, expected.value)
            now = time.perf_counter()
            for mark in MARKS:
                if fraction >= mark and mark not in marks:
                    marks[mark] = (now - started, _status_kb("self", "VmRSS"))
            if now - last_sample >= SAMPLE_EVERY:
                samples.append((now - started, fraction, _status_kb("self", "VmRSS")))
                last_sample = now
            if n == 0:
                pending = db.session.scalar(
                    select(func.count()).select_from(Message).where(Message.status == "pending")
                )
                db.session.remove()
                if not pending:
                    break
                time.sleep(0.02)  # the rest are being delivered by another worker, or wait for a retry
        busy = time.perf_counter() - started
        cpu = sum(os.times()[:2]) - cpu_started
        end_kb, hwm_kb = _status_kb("self", "VmRSS"), _status_kb("self", "VmHWM")  # before a profile is rendered
        if profiler is not None:
            profiler.stop()
            Path(profile_dir).mkdir(parents=True, exist_ok=True)
            (Path(profile_dir) / f"worker-{index}.txt").write_text(
                profiler.output_text(unicode=True, color=False, show_all=False)
            )
            (Path(profile_dir) / f"worker-{index}.html").write_text(profiler.output_html())
    results.put(
        {
            "index": index,
            "delivered": mine,
            "busy_s": busy,
            "cpu_s": cpu,
            "idle_kb": idle_kb,
            "marks": marks,
            "samples": samples,
            "rss_kb": end_kb,
            "hwm_kb": hwm_kb,
            "profiled": profiler is not None,
        }
    )


def _complete_all(engine, who: dict[str, object], tasks: list[tuple[str, int, dict]], deliver: bool) -> list[float]:
    """Complete (username, task id, form) one after another through Cascade, a fresh session each (as a
    request); `deliver` also delivers the outbox inline as the request would. Returns ms per completion."""
    from models import db
    from web.deps import store

    watch = Stopwatch()
    for username, task_id, form in tasks:
        db.session.remove()
        with watch:
            engine.complete_task(store(), who[username], task_id, form)
            if deliver:
                engine.deliver_messages(store(), limit=100_000)
    db.session.remove()
    return watch.samples


def _walk_units(engine, who, units: list[Unit], steps: tuple[str, ...], deliver_last: bool) -> dict[str, list[float]]:
    """Each unit's open directive_plan steps, step by step across all units (all drafts, then approvals…)."""
    forms = {
        "draft_plan": ("specialist", _draft),
        "approve_plan": ("deputy", lambda u: {"quyet_dinh": "approve"}),
        "register_plan": ("clerk", lambda u: {"noi_nhan": _recipients(u)}),
    }
    out = {}
    for bpmn_id in steps:
        role, form = forms[bpmn_id]
        open_ = _open_by_org(bpmn_id, [u.org_id for u in units])
        if len(open_) != len(units):
            raise RuntimeError(f"{len(open_)} open {bpmn_id} for {len(units)} units")
        tasks = [(u.people[role], open_[u.org_id], form(u)) for u in units]
        out[bpmn_id] = _complete_all(engine, who, tasks, deliver=deliver_last and bpmn_id == "register_plan")
    return out


def _national_round(sizes: tuple[int, int, int], workers: int) -> list[Row]:
    from models import db
    from web.deps import cascade, store

    provinces, districts, schools = sizes
    tag = f"{workers} worker{'s' if workers > 1 else ''}"
    ctx = multiprocessing.get_context("spawn")
    walk = ("draft_plan", "approve_plan", "register_plan")
    with seeded_app("postgres") as app:
        t = time.perf_counter()
        tree = build_tree(app, provinces, districts, schools)
        build_s = time.perf_counter() - t
        n = len(tree.schools)
        campha = _campha_unit(app)
        with app.app_context():
            engine = cascade()
            people = {u for unit in (tree.top, campha, *tree.departments, *tree.offices) for u in unit.people.values()}
            who = {name: actor(name) for name in people}
            db.session.remove()
            driver_rss = [("start", _status_kb("self", "VmRSS"))]

            # the Bộ's plan to the provinces' Sở, then each Sở's plan to its offices, delivered inline
            t = time.perf_counter()
            engine.start_process(store(), who[tree.top.people["specialist"]], "directive_plan")
            db.session.remove()
            top_times = _walk_units(engine, who, [tree.top], walk, True)
            so_times = _walk_units(engine, who, tree.departments, walk, True)
            upper_s = time.perf_counter() - t
            # the offices draft and approve
            t = time.perf_counter()
            office_times = _walk_units(engine, who, tree.offices, walk[:2], False)
            office_s = time.perf_counter() - t
            driver_rss.append(("before the fan-out", _status_kb("self", "VmRSS")))

            # delivery workers, started and warm before the clock starts (as long-running `flask worker`s)
            delivered, expected = ctx.Value("q", 0), ctx.Value("q", 0)
            go, ready, results = ctx.Event(), ctx.Queue(), ctx.Queue()
            uri = db.engine.url.render_as_string(hide_password=False)
            profile_dir = os.environ.get("CASCADE_BENCH_WORKER_PROFILE")
            if profile_dir:
                profile_dir = str(Path(profile_dir) / f"national-{workers}w")
            procs = [
                ctx.Process(
                    target=_delivery_worker,
                    args=(i, uri, START.isoformat(), ready, go, delivered, expected, results, profile_dir),
                    daemon=True,
                )
                for i in range(workers)
            ]
            for p in procs:
                p.start()
            for _ in procs:
                ready.get(timeout=600)

            # the fan-out: every office registers (numbered, outbox written), then the workers drain the outbox
            started = time.perf_counter()
            register = _walk_units(engine, who, tree.offices, walk[2:], False)["register_plan"]
            registered_s = time.perf_counter() - started
            pending, _failed = _pending()
            db.session.remove()
            expected.value = pending
            load_before = _loadavg()
            go.set()
            done = sorted((results.get(timeout=6 * 3600) for _ in procs), key=lambda d: d["index"])
            load_after = _loadavg()
            # the drain ends when the last worker finds the outbox empty (a worker's profile is rendered after)
            drain_s = max(d["busy_s"] for d in done)
            total_s = registered_s + drain_s
            for p in procs:
                p.join(timeout=60)
            driver_rss.append(("after the fan-out", _status_kb("self", "VmRSS")))
            pending_after, failed = _pending()
            ready_schools = _open_school_drafts(tree.schools)
            if ready_schools != n or pending_after or failed:
                raise RuntimeError(f"{ready_schools}/{n} schools ready, {pending_after} pending, {failed} failed")

            # Cẩm Phả's own fan-out in the same database, delivered inline by the driver (the ratio's base). The
            # drain grew the tables 10-100×: ANALYZE first, as autovacuum would (this server runs without it), or
            # the driver's plans, cached while the tables were small, scan them (527 ms instead of 233 at 5,005)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            engine.start_process(store(), who["pgddt.cttt"], "directive_plan")
            db.session.remove()
            campha_ms = _walk_units(engine, who, [campha], walk, True)["register_plan"][0]
            campha_starts = sum(1 for _o, p in campha.recipients if p in ("thuc_hien", "phoi_hop"))

    db_ = "postgres"
    offices = len(tree.offices)
    per_school = total_s * 1000 / n
    rows = [
        Row(NATIONAL, db_, f"tree: {provinces} provinces × {districts} districts × {schools} schools", build_s, "s"),
        Row(NATIONAL, db_, "  organisations in the database", tree.orgs, "orgs"),
        Row(NATIONAL, db_, "  synthetic users", tree.users, "users"),
        Row(NATIONAL, db_, f"Bộ register → {provinces} Sở (inline delivery)", top_times["register_plan"][0]),
        timed_row(NATIONAL, db_, f"Sở register → {districts} offices (inline delivery)", so_times["register_plan"]),
        Row(NATIONAL, db_, "  Bộ + every Sở: draft, approve, register, deliver", upper_s, "s"),
        timed_row(NATIONAL, db_, "office draft_plan (Cascade.complete_task)", office_times["draft_plan"]),
        timed_row(NATIONAL, db_, "office approve_plan (Cascade.complete_task)", office_times["approve_plan"]),
        Row(NATIONAL, db_, f"  {offices} offices: draft + approve", office_s, "s"),
        timed_row(NATIONAL, db_, f"fan-out 1/2: register_plan per office ({schools} messages)", register),
        Row(NATIONAL, db_, f"  {offices} registrations", registered_s, "s"),
        Row(NATIONAL, db_, f"fan-out 2/2: drain {pending:,} messages, {tag}", drain_s, "s", n=workers),
        Row(NATIONAL, db_, "  schools started per second", n / drain_s, "/s"),
        Row(
            NATIONAL, db_, "  worker time per message (drain × workers / messages)", drain_s * 1000 * workers / pending
        ),
    ]
    for d in done:
        rows.append(Row(NATIONAL, db_, f"  worker {d['index']}: messages delivered", d["delivered"], "msgs"))
        rows.append(Row(NATIONAL, db_, f"  worker {d['index']}: CPU time / wall time", d["cpu_s"] / d["busy_s"], "×"))
    rows.append(Row(NATIONAL, db_, f"  machine load average (1 min) before / after: {load_before}", load_after, ""))
    t10 = min(d["marks"].get(0.10, (drain_s, 0))[0] for d in done)
    t50 = min(d["marks"].get(0.50, (drain_s, 0))[0] for d in done)
    rows.append(
        Row(NATIONAL, db_, "  drain time 10→50 % ÷ 50→100 % (constant rate: 0.8)", (t50 - t10) / (drain_s - t50))
    )
    rows[-1].unit = "×"
    full = n >= NATIONAL_SCHOOLS
    rows.append(
        Row(
            NATIONAL,
            db_,
            f"fan-out: {offices} registrations + drain → {n:,} schools, {tag}",
            total_s / 60,
            "min",
            target="≤ 1.5 min" if full and workers == 2 else "",  # issue 18: 90 s with 2 workers (issue 8: 10 min)
            met=(total_s <= 90) if full and workers == 2 else None,
        )
    )
    rows.append(Row(NATIONAL, db_, "  per school (total / schools)", per_school, "ms"))
    if not full:
        scaled = per_school * 45_045 / 60_000
        rows.append(
            Row(
                NATIONAL,
                db_,
                "  × 45,045 schools (linear)",
                scaled,
                "min",
                target="≤ 1.5 min" if workers == 2 else "",
                met=scaled <= 1.5 if workers == 2 else None,
            )
        )
    rows.append(Row(NATIONAL, db_, f"Cẩm Phả fan-out, same database, inline ({campha_starts} starts)", campha_ms))
    rows.append(
        Row(NATIONAL, db_, "ratio: per school, national / Cẩm Phả inline", per_school * campha_starts / campha_ms)
    )
    rows[-1].unit = "×"
    for d in done:  # memory of each worker at go, 10 %, 50 %, 100 % of the drain
        marks = [d["idle_kb"], d["marks"].get(0.10, (0, 0))[1], d["marks"].get(0.50, (0, 0))[1], d["rss_kb"]]
        growth = marks[3] / (marks[1] or marks[0])
        label = " / ".join(f"{m / 1024:.0f}" if m else "–" for m in marks)  # – : this worker never saw that mark
        if d["profiled"]:
            label += " (profiled: the profiler's samples are in it)"
        peak = max(kb for _t, _f, kb in d["samples"])
        rows.append(
            Row(NATIONAL, db_, f"worker {d['index']} VmRSS MiB at go / 10 % / 50 % / 100 %: {label}", marks[3] / 1024)
        )
        rows[-1].unit = "MiB"
        rows.append(
            Row(
                NATIONAL,
                db_,
                f"  worker {d['index']} RSS 100 % ÷ 10 %",
                growth,
                "×",
                target="≤ 1.1×",
                met=growth <= 1.1,
            )
        )
        rows.append(Row(NATIONAL, db_, f"  worker {d['index']} VmHWM (peak resident)", d["hwm_kb"] / 1024, "MiB"))
        rows.append(
            Row(
                NATIONAL,
                db_,
                f"  worker {d['index']} max of {len(d['samples'])} samples (every {SAMPLE_EVERY:g} s)",
                peak / 1024,
                "MiB",
            )
        )
    label = ", ".join(f"{what} {kb / 1024:.0f}" for what, kb in driver_rss)
    rows.append(Row(NATIONAL, db_, f"driver VmRSS MiB: {label}", driver_rss[-1][1] / 1024, "MiB"))
    return rows


def run_national(backend: str, quick: bool) -> list[Row]:
    """Scenario `national` (PostgreSQL): Bộ → provinces → districts → schools, W delivery workers."""
    if backend != "postgres":
        return []
    sizes = _sizes("CASCADE_BENCH_NATIONAL", "2x11x65" if quick else "63x11x65")
    if len(sizes) != 3:
        raise SystemExit("CASCADE_BENCH_NATIONAL: provinces x districts x schools, e.g. 63x11x65")
    rows: list[Row] = []
    for workers in _sizes("CASCADE_BENCH_NATIONAL_WORKERS", "1,2", sep=","):
        rows += _national_round(sizes, workers)
    return rows
