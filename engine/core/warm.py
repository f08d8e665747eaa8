"""Warm instances: workflows kept in memory after their step committed, so the next step on the same instance in
this process skips reading and rebuilding its state.

An entry is only as good as its stamp. Every state write stores a new random stamp on the instance row; the
entry remembers the stamp it was saved with, and the instance is read with that row under lock before each step,
so a stamp that still matches means no one (another worker, another server, a restored backup) has written the
state since. A step takes its entry out of the cache while it runs and puts the workflow back only after its
transaction commits: a step that fails or rolls back leaves nothing behind, and two threads never share a
workflow object.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from engine.core.runtime import LiveInstance


def new_stamp() -> int:
    """A state stamp: random, so a recreated or restored database cannot repeat one this process holds."""
    return secrets.randbits(62) + 1


class WarmInstances:
    """A bounded, least-recently-used map: instance id -> (state stamp, live instance)."""

    def __init__(self, capacity: int = 256):
        self.capacity = max(0, int(capacity))
        self._entries: OrderedDict[int, tuple[int, LiveInstance]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, instance_id: int, stamp: int | None, definition_id: int) -> LiveInstance | None:
        """The instance's workflow if this process saved the state that is stored now; it leaves the cache."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if (
                entry is not None
                and stamp is not None
                and entry[0] == stamp
                and entry[1].definition.id == definition_id
            ):
                self.hits += 1
                return entry[1]
            self.misses += 1
            return None

    def put(self, instance_id: int, stamp: int, live: LiveInstance) -> None:
        """Keep a workflow whose state, stamped `stamp`, has been committed."""
        if not self.capacity:
            return
        with self._lock:
            self._entries[instance_id] = (stamp, live)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def entries(self) -> dict[int, int]:
        """Instance id -> stamp, least recently used first."""
        with self._lock:
            return {instance_id: stamp for instance_id, (stamp, _) in self._entries.items()}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
