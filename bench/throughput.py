"""Scenario `throughput`: task completions per second through a real server, `gunicorn -w 2` (and `-w 4`) on
127.0.0.1 against PostgreSQL, driven by C concurrent HTTP clients (threads, one keep-alive HTTP/1.1 socket
each: `Poster`).

What is completed: `draft_school_plan`, the first task of a school's `school_plan`, by the school's own staff
member with their own API token. Phòng GDĐT issues one directive after another to its 59 schools (the real
fan-out path: draft, approve, register, deliver), so the open tasks are spread over 59 organisations, 59 users
and one instance each. That is the shape of the load the target is about (many units answering a directive at
once); `directive_plan.draft_plan` would put every request on one office and one user. The step saves the
form, moves the instance to `principal_approval` and sends no message.

Every client completes distinct tasks (no races, so every answer must be 200). Afterwards the database must
show each of them completed exactly once, by the right person, with one `task.complete` audit row and one open
`principal_approval`. Measured in the same run: one client on its own (the single-request latency), CPU seconds
of the gunicorn workers, of the PostgreSQL backends and of the load generator per completion, and samples of
what the backends were waiting on.

    .venv/bin/python -m bench.run --scenario throughput --db postgres [--quick]
    .venv/bin/python -m bench.throughput --workers 2 --clients 16 --completions 1000 --pyspy /tmp/prof
    .venv/bin/python -m bench.throughput --workers 2 --clients 8 --completions 400 --profile /tmp/prof   # no py-spy
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time
from collections import Counter, deque
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, text

from bench.harness import PG_ADMIN_URL, PG_URL, Row, actor, percentile, seeded_app, stats, token_for
from bench.server import Server, free_port, gunicorn  # noqa: F401 - re-exported: other scenarios import them here

NAME = "throughput"
DATABASES = ("postgres",)  # the target names PostgreSQL; gunicorn workers on one SQLite file would serialise
TARGET = 500.0  # completions per second with gunicorn -w 2 (issue 18)
TICK = os.sysconf("SC_CLK_TCK")
SIZES = {  # worker counts, client counts, completions per (workers, clients), single-client samples, warm-up
    False: {"workers": (2, 4), "clients": (8, 16, 32), "completions": 1000, "single": 100, "warmup": 20},
    True: {"workers": (2, 4), "clients": (8, 32), "completions": 200, "single": 30, "warmup": 10},
}


# ---------------------------------------------------------------------------------------------- data -------
@dataclass
class World:
    """Open draft_school_plan tasks (oldest first) and each school's staff token."""

    tasks: deque = field(default_factory=deque)  # (task id, instance id, school org id)
    tokens: dict[int, str] = field(default_factory=dict)  # school org id -> bearer token
    staff: dict[int, int] = field(default_factory=dict)  # school org id -> user id
    directives: int = 0

    def take(self, n: int) -> list[tuple[int, int, int]]:
        if len(self.tasks) < n:
            raise RuntimeError(f"only {len(self.tasks)} open tasks left, {n} wanted")
        return [self.tasks.popleft() for _ in range(n)]


