"""Call activities to a process deployed from another file (`calledElement` = its process id).

Rule: a call uses the called process's **latest deployed version when the instance first calls it**; the
version is then pinned in the instance (its top-level workflow data, key `PINS`: process id -> definition id),
so the running call and any later call of that process from the same instance use the same version, whatever
is deployed meanwhile. Data goes in and out as SpiffWorkflow does for call activities (the called process's
dataInputs/dataOutputs when it declares them, else the whole task data in and the end data back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from engine.core.ports import DefinitionRecord

PINS = "__called__"
Resolve = Callable[[str, int | None], DefinitionRecord | None]  # (process id, pinned definition id) -> version

_external: dict[int, frozenset[str]] = {}  # id(top spec) -> process ids called outside its file


def external_calls(spec: Any, subs: dict[str, Any]) -> frozenset[str]:
    """Process ids the specs call that are not in their own file (cached per parsed spec)."""
    found = _external.get(id(spec))
    if found is None:
        names = {
            task_spec.spec
            for process in [spec, *subs.values()]
            for task_spec in process.task_specs.values()
            if isinstance(task_spec, SubWorkflowTask) and task_spec.spec not in subs
        }
        found = _external[id(spec)] = frozenset(names)
    return found


def with_called(runtime: Any, specs: tuple[Any, dict], pins: dict, resolve: Resolve | None) -> tuple[dict, dict]:
    """The sub-process specs a workflow needs (its own file's, plus those of the processes it calls elsewhere,
    recursively: the pinned version, else the latest deployed) and which definition each called process is."""
    spec, subs = specs
    wanted = list(external_calls(spec, subs))
    if not wanted or resolve is None:
        return subs, {}
    out, called = dict(subs), {}  # a new dict: the cached one is shared
    while wanted:
        pid = wanted.pop()
        if pid in called:
            continue
        record = resolve(pid, pins.get(pid))
        if record is None:  # not deployed (any more): the call fails when reached, naming its element
            continue
        called_spec, called_subs = runtime.specs(record)
        out[pid] = called_spec
        for name, sub in called_subs.items():
            out.setdefault(name, sub)
        called[pid] = record.id
        wanted.extend(external_calls(called_spec, called_subs))
    return out, called


def pin_called(live: Any) -> None:
    """Pin the version of each process the instance has now called (first call wins)."""
    if not live.called:
        return
    wf = live.workflow
    pins = wf.data.get(PINS) or {}
    started = {sub.spec.name for sub in wf.subprocesses.values()} & set(live.called)
    if not started <= set(pins):
        wf.data[PINS] = {**pins, **{pid: live.called[pid] for pid in started if pid not in pins}}


def settled(live: Any) -> bool:
    """True when every process the instance may call in another file is pinned (a warm workflow can be reused;
    otherwise it is reloaded, so an unpinned call takes the version deployed latest)."""
    return not live.called or set(live.called) <= set(live.workflow.data.get(PINS) or {})


def stored_pins(parts: dict) -> dict:
    """The pins of a stored instance (its top-level part's data)."""
    return ((parts.get("") or {}).get("data") or {}).get(PINS) or {}


def resolver(store: Any) -> Resolve:
    """Pinned version by id, else the latest deployed version of the process."""
    return lambda pid, pinned: store.definition(pinned) if pinned else store.latest_definition(pid)


__all__ = ["PINS", "Resolve", "external_calls", "pin_called", "resolver", "settled", "stored_pins", "with_called"]
