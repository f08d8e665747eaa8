"""The engine's clock: real UTC time, shifted for a replayed year or frozen and moved by tests.

SpiffWorkflow's timers ask `datetime.now(timezone.utc)`; `install_clock()` makes them ask this clock, so the
timer worker, due dates and document dates all agree on what "now" is.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer

VN_TZ = timezone(timedelta(hours=7), "ICT")


class Clock:
    """Real time plus an offset; `freeze`/`advance` make it deterministic for tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def today(self) -> date:
        """Today's date in Vietnam (documents are dated in local time)."""
        return self.now().astimezone(VN_TZ).date()

    def start_at(self, instant: datetime, since: datetime | None = None) -> None:
        """Run from `instant` onwards at real speed (used to replay 2022 in the demo); `since`: the real moment
        the replay started (stored once, so every process and restart shows the same time), default now."""
        with self._lock:
            self._frozen = None
            self._offset = instant - (since or datetime.now(UTC))

    def freeze(self, instant: datetime) -> None:
        with self._lock:
            self._frozen = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)


clock = Clock()


class _ClockedDatetime(datetime):
    """A `datetime` whose `now()` reads the engine clock; injected into SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz=None):
        instant = clock.now()
        return instant.astimezone(tz) if tz is not None else instant.astimezone().replace(tzinfo=None)


def install_clock() -> None:
    """Point SpiffWorkflow's timer definitions at the engine clock (idempotent)."""
    timer.datetime = _ClockedDatetime