def build(app, instances: int) -> World:
    """Issue directives from Phòng GDĐT to its schools through the engine until `instances` school plans wait
    for their draft; create one API token per school's staff member."""
    from models import db
    from models.org import Organisation, User
    from models.workflow import HumanTask, ProcessInstance
    from seed import data
    from web.deps import cascade, store

    world = World()
    with app.app_context():
        office = db.session.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        schools = list(
            db.session.scalars(
                select(Organisation.id)
                .where(Organisation.parent_id == office.id, Organisation.kind == "school")
                .order_by(Organisation.id)
            )
        )
        codes = dict(
            db.session.execute(select(Organisation.id, Organisation.code).where(Organisation.id.in_(schools))).all()
        )
        staff_name = {}
        for u in data.USERS:
            if "staff" in u["roles"]:
                staff_name.setdefault(u["org"], u["username"])
        for school in schools:
            username = staff_name[codes[school]]
            world.tokens[school] = token_for(username)["Authorization"]
            world.staff[school] = db.session.scalars(select(User.id).where(User.username == username)).one()
        recipients = [{"org_id": s, "purpose": "thuc_hien"} for s in schools]
        cttt, deputy, clerk = actor("pgddt.cttt"), actor("pgddt.pho"), actor("pgddt.vanthu")
        engine = cascade()

        def complete(who, instance_id: int, bpmn_id: str, form: dict) -> None:
            db.session.remove()
            task_id = db.session.scalars(
                select(HumanTask.id).where(
                    HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
                )
            ).one()
            engine.complete_task(store(), who, task_id, form)

        while world.directives * len(schools) < instances:
            world.directives += 1
            instance_id = engine.start_process(store(), cttt, "directive_plan")
            draft = {
                "loai_van_ban": "KH",
                "trich_yeu": f"Triển khai mô hình An ninh cơ sở, đợt {world.directives}",
                "noi_dung": "Thực hiện Kế hoạch số 05-KH/BCĐ…",
                "han_nop": "2022-08-31",
                "noi_nhan": recipients,
            }
            complete(cttt, instance_id, "draft_plan", draft)
            complete(deputy, instance_id, "approve_plan", {"quyet_dinh": "approve"})
            complete(clerk, instance_id, "register_plan", {"noi_nhan": recipients})
            engine.deliver_messages(store(), limit=10_000)  # starts one school_plan per school
        db.session.remove()
        rows = db.session.execute(
            select(HumanTask.id, HumanTask.instance_id, ProcessInstance.org_id)
            .join(ProcessInstance)
            .where(HumanTask.bpmn_id == "draft_school_plan", HumanTask.status == "open")
            .order_by(HumanTask.id)
        ).all()
    if len(rows) < instances:
        raise RuntimeError(f"{len(rows)} open draft_school_plan tasks after {world.directives} directives")
    world.tasks.extend(tuple(r) for r in rows)
    return world


def form(task_id: int) -> dict:
    """What a school submits; the text differs per school, as it does in life."""
    return {
        "trich_yeu": f"Kế hoạch thực hiện mô hình An ninh cơ sở (phiếu {task_id})",
        "noi_dung": "Căn cứ Kế hoạch của Phòng GDĐT, nhà trường xây dựng kế hoạch như sau…",
        "kinh_phi": "15000",
    }


def verify(app, world: World, done: list[tuple[int, int, int]]) -> list[str]:
    """Every task of `done` completed exactly once by its school's staff member: status, audit row, next task."""
    from models import db

    task_ids = [t for t, _, _ in done]
    instance_ids = [i for _, i, _ in done]
    problems = []
    with app.app_context():
        db.session.remove()
        by = dict(
            db.session.execute(
                text("SELECT id, completed_by_id FROM human_task WHERE id = ANY(:ids) AND status = 'completed'"),
                {"ids": task_ids},
            ).all()
        )
        audits = Counter(
            dict(
                db.session.execute(
                    text(
                        "SELECT instance_id, count(*) FROM audit_event WHERE action = 'task.complete' "
                        "AND instance_id = ANY(:ids) GROUP BY instance_id"
                    ),
                    {"ids": instance_ids},
                ).all()
            )
        )
        nexts = Counter(
            dict(
                db.session.execute(
                    text(
                        "SELECT instance_id, count(*) FROM human_task WHERE bpmn_id = 'principal_approval' "
                        "AND status = 'open' AND instance_id = ANY(:ids) GROUP BY instance_id"
                    ),
                    {"ids": instance_ids},
                ).all()
            )
        )
        db.session.remove()
    for task_id, instance_id, school in done:
        if by.get(task_id) != world.staff[school]:
            problems.append(f"task {task_id}: completed_by {by.get(task_id)}")
        if audits[instance_id] != 1:
            problems.append(f"instance {instance_id}: {audits[instance_id]} task.complete audit rows")
        if nexts[instance_id] != 1:
            problems.append(f"instance {instance_id}: {nexts[instance_id]} open principal_approval")
    return problems


# ---------------------------------------------------------------------------------------------- load -------
@dataclass
class LoadResult:
    clients: int
    elapsed: float
    latencies: list[float]  # ms, every request
    statuses: Counter
    errors: Counter
    cpu: dict[str, float]  # CPU seconds over the run: gunicorn, postgres, client, machine, other
    others: Counter  # the "other" CPU seconds by kind of process
    waits: Counter  # pg_stat_activity samples of the bench's backends
    pg: dict[str, int]  # deltas: commits, WAL syncs

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed


