"""On SQLite and PostgreSQL: an administrator deploys v2 of the incident_notices decision table (a fight, even
minor, is reported up); an incident a school raises after that notifies the city committee and gives the city
police their task, while an incident raised before keeps v1's outcome; seeding again (twice) and
`flask deploy-workflows` never deploy workflows/incident_notices.dmn over the administrator's v2."""

from __future__ import annotations

from sqlalchemy import select

from engine.core.clock import clock
from engine.core.decisions import DECISION_PINS
from engine.core.errors import DefinitionError
from models import db
from models.commands.decisions import decision_versions, deploy_decision, latest_decisions, validate_decision
from models.decision import DecisionDefinition
from models.incident import Incident, Notification
from models.org import User
from models.store import SqlStore
from models.workflow import AuditEvent, HumanTask, ProcessInstance
from seed import run as run_seed
from tests.engine.test_decisions import TABLE, with_fight_rule
from tests.web.test_incidents import T0, raise_incident
from web.deps import cascade
from web.filters import action_label

PRINCIPAL = "thcs-suoikhoang.ht"  # raises it himself: no confirmation step, the table is read at once
CITY_LEADER = "ubndtp.lanhdao"


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def city_told_of(incident_id: int) -> bool:
    url = f"/incidents/{incident_id}"
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user(CITY_LEADER).id, Notification.url == url)
    )
    return any(n.title.startswith("Báo cáo sự việc") for n in rows)


def task_ids(incident_id: int) -> set[str]:
    db.session.expire_all()
    instance_id = db.session.get(Incident, incident_id).instance_id
    return set(db.session.scalars(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance_id)))


def pins(incident_id: int) -> dict:
    instance = db.session.get(ProcessInstance, db.session.get(Incident, incident_id).instance_id)
    live = cascade().load_instance(SqlStore(), instance)
    return live.workflow.data.get(DECISION_PINS) or {}


def test_an_administrators_table_changes_who_is_told_of_new_incidents_only(app, browser):
    clock.freeze(T0)  # the incidents happened that morning
    with app.app_context():
        (v1,) = decision_versions("incident_notices")
        assert v1.version == 1 and v1.source == "workflows/incident_notices.dmn"
        _, before = raise_incident(browser, PRINCIPAL, category="fight", severity="minor")
        assert not city_told_of(before) and "police_coordination" not in task_ids(before)
        assert pins(before) == {"incident_notices": v1.id}

        changed = with_fight_rule(v1.xml)
        assert validate_decision(changed) == []
        v2 = deploy_decision(changed, user("admin"))
        assert (v2.version, v2.source, v2.deployed_by_id) == (2, "modeller", user("admin").id)
        assert [d.version for d in latest_decisions() if d.decision_key == "incident_notices"] == [2]
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.deploy")).one()
        assert audit.user_id == user("admin").id and audit.detail["version"] == 2
        with app.test_request_context("/?lang=vi"):
            assert action_label("decision.deploy").startswith("triển khai phiên bản bảng quyết định")

        _, after = raise_incident(browser, PRINCIPAL, category="fight", severity="minor")
        assert city_told_of(after) and "police_coordination" in task_ids(after)
        assert pins(after) == {"incident_notices": v2.id}
        # the earlier incident keeps v1's outcome: still not reported up, still pinned to v1
        assert not city_told_of(before) and "police_coordination" not in task_ids(before)
        assert pins(before) == {"incident_notices": v1.id}
        # what did not change in v2 is as before: a serious incident is reported up, a minor drugs case is not
        _, serious = raise_incident(browser, PRINCIPAL, category="drugs", severity="serious")
        _, minor = raise_incident(browser, PRINCIPAL, category="drugs", severity="minor")
        assert city_told_of(serious) and not city_told_of(minor)


def test_seeding_never_deploys_the_shipped_table_over_an_administrators_version(app):
    with app.app_context():
        v2 = deploy_decision(with_fight_rule(TABLE), user("admin"))
        for _ in range(2):
            summary = run_seed(cascade(), demo=False)
            assert summary["decision tables deployed"] == 0
            assert summary["kept (deployed by an administrator)"] >= 1
        output = app.test_cli_runner().invoke(args=["deploy-workflows"]).output
        assert "kept incident_notices v2: deployed by an administrator (modeller)" in output
        assert [d.id for d in decision_versions("incident_notices")][-1] == v2.id
        assert db.session.scalars(select(DecisionDefinition.version)).all().count(3) == 0


def test_a_broken_table_is_refused_with_its_problems_and_nothing_is_stored(app):
    with app.app_context():
        broken = TABLE.replace(b'hitPolicy="FIRST"', b'hitPolicy="ANY"')
        (problem,) = validate_decision(broken)
        assert problem.element_id == "incident_notices" and "ANY" in problem.message
        try:
            deploy_decision(broken, user("admin"))
        except DefinitionError as exc:
            assert [str(p) for p in exc.problems] == [str(problem)]
        else:
            raise AssertionError("deployed")
        assert [d.version for d in decision_versions("incident_notices")] == [1]
