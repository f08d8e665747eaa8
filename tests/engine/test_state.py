"""The per-task row store: a workflow saved and restored after every step behaves as one never saved, and a
step writes only the rows it touched."""

from __future__ import annotations

import json
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import TaskState

from engine.core import parser as bpmn_parser
from engine.core.sandbox import make_script_engine
from engine.core.state import Snapshot, StateCodec, StoredState, TaskRow

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


class RowStore:
    """What a database does with StateChanges, in memory."""

    def __init__(self):
        self.parts, self.rows, self.data, self.writes = {}, {}, {}, []

    def apply(self, changes):
        self.parts.update(changes.parts)
        for key in changes.deleted_parts:
            self.parts.pop(key, None)
        for guid in changes.deleted_rows:
            self.rows.pop(guid, None)
        for row in changes.rows:
            self.rows[row.guid] = row
        self.data.update(changes.data)
        self.writes.append(len(changes.rows))

    def stored(self):
        return StoredState(
            parts=dict(self.parts),
            rows=[TaskRow(r.guid, r.part_key, r.props, r.data_hash) for r in self.rows.values()],
            data=dict(self.data),
        )


def load_spec(name):
    definition = bpmn_parser.load_definition((WORKFLOWS / f"{name}.bpmn").read_bytes())
    return definition.specs[name]


def test_directive_plan_survives_save_and_restore_after_every_step():
    bpmn_parser.install_engine_patches()
    codec = StateCodec(bpmn_parser.make_registry())
    engine = make_script_engine()
    spec, subs = load_spec("directive_plan")
    store = RowStore()
    wf = BpmnWorkflow(spec, subs, script_engine=engine)
    snapshot = Snapshot()

    def step(action):
        nonlocal wf, snapshot
        action(wf)
        wf.do_engine_steps()
        store.apply(codec.changes(wf, snapshot))
        wf, snapshot = codec.restore(spec, subs, store.stored(), engine)  # a fresh object every step

    def ready(bpmn_id):
        tasks = [t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == bpmn_id]
        assert len(tasks) == 1, [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY)]
        return tasks[0]

    def do(bpmn_id, **data):
        def action(w):
            task = ready(bpmn_id)
            task.set_data(**data)
            task.run()

        step(action)

    step(lambda w: None)
    step(
        lambda w: w.send_event(
            BpmnEvent(
                MessageEventDefinition("implement_directive"),
                {"payload": {"directive_id": 7}, "result_var": "implement_directive"},
            )
        )
    )
    do("draft_plan", trich_yeu="Dự thảo 1", noi_dung="…")
    do("approve_plan", quyet_dinh="return", y_kien="Sửa lại")
    assert ready("draft_plan").data["y_kien"] == "Sửa lại"
    do("draft_plan", trich_yeu="Dự thảo 2")
    do("approve_plan", quyet_dinh="approve")

    def prepare_issue(w):  # the service task before the clerk: the proposed number and the dates
        task = w.get_tasks(state=TaskState.STARTED)[0]
        assert task.task_spec.bpmn_id == "prepare_issue"
        task.data.update(so_du_kien="811/KH-PGDĐT", ngay_ban_hanh="2022-08-03", ngay_duyet="2022-08-03")
        task.complete()

    step(prepare_issue)
    do("register_plan", noi_nhan=[{"org_id": 1, "purpose": "thuc_hien"}])

    def finish_service(w):
        task = w.get_tasks(state=TaskState.STARTED)[0]
        task.data.update(
            document_id=9,
            expected_count=2,
            plan_filed={"filed_count": 0, "expected_count": 2},
            follow_up_deadline="2099-01-01T00:00:00+00:00",
        )
        task.complete()

    step(finish_service)
    events = wf.get_events()
    assert [e.event_definition.name for e in events] == ["plan_filed"]
    assert events[0].payload["payload"] == {"directive_id": 7, "document_id": 9}
    store.apply(codec.changes(wf, snapshot))
    for filed in (1, 2):
        step(
            lambda w, n=filed: w.send_event(
                BpmnEvent(
                    MessageEventDefinition("plan_filed"),
                    {"payload": {"filed_count": n, "expected_count": 2}, "result_var": "plan_filed"},
                )
            )
        )
    assert wf.is_completed()
    assert ready_count(wf) == 0
    # a step writes the rows it touched, not the whole history
    assert max(store.writes[3:]) < len(store.rows)