class Poster:
    """The load generator's HTTP/1.1 client: one keep-alive socket, the request written in one send, the answer read
    as HTTP says (status line, headers up to the blank line, then Content-Length bytes; a `Connection: close`
    answer, as gunicorn's sync workers give, closes it and the next request connects again). Real HTTP over a
    socket, without `http.client`'s header parsing through the e-mail package: the clients run on the same two
    cores as the server and PostgreSQL, so what they cost is counted against the target."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self._address = (parts.hostname, parts.port)
        self._host = f"Host: {parts.hostname}:{parts.port}\r\n".encode()
        self._sock: socket.socket | None = None
        self._buffer = b""
        self.last_text = ""

    def complete(self, world: World, task_id: int, school: int) -> int:
        body = json.dumps(form(task_id)).encode()
        head = (
            f"POST /api/tasks/{task_id}/complete HTTP/1.1\r\nAuthorization: {world.tokens[school]}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        ).encode()
        if self._sock is None:
            self._sock = socket.create_connection(self._address, timeout=120)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        self._sock.sendall(head + self._host + b"\r\n" + body)
        status, close, answer = self._answer()
        self.last_text = answer.decode(errors="replace")
        if close:
            self.close()
        return status

    def _answer(self) -> tuple[int, bool, bytes]:
        """(status, whether the server closes the connection, body) of the next answer on the socket."""
        while b"\r\n\r\n" not in self._buffer:
            self._receive()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        version, status = lines[0].split(b" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" not in headers:
            raise http.client.HTTPException(f"no Content-Length in {head[:200]!r}")  # Flask's JSON always has one
        length = int(headers[b"content-length"])
        while len(self._buffer) < length:
            self._receive()
        answer, self._buffer = self._buffer[:length], self._buffer[length:]
        connection = headers.get(b"connection", b"").lower()
        close = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
        return int(status), close, answer

    def _receive(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise http.client.RemoteDisconnected("the server closed the connection")
        self._buffer += chunk

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def run_load(server: Server, world: World, batch: list[tuple[int, int, int]], clients: int) -> LoadResult:
    """`clients` threads, each with its own keep-alive session, complete the tasks of `batch` (each once)."""
    queue = deque(batch)
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)

    def client() -> None:
        poster = Poster(server.base)
        try:
            gate.wait()
        except threading.BrokenBarrierError:  # the probe failed to start: nothing to do
            return
        while True:
            try:
                task_id, _, school = queue.popleft()
            except IndexError:
                break
            t = time.perf_counter()
            try:
                code, err = poster.complete(world, task_id, school), None
            except (OSError, http.client.HTTPException) as exc:
                code, err = None, type(exc).__name__
                poster.close()  # the next request opens a new connection
            ms = (time.perf_counter() - t) * 1000
            with lock:
                if err:
                    errors[err] += 1
                else:
                    statuses[code] += 1
                    latencies.append(ms)
        poster.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        with Probe(server) as probe:
            gate.wait()
            started = time.perf_counter()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
    except BaseException:
        gate.abort()
        raise
    return LoadResult(clients, elapsed, latencies, statuses, errors, probe.cpu, probe.others, probe.waits, probe.pg)


def single(server: Server, world: World, batch: list[tuple[int, int, int]]) -> list[float]:
    """One client alone, one request after another: the latency with nothing else to wait for."""
    samples = []
    poster = Poster(server.base)
    try:
        for task_id, _, school in batch:
            t = time.perf_counter()
            status = poster.complete(world, task_id, school)
            samples.append((time.perf_counter() - t) * 1000)
            if status != 200:
                raise RuntimeError(f"single client: HTTP {status}: {poster.last_text[:300]}")
    finally:
        poster.close()
    return samples


def _cpu_ticks(pid: int, kernel_only: bool = False) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[12]) if kernel_only else int(fields[11]) + int(fields[12])  # stime (+ utime)
    except (OSError, IndexError, ValueError):
        return 0


def _all_ticks() -> dict[int, int]:
    """CPU ticks of every process on the machine."""
    return {int(e.name): _cpu_ticks(int(e.name)) for e in os.scandir("/proc") if e.name.isdigit()}


def _process_label(pid: int, database: str) -> str:
    """What a process is, for the CPU that was neither this run's server, backends nor load generator."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    if not args[0]:
        return "kernel threads"
    if args[0].startswith("postgres:"):
        return "postgres: this database's other processes" if database in args[0].split() else "postgres: others"
    return " ".join([Path(args[0]).name, *args[1:3]])[:60]


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class Probe:
    """During the load: CPU of the gunicorn workers, the bench database's backends, this process and the
    whole machine; every 50 ms, what those backends are doing (pg_stat_activity); commit and WAL-sync counts."""

    def __init__(self, server: Server) -> None:
        import psycopg

        self._server = server
        # connected to the admin database, so its own transactions do not count in the bench database's
        self._conn = psycopg.connect(PG_ADMIN_URL, autocommit=True)
        self._db = PG_URL.rsplit("/", 1)[1]
        self._stop = threading.Event()
        self.waits: Counter = Counter()
        self.cpu: dict[str, float] = {}
        self.others: Counter = Counter()  # CPU seconds of everything else on the machine, by process kind
        self.pg: dict[str, int] = {}

    def _backends(self) -> list[int]:
        return [
            r[0]
            for r in self._conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()",
                (self._db,),
            )
        ]

    def _counters(self) -> dict[str, int]:
        commits, rollbacks = self._conn.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = %s", (self._db,)
        ).fetchone()
        wal = self._conn.execute("SELECT wal_records, wal_sync FROM pg_stat_wal").fetchone()
        return {"commits": commits, "rollbacks": rollbacks, "wal records": wal[0], "WAL syncs": wal[1]}

    def _sample(self) -> None:
        query = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        while not self._stop.wait(0.05):
            for state, kind, event in self._conn.execute(query, (self._db,)):
                if state == "active":
                    self.waits["active: on CPU" if kind is None else f"active: {kind}/{event}"] += 1
                elif state == "idle in transaction":
                    self.waits["idle in transaction (waiting for the app)"] += 1
                else:
                    self.waits[f"{state}"] += 1

    def _processes(self) -> dict[str, int]:
        return {
            "gunicorn": sum(_cpu_ticks(p) for p in self._workers),
            "gunicorn kernel": sum(_cpu_ticks(p, kernel_only=True) for p in self._workers),
            "postgres": sum(_cpu_ticks(p) for p in self._pids),
            "postgres kernel": sum(_cpu_ticks(p, kernel_only=True) for p in self._pids),
        }

    def __enter__(self):
        self._workers = self._server.workers()
        self._pids = self._backends()
        self._before = self._processes()
        self._client = time.process_time()
        self._everyone = _all_ticks()
        self._machine = _machine_ticks()
        self._pg = self._counters()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        # backends connected during the run (a threaded worker's pool opens one per thread on its first request)
        # were born in it: all their CPU is the run's, so they count as this run's PostgreSQL, not as "other"
        self._pids = [*self._pids, *(pid for pid in self._backends() if pid not in self._pids)]
        client = time.process_time() - self._client
        busy, total = (a - b for a, b in zip(_machine_ticks(), self._machine, strict=True))
        self.cpu = {k: (v - self._before[k]) / TICK for k, v in self._processes().items()}
        self.cpu.update(
            {
                "client": client,
                "machine busy": busy / TICK,
                "machine capacity": total / TICK,
            }
        )
        self.cpu["other"] = self.cpu["machine busy"] - self.cpu["gunicorn"] - self.cpu["postgres"] - client
        mine = {*self._workers, *self._pids, os.getpid()}
        for pid, ticks in _all_ticks().items():
            if pid not in mine and ticks > self._everyone.get(pid, 0):
                self.others[_process_label(pid, self._db)] += (ticks - self._everyone.get(pid, 0)) / TICK
        self.others["not attributed (interrupts, processes that ended)"] = self.cpu["other"] - sum(self.others.values())
        after = self._counters()
        self.pg = {k: after[k] - v for k, v in self._pg.items()}
        self._conn.close()


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with suppress(OSError), open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


