"""`flask worker`'s loop: fire due timers, deliver the outbox, send e-mail, then sleep until there is work.

The worker does not poll at a fixed pace. Between rounds it sleeps until the earliest due time the store knows
(`next_due_at`: a waiting timer, a queued e-mail, or now when a message waits for its first delivery), at most
`interval` seconds. On PostgreSQL it also LISTENs on `cascade_work`, which every transaction that writes a timer
or an outbox message NOTIFYs (models/store/outbox.py): a message thrown by a step, or a timer due sooner than
the worker planned for, wakes it at once. Due times are engine time (engine/core/clock.py); the clock runs at
real speed from its offset, so engine time to a due time is real time to sleep. `stop()` (SIGTERM) wakes it
too. Claims are unchanged, so any number of workers stay exactly-once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from collections.abc import Callable

from flask import current_app

from engine.core.clock import clock
from models import db
from models.store.outbox import WORK_CHANNEL

log = logging.getLogger(__name__)

IDLE_RECHECK = 0.05  # s: work is due but this round found none (another worker holds it): look again this soon
DELIVERY_LIMIT = 500  # messages per round (Cascade.deliver_messages' default)
PAST_DUE = 0.001  # s: wake this much after a due time, so the round's clock has passed it


class Waker:
    """Where a worker sleeps: a pipe `stop()` writes to (safe from a signal handler), and on PostgreSQL a
    dedicated autocommit connection LISTENing on `cascade_work` (reopened at the next wait if it breaks)."""

    def __init__(self) -> None:
        self.stopped = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._listener = None
        self.notified = 0  # wake-ups by NOTIFY (for tests and the bench)

    def listen(self) -> None:
        """Start listening before the first round, so no NOTIFY between a round and the sleep is missed."""
        if self._listener is None and db.engine.dialect.name == "postgresql":
            try:
                pooled = db.engine.raw_connection()
                conn = pooled.driver_connection
                pooled.detach()  # its own connection for the worker's life, not the pool's
                conn.rollback()  # out of any transaction a checkout ping began, so autocommit can be set
                conn.autocommit = True
                conn.execute(f"LISTEN {WORK_CHANNEL}")
                self._listener = conn
            except Exception as exc:  # noqa: BLE001 - the database is down: sleep by due times, retry later
                log.warning("worker: LISTEN %s failed: %s", WORK_CHANNEL, exc)

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; return early on a NOTIFY (then True) or `stop()`."""
        self.listen()
        fds = [self._read] + ([self._listener.fileno()] if self._listener is not None else [])
        ready, _, _ = select.select(fds, [], [], max(0.0, timeout))
        if self._read in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._read, 512)
        if self._listener is None or len(ready) == (self._read in ready):
            return False
        try:
            got = bool(list(self._listener.notifies(timeout=0)))
        except Exception as exc:  # noqa: BLE001 - connection lost: reopened at the next wait
            log.warning("worker: the LISTEN connection failed: %s", exc)
            self._drop_listener()
            return False
        self.notified += got
        return got

    def stop(self) -> None:
        self.stopped = True
        if self._write >= 0:
            with contextlib.suppress(OSError):
                os.write(self._write, b"x")

    def _drop_listener(self) -> None:
        with contextlib.suppress(Exception):
            self._listener.close()
        self._listener = None

    def close(self) -> None:
        if self._listener is not None:
            self._drop_listener()
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._read = self._write = -1


def sleep_for(store, interval: float, worked: bool) -> float:
    """Seconds until the next due work, capped by `interval`: 0 when due work remains after a round that did
    some (it stopped at a limit), IDLE_RECHECK when due work remains after a round that did none (another
    worker holds it, or it waits for the outbox's next read)."""
    now = clock.now()
    try:
        due = store.next_due_at(now)
    finally:
        db.session.remove()
    if due is None:
        return interval
    seconds = (due - now).total_seconds()
    if seconds > 0:
        return min(interval, seconds + PAST_DUE)
    return 0.0 if worked else min(interval, IDLE_RECHECK)


def run_worker(
    cascade: Callable, store: Callable, send, interval: float, once: bool = False, waker: Waker | None = None
) -> None:
    """Rounds until `waker.stop()`: due timers (and timer start events), pending messages, e-mail.

    The outbox is read after a NOTIFY, after timers fired (what they threw goes at once), when the last read
    stopped at its limit, and at least every `interval` seconds: a message that failed is retried at about that
    pace, not at every wake-up."""
    waker = waker or Waker()
    deliver_at, notified, full = 0.0, True, False
    try:
        if not once:
            waker.listen()
        while not waker.stopped:
            fired = cascade().fire_due_timers(store())
            delivered = 0
            if notified or full or fired or time.monotonic() >= deliver_at:
                deliver_at = time.monotonic() + interval
                delivered = cascade().deliver_messages(store(), limit=DELIVERY_LIMIT)
                full = delivered >= DELIVERY_LIMIT
            sent = cascade().deliver_emails(store(), send)
            db.session.remove()
            if fired or delivered:
                current_app.logger.info("worker: %s timer instance(s), %s message(s)", fired, delivered)
            if once or waker.stopped:
                break
            worked = bool(fired or delivered or sent)
            notified = waker.wait(sleep_for(store(), interval, worked))
    finally:
        db.session.remove()
        waker.close()
