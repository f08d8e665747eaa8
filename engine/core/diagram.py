"""What an instance's diagram shows: each BPMN element's state, read from the instance's task rows."""

from __future__ import annotations

from SpiffWorkflow.task import TaskState

from engine.core.state import StoredState

_RANK = {"completed": 1, "waiting": 2, "active": 3}


def bpmn_id_of(task_spec_name: str) -> str:
    """Loop and multi-instance children are named "<id> [child]"; other specs carry the BPMN id itself."""
    return task_spec_name.split(" [", 1)[0]


def element_states(stored: StoredState, element_ids: set[str] | None = None) -> dict[str, str]:
    """BPMN id → "active" (ready or started: people or the engine work on it), "waiting" (a timer, a
    message, a join) or "completed", from the engine's own task rows; the most current state wins when
    an element ran several times (loops). Internal specs (Start, End, joins of the engine) are left out
    when `element_ids` (the diagram's ids) is given."""
    out: dict[str, str] = {}
    for row in stored.rows:
        for folded in (row.props.get("internal_data") or {}).get("folded_elements") or ():  # engine.core.fold
            if element_ids is None or folded in element_ids:
                out.setdefault(folded, "completed")
        state = int(row.props.get("state") or 0)
        if state & (TaskState.READY | TaskState.STARTED):
            kind = "active"
        elif state & TaskState.WAITING:
            kind = "waiting"
        elif state & TaskState.COMPLETED:
            kind = "completed"
        else:
            continue
        bpmn_id = bpmn_id_of(str(row.props.get("task_spec") or ""))
        if element_ids is not None and bpmn_id not in element_ids:
            continue
        if _RANK[kind] > _RANK.get(out.get(bpmn_id, ""), 0):
            out[bpmn_id] = kind
    return out