# ---------------------------------------------------------------------------------------------- scenario ---
def load_rows(backend: str, workers: int, res: LoadResult, single_median: float, problems: list[str]) -> list[Row]:
    label = f"-w {workers}, {res.clients} clients"
    n = len(res.latencies)
    median, p95 = stats(res.latencies) if res.latencies else (float("nan"), float("nan"))
    bad = sum(c for code, c in res.statuses.items() if not 200 <= code < 300) + sum(res.errors.values())
    on_target = workers == 2
    rows = [
        Row(
            NAME,
            backend,
            f"{label}: completions/s",
            res.rate,
            "/s",
            n=n,
            target="≥ 500/s" if on_target else "",
            met=res.rate >= TARGET if on_target else None,
        ),
        Row(NAME, backend, "  latency under load", median, "ms", p95, n),
        Row(NAME, backend, "  latency p99", percentile(res.latencies, 0.99) if n else float("nan"), "ms"),
        Row(NAME, backend, "  ratio: median latency / single-client median", median / single_median, "×"),
        Row(
            NAME, backend, "  ratio: completions/s / single-client completions/s", res.rate * single_median / 1000, "×"
        ),
        Row(
            NAME,
            backend,
            "  non-2xx answers + transport errors",
            bad,
            "answers",
            target="0",
            met=bad == 0,
        ),
        Row(
            NAME,
            backend,
            f"  completed exactly once (database check of {n} tasks)",
            n - len({p.split(":")[0] for p in problems}),
            "tasks",
            target=f"{n}",
            met=not problems and n == len(res.latencies),
        ),
    ]
    done = max(1, n)
    for key in ("gunicorn", "postgres", "client", "other"):
        rows.append(Row(NAME, backend, f"  CPU per completion: {key}", res.cpu[key] * 1000 / done, "ms"))
        if key in ("gunicorn", "postgres"):
            kernel = res.cpu[f"{key} kernel"] * 1000 / done
            rows.append(Row(NAME, backend, f"    {key}: of which in the kernel (sockets, syscalls)", kernel, "ms"))
    for what, seconds in res.others.most_common(3):
        rows.append(Row(NAME, backend, f"    other: {what}", seconds * 1000 / done, "ms"))
    busy = res.cpu["machine busy"] / res.cpu["machine capacity"] * 100 if res.cpu["machine capacity"] else 0
    rows.append(Row(NAME, backend, "  machine CPU busy (2 cores = 100 %)", busy, "%"))
    for key, unit in (("commits", "commits"), ("rollbacks", "rollbacks"), ("WAL syncs", "syncs")):
        where = " (whole server)" if key == "WAL syncs" else ""
        rows.append(Row(NAME, backend, f"  {key} per completion{where}", res.pg[key] / done, unit))
    samples = sum(res.waits.values())
    for what, count in res.waits.most_common(6):
        rows.append(Row(NAME, backend, f"  backends: {what}", count / samples * 100, "% samples"))
    return rows


