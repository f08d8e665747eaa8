"""A gunicorn config for the benches' profiles of the server's CPU: every worker samples its own stack each
millisecond of CPU it spends, or each kernel tick if that is longer (SIGPROF, `setitimer(ITIMER_PROF)`; here
about 4 ms; time waiting on PostgreSQL or a socket is not sampled) and writes, when it exits, collapsed stacks
in py-spy's raw format to `$CASCADE_BENCH_PROFILE/worker-<pid>.txt` (`bench.throughput.summarise` reads them),
with the CPU per request.

    gunicorn -c bench/gunicorn_profile.py -w 2 wsgi:app      # bench.server.gunicorn(..., profile=DIR) does this

The production settings (`gunicorn.conf.py`) apply, except the worker class: `sync`, whose requests run on the
thread the signal interrupts (a gthread worker's would run on threads the sample cannot tell apart)."""

from __future__ import annotations

import gc
import os
import runpy
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
globals().update(
    {k: v for k, v in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items() if not k.startswith("_") and k != "os"}
)
worker_class, threads = "sync", 1  # gunicorn turns sync workers with threads into gthread
INTERVAL = 0.001  # seconds of CPU asked between samples (the kernel's tick may stretch it: the header says)
_stacks: Counter = Counter()
_state = {"requests": 0, "cpu": 0.0, "gc": 0.0, "collections": 0}
_names: dict = {}


def _where(code) -> str:
    """`func (package/module.py:line)` as py-spy writes it, the path from the package's root."""
    name = _names.get(code)
    if name is None:
        path = code.co_filename
        for marker in ("/site-packages/", f"{ROOT}/", "/lib/python3.11/"):
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        name = _names[code] = f"{code.co_qualname} ({path}:{code.co_firstlineno})"
    return name


def _sample(signum, frame):
    stack = []
    while frame is not None:
        stack.append(_where(frame.f_code))
        frame = frame.f_back
    _stacks[";".join(reversed(stack))] += 1


def _gc(phase, info):
    """The CPU of Python's cyclic garbage collections (a sample lands on whatever allocation triggered one)."""
    if phase == "start":
        if "t" in _state:  # inside a request
            _state["gc_t"] = time.process_time()
    elif "gc_t" in _state:
        _state["gc"] += time.process_time() - _state.pop("gc_t")
        _state["collections"] += 1
        _state[f"gen{info['generation']}"] = _state.get(f"gen{info['generation']}", 0) + 1


def post_fork(server, worker):
    gc.callbacks.append(_gc)
    signal.signal(signal.SIGPROF, _sample)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    _state["forked"] = time.process_time()


def pre_request(worker, req):
    _state["t"] = time.process_time()


def post_request(worker, req, environ, resp):
    if "t" in _state:
        _state["cpu"] += time.process_time() - _state.pop("t")
        _state["requests"] += 1


def worker_exit(server, worker):
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    out = Path(os.environ["CASCADE_BENCH_PROFILE"])
    out.mkdir(parents=True, exist_ok=True)
    n = max(_state["requests"], 1)
    lines = [f"{stack} {count}" for stack, count in _stacks.most_common()]
    (out / f"worker-{os.getpid()}.txt").write_text("\n".join(lines) + "\n")
    (out / f"worker-{os.getpid()}.head").write_text(
        f"requests {_state['requests']}, CPU per request (pre_request..post_request) "
        f"{_state['cpu'] * 1000 / n:.2f} ms; in requests, garbage collections {_state['collections']} "
        f"(generations 0/1/2: {_state.get('gen0', 0)}/{_state.get('gen1', 0)}/{_state.get('gen2', 0)}), "
        f"{_state['gc'] * 1000 / n:.2f} ms a request; "
        f"samples {sum(_stacks.values())} "
        f"({(time.process_time() - _state['forked']) * 1000 / max(sum(_stacks.values()), 1):.1f} ms of CPU each)\n"
    )
    sys.stderr.flush()
