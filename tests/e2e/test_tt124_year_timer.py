"""On SQLite and PostgreSQL: `workflows/tt124_year.bpmn` opens the Circular 124 year by its timer start event
(`R/2022-11-16T00:00:00+07:00/P1Y`): on 16/11 the worker starts it at each office, which opens the year whose
window begins that day for the office's eligible schools (one `tt124_cycle` instance each), once; a year the office
opened by hand is left as it is; an office without schools records that it had nothing to open."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from engine.core.clock import VN_TZ, clock
from engine.core.ports import Actor
from engine.core.timer_starts import Schedules
from engine.tt124 import services as tt124_services
from models import db
from models.org import Organisation
from models.roles import ROLES
from models.tt124 import Tt124Cycle, Tt124Participation
from models.workflow import ProcessDefinition, ProcessInstance
from tests.conftest import reset_dynamic
from tests.support.walk import org
from web.config import ROOT
from web.deps import cascade, store


@pytest.fixture
def yearly(app):
    """A version of tt124_year deployed before its first due time (the seeded one may postdate it)."""
    with app.app_context():
        cascade().timer_schedules = Schedules()
        clock.freeze(datetime(2022, 11, 1, 8, 0, tzinfo=VN_TZ))
        xml = (ROOT / "workflows" / "tt124_year.bpmn").read_bytes()
        (record,) = cascade().deploy(store(), Actor.system(), xml, source="tests", known_roles=set(ROLES))
    yield app
    with app.app_context():
        reset_dynamic()
        db.session.execute(delete(ProcessDefinition).where(ProcessDefinition.id == record.id))
        db.session.commit()
        cascade().timer_schedules = Schedules()
        clock.reset()


def year_instances() -> list[ProcessInstance]:
    db.session.expire_all()
    stmt = select(ProcessInstance).where(ProcessInstance.process_key == "tt124_year").order_by(ProcessInstance.id)
    return list(db.session.scalars(stmt))


def eligible_schools(cycle_id: int) -> int:
    stmt = select(func.count()).where(Tt124Participation.cycle_id == cycle_id, Tt124Participation.eligible)
    return db.session.scalar(stmt)


def test_the_year_opens_by_itself_on_16_november_once_per_office(yearly):
    with yearly.app_context():
        office = org("cp-pgddt")
        offices = set(db.session.scalars(select(Organisation.id).where(Organisation.kind == "office")))
        clock.freeze(datetime(2022, 11, 15, 23, 59, tzinfo=VN_TZ))
        assert cascade().fire_due_timers(store()) == 0 and year_instances() == []

        clock.freeze(datetime(2022, 11, 16, 0, 0, 5, tzinfo=VN_TZ))
        assert cascade().fire_due_timers(store()) == len(offices)
        started = year_instances()
        assert {i.org_id for i in started} == offices and {i.status for i in started} == {"completed"}
        (cycle,) = db.session.scalars(select(Tt124Cycle).where(Tt124Cycle.receiver_id == office.id))
        assert (cycle.year, cycle.start.isoformat(), cycle.end.isoformat()) == (2023, "2022-11-16", "2023-11-15")
        cascade().deliver_messages(store())
        schools = db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == "tt124_cycle")).all()
        assert len(schools) == eligible_schools(cycle.id) > 0
        assert {s.subject for s in schools} == {f"tt124:{cycle.id}"}

        assert cascade().fire_due_timers(store()) == 0  # the same due time never starts twice
        assert len(year_instances()) == len(offices)
        assert db.session.scalar(select(func.count()).select_from(Tt124Cycle)) == 1  # offices without schools: none


def test_a_year_opened_by_hand_is_left_as_it_is(yearly):
    with yearly.app_context():
        office = org("cp-pgddt")
        clock.freeze(datetime(2022, 11, 16, 7, 30, tzinfo=VN_TZ))  # the office opened 2023 early that morning...
        by_hand = tt124_services.open_cycle(cascade(), store(), Actor.system(), office.id, 2023)
        cascade().deliver_messages(store())
        before = db.session.scalar(select(func.count()).where(ProcessInstance.process_key == "tt124_cycle"))
        clock.freeze(datetime(2022, 11, 16, 8, 0, tzinfo=VN_TZ))  # ...before the worker came round
        assert cascade().fire_due_timers(store()) > 0
        cascade().deliver_messages(store())
        (cycle,) = db.session.scalars(select(Tt124Cycle))
        assert cycle.id == by_hand
        assert db.session.scalar(select(func.count()).where(ProcessInstance.process_key == "tt124_cycle")) == before
        mine = next(i for i in year_instances() if i.org_id == office.id)
        assert mine.status == "completed"