def run(
    backend: str,
    quick: bool,
    *,
    sizes: dict | None = None,
    pyspy: Path | None = None,
    wall: bool = False,
    profile: Path | None = None,
) -> list[Row]:
    import logging

    from models import db

    logging.disable(logging.WARNING)
    size = sizes or SIZES[quick]
    per_server = size["warmup"] + size["single"] + size["completions"] * len(size["clients"])
    rows: list[Row] = []
    with seeded_app(backend) as app:
        started = time.perf_counter()
        world = build(app, per_server * len(size["workers"]))
        rows.append(
            Row(
                NAME,
                backend,
                f"build: {world.directives} directives × 59 schools, open draft_school_plan",
                len(world.tasks),
                "tasks",
            )
        )
        rows.append(Row(NAME, backend, "  build time (in process, engine calls)", time.perf_counter() - started, "s"))
        with app.app_context():
            if backend == "postgres":
                db.session.execute(text("ANALYZE"))  # planner statistics, as autovacuum keeps them on a live database
                db.session.commit()
            db.session.remove()
            db.engine.dispose()  # the servers get the connections; the bench process holds none during the load
        for workers in size["workers"]:
            spy = pyspy.with_name(f"{pyspy.stem}-w{workers}{pyspy.suffix}") if pyspy else None
            prof = profile / f"w{workers}" if profile else None
            with gunicorn(workers, PG_URL, spy, wall, prof) as server:
                # warm-up: every worker parses the specs, fills its caches and opens its connection
                warm = run_load(server, world, world.take(size["warmup"]), workers)
                if warm.errors or set(warm.statuses) != {200}:
                    raise RuntimeError(f"warm-up: {dict(warm.statuses)} {dict(warm.errors)}: {server.log.read_text()}")
                batch = world.take(size["single"])
                alone = single(server, world, batch)
                problems = verify(app, world, batch)
                if problems:
                    raise RuntimeError(f"single client: {problems[:5]}")
                single_median, single_p95 = stats(alone)
                rows.append(
                    Row(NAME, backend, f"-w {workers}: single client, POST complete", single_median, "ms", single_p95)
                )
                rows[-1].n = len(alone)
                rows.append(Row(NAME, backend, "  single client: completions/s", 1000 / single_median, "/s"))
                for clients in size["clients"]:
                    batch = world.take(size["completions"])
                    res = run_load(server, world, batch, clients)
                    problems = verify(app, world, batch)
                    rows += load_rows(backend, workers, res, single_median, problems)
                    for p in problems[:5]:
                        print(f"  ! {p}", file=sys.stderr)
                rows.append(
                    Row(
                        NAME,
                        backend,
                        f"-w {workers}: workers' memory after the load (RSS)",
                        rss_mib(server.workers()),
                        "MiB",
                    )
                )
            if spy is not None:
                print(f"py-spy profile of -w {workers}: {spy}", file=sys.stderr)
    return rows


