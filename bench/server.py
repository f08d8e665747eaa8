"""A real server for the benches: `gunicorn -w N wsgi:app` on a free local port (the production app factory,
a socket, the client in another process), optionally launched under py-spy."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness import START

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    master: subprocess.Popen
    log: Path

    def workers(self) -> list[int]:
        return _children(self.master_pid)

    @property
    def master_pid(self) -> int:
        if self.master.args[0].endswith("py-spy"):
            kids = _children(self.master.pid)
            return kids[0] if kids else self.master.pid
        return self.master.pid


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout  # noqa: S603, S607
    return [int(p) for p in out.split()]


@contextmanager
def gunicorn(
    workers: int, database_url: str, pyspy: Path | None = None, wall: bool = False, profile: Path | None = None
) -> Iterator[Server]:
    """`gunicorn -w N wsgi:app` on a free local port with the production app factory, the engine clock
    replaying from the bench's start instant; waits until it answers and always stops it (SIGTERM, then KILL).
    `profile`: every worker samples its CPU stacks into that directory (bench/gunicorn_profile.py)."""
    port = free_port()
    env = {
        **os.environ,
        "CASCADE_DATABASE_URL": database_url,
        "CASCADE_SECRET_KEY": secrets.token_hex(16),
        "CASCADE_CLOCK_START": START.isoformat(),
        "FLASK_APP": "wsgi.py",
        "CASCADE_DEV": "1",  # the bench's people have the demo password, which production refuses to serve
    }
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "wsgi:app",
    ]
    if profile is not None:
        env["CASCADE_BENCH_PROFILE"] = str(profile)
        cmd[3:3] = ["-c", str(ROOT / "bench" / "gunicorn_profile.py")]
    if pyspy is not None:  # `py-spy record --pid` could not read a running process here; launching works
        pyspy.parent.mkdir(parents=True, exist_ok=True)
        spy = str(Path(sys.executable).with_name("py-spy"))
        idle = ["--idle"] if wall else []  # --idle: blocked samples too (wall time), else running ones (CPU)
        cmd = [spy, "record", "--subprocesses", *idle, "-r", "250", "-f", "raw", "-o", str(pyspy), "--", *cmd]
    log = Path(tempfile.mkstemp(prefix="cascade-gunicorn-", suffix=".log")[1])
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)  # noqa: S603
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}): {log.read_text()[-800:]}")
            with suppress(requests.RequestException):
                if requests.get(f"{server.base}/login", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not answering after 60 s: {log.read_text()[-800:]}")
            time.sleep(0.2)
        yield server
    finally:
        master = server.master_pid
        with suppress(ProcessLookupError):
            os.kill(master, signal.SIGTERM)  # graceful: workers finish their request
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.kill(master, signal.SIGKILL)
            proc.kill()
            proc.wait(10)
        with suppress(OSError):
            log.unlink()