def ready_count(wf):
    return len(wf.get_tasks(state=TaskState.READY | TaskState.WAITING))


def test_a_loop_continues_when_another_process_loads_the_instance():
    """A second worker (or a restart) parses the diagram afresh: a review loop must still end when its
    iteration completes (SpiffWorkflow only wires loop children when it creates them)."""
    from engine.core.ports import DefinitionRecord
    from engine.core.runtime import Runtime

    xml = (WORKFLOWS / "directive_plan.bpmn").read_bytes()
    definition = DefinitionRecord(1, "directive_plan", 1, "p", xml, ["implement_directive"], {})
    first, second = Runtime(), Runtime()
    live = first.new(definition)
    first.start_with_message(live, "implement_directive", {"directive_id": None})
    first.advance(live, lambda call: {})
    store = RowStore()
    store.apply(first.codec.changes(live.workflow, live.snapshot))

    other = second.load(definition, store.stored())  # another process, its own freshly parsed specs
    for bpmn_id, data in (("draft_plan", {"trich_yeu": "x"}), ("approve_plan", {"quyet_dinh": "approve"})):
        task = next(t for t in other.workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == bpmn_id)
        task.set_data(**data)
        task.run()
        result = second.advance(other, lambda call: {})
        store.apply(second.codec.changes(other.workflow, other.snapshot))
        other = Runtime().load(definition, store.stored())
    assert [t.bpmn_id for t in result.ready] == ["register_plan"]


def test_finished_loop_iterations_are_folded_so_history_does_not_grow():
    """A review loop returned many times keeps a constant number of stored rows, still counts its iterations
    (loopMaximum stays exact) and still ends where the diagram says, across restarts."""
    from engine.core.ports import DefinitionRecord
    from engine.core.runtime import Runtime
    from engine.core.state import FOLDED

    xml = (WORKFLOWS / "directive_plan.bpmn").read_bytes()
    definition = DefinitionRecord(1, "directive_plan", 1, "p", xml, ["implement_directive"], {})
    runtime = Runtime()
    live = runtime.new(definition)
    runtime.start_with_message(live, "implement_directive", {"directive_id": None})
    runtime.advance(live, lambda call: {})
    store = RowStore()
    store.apply(runtime.codec.changes(live.workflow, live.snapshot))
    sizes = []

    def do(bpmn_id, data):
        nonlocal live
        live = Runtime().load(definition, store.stored())  # every step in a fresh process
        task = next(t for t in live.workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == bpmn_id)
        task.set_data(**data)
        task.run()
        result = runtime.advance(live, lambda call: {})
        store.apply(runtime.codec.changes(live.workflow, live.snapshot))
        return result

    def loop_row_size():  # the stored loop task: its `merged` list packed as a count, not one entry per round
        (row,) = [r for r in store.rows.values() if "merged" in r.props["internal_data"]]
        return len(json.dumps(row.props))

    returns = 15
    row_sizes = []
    for i in range(returns):
        do("draft_plan", {"trich_yeu": f"Dự thảo lần {i + 1}"})
        do("approve_plan", {"quyet_dinh": "return", "y_kien": f"Sửa lần {i + 1}"})
        sizes.append(len(store.rows))
        row_sizes.append(loop_row_size())
    assert sizes[2] == sizes[-1], sizes  # constant from the third round on
    assert row_sizes[-1] - row_sizes[2] <= 1, row_sizes  # 3 or 15 rounds: the same bytes but the count's digits
    do("draft_plan", {"trich_yeu": "Bản cuối"})
    result = do("approve_plan", {"quyet_dinh": "approve"})
    assert [t.bpmn_id for t in result.ready] == ["register_plan"]
    loop = next(
        t for t in live.workflow.get_tasks() if t.task_spec.bpmn_id == "review_cycle" and "merged" in t.internal_data
    )
    merged = loop.internal_data["merged"]
    assert len(merged) == returns + 1 and merged[:-1] == [FOLDED] * returns
    assert loop.data["trich_yeu"] == "Bản cuối"  # the iterations' data was merged before they were folded