# ---------------------------------------------------------------------------------------------- profiles ---
def _frame(f: str) -> tuple[str, str]:
    """py-spy's `func (path/file.py:line)` as (`func`, `path/file.py`)."""
    name, _, where = f.partition(" (")
    return name, where.rsplit(":", 1)[0].rstrip(")")


WAIT_LEAVES = {  # where a worker blocks: for PostgreSQL's answer, or on its sockets
    ("Connection.wait", "psycopg/connection.py"): "waiting on PostgreSQL",
    ("wait", "psycopg/waiting.py"): "waiting on PostgreSQL",
}


REQUEST_FRAMES = {  # a worker handling a request (sync or gthread worker class)
    ("SyncWorker.handle_request", "gunicorn/workers/sync.py"),
    ("ThreadWorker.handle_request", "gunicorn/workers/gthread.py"),
}


def summarise(raw: Path, top: int = 40) -> str:
    """Shares of request time from py-spy's collapsed stacks (wall time if recorded with `--idle`, else the
    time the worker was running): by the package of the leaf frame (waits on PostgreSQL apart) and, inclusive,
    by Cascade's own functions and the SQLAlchemy/Flask entry points, each with its part spent waiting on
    PostgreSQL."""
    inclusive: Counter = Counter()
    waiting: Counter = Counter()
    by_package: Counter = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_frame(f) for f in stack.split(";")]
        if not count.isdigit() or not REQUEST_FRAMES.intersection(frames):
            continue  # only time inside a request: not the arbiter, not workers idle in accept()
        n = int(count)
        total += n
        leaf = frames[-1]
        wait = WAIT_LEAVES.get(leaf)
        package = wait or leaf[1].split("/")[0].removesuffix(".py")
        by_package[package] += n
        for f in dict.fromkeys(frames):
            inclusive[f] += n
            if wait:
                waiting[f] += n
    if not total:
        return "no request samples"
    out = [f"request samples: {total}", "", "self time by package of the leaf frame"]
    out += [f"{c / total * 100:5.1f} %  {name}" for name, c in by_package.most_common(15)]
    out += ["", "inclusive: share of request wall time (of which waiting on PostgreSQL)"]
    mine = ("engine/", "models/", "web/", "flask/app.py", "sqlalchemy/orm/session.py", "SpiffWorkflow/")
    shown = [(f, c) for f, c in inclusive.most_common() if f[1].startswith(mine)][:top]
    out += [f"{c / total * 100:5.1f} % ({waiting[f] / total * 100:4.1f} %)  {f[0]} ({f[1]})" for f, c in shown]
    return "\n".join(out)


def in_process(directory: Path, n: int) -> list[Row]:
    """The same request in process (Flask's test client: no socket, no gunicorn), one after another, under
    pyinstrument: where a completion's time goes, and its CPU split between this process and its backend."""
    import psycopg
    from pyinstrument import Profiler

    from bench.harness import Client
    from models import db

    rows = []
    with seeded_app("postgres") as app:
        world = build(app, n + 20)
        client = Client(app)

        def complete(task_id: int, school: int) -> None:
            r = client.post(
                f"/api/tasks/{task_id}/complete", headers={"Authorization": world.tokens[school]}, json=form(task_id)
            )
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}: {r.get_data(as_text=True)[:300]}")

        for task_id, _, school in world.take(20):  # warm-up: specs, caches, the pool's connection
            complete(task_id, school)
        with app.app_context():
            backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            db.session.remove()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                (PG_URL.rsplit("/", 1)[1],),
            ).fetchone()[0]
        if others != 1:
            print(f"  ! {others} backends on the bench database: CPU split is approximate", file=sys.stderr)
        batch = world.take(n)
        profiler = Profiler(interval=0.0005)
        wall, cpu, pg = time.perf_counter(), time.process_time(), _cpu_ticks(backend)
        profiler.start()
        for task_id, _, school in batch:
            complete(task_id, school)
        profiler.stop()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        pg = (_cpu_ticks(backend) - pg) / TICK
        problems = verify(app, world, batch)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "in-process.txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    (directory / "in-process.html").write_text(profiler.output_html())
    rows.append(Row(NAME, "postgres", "in process: HTTP POST complete (test client), one at a time", wall * 1000 / n))
    rows.append(Row(NAME, "postgres", "  CPU of the app process per completion (profiler in)", cpu * 1000 / n))
    rows.append(Row(NAME, "postgres", "  CPU of its PostgreSQL backend per completion", pg * 1000 / n))
    rows.append(Row(NAME, "postgres", "  completed exactly once", n - len(problems), "tasks", met=not problems))
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench.run import print_table

    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, action="append", help="gunicorn worker counts (repeatable)")
    parser.add_argument("--clients", type=int, action="append", help="concurrent clients (repeatable)")
    parser.add_argument("--completions", type=int, default=1000, help="completions per (workers, clients)")
    parser.add_argument("--single", type=int, default=100, help="single-client samples per server")
    parser.add_argument("--pyspy", type=Path, help="record the gunicorn workers with py-spy into DIR")
    parser.add_argument("--wall", action="store_true", help="py-spy --idle: wall time (waits in), not CPU")
    parser.add_argument("--profile", type=Path, help="sample the gunicorn workers' CPU (SIGPROF) into DIR/w<N>/")
    parser.add_argument("--in-process", type=Path, help="instead: pyinstrument of the request in process, into DIR")
    args = parser.parse_args(argv)
    if args.in_process:
        print_table(in_process(args.in_process, args.completions))
        return 0
    sizes = {
        "workers": tuple(args.workers or (2,)),
        "clients": tuple(args.clients or (16,)),
        "completions": args.completions,
        "single": args.single,
        "warmup": 20,
    }
    spy = args.pyspy / "gunicorn.txt" if args.pyspy else None
    rows = run("postgres", False, sizes=sizes, pyspy=spy, wall=args.wall, profile=args.profile)
    print_table(rows)
    if args.profile is not None:
        for w in sizes["workers"]:
            raws = sorted((args.profile / f"w{w}").glob("worker-*.txt"))
            merged = args.profile / f"w{w}.collapsed"
            merged.write_text("".join(r.read_text() for r in raws))
            summary = args.profile / f"w{w}.summary.txt"
            heads = "".join(h.read_text() for h in sorted((args.profile / f"w{w}").glob("worker-*.head")))
            summary.write_text(heads + "\n" + summarise(merged, top=60))
            print(f"\n{summary}:\n" + "\n".join(summary.read_text().splitlines()[:80]))
    if spy is not None:
        for w in sizes["workers"]:
            raw = spy.with_name(f"{spy.stem}-w{w}{spy.suffix}")
            if raw.exists():
                summary = raw.with_suffix(".summary.txt")
                summary.write_text(summarise(raw))
                print(f"\n{summary}:\n" + "\n".join(summary.read_text().splitlines()[:60]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
