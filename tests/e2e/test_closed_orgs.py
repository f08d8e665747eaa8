"""On SQLite and PostgreSQL: a closed organisation keeps its history but takes part in nothing new. A reporting
period and a Circular 124 year leave it out (so do timer starts: `Cascade._start_on_timer`), a plan's proposed
"Nơi nhận" no longer offers it, and a message that would start a new instance there is kept on record, audited,
and starts nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from engine.core.clock import VN_TZ, clock
from engine.core.ports import NewMessage
from engine.documents.distribution import default_distribution
from engine.reporting import services as reporting_services
from engine.tt124 import services as tt124_services
from models import db
from models.org import Organisation
from models.report import ReportingRegime, ReportSubmission
from models.tt124 import Tt124Participation
from models.workflow import AuditEvent, Message, ProcessInstance
from tests.conftest import reset_dynamic
from tests.support.reporting_walk import token_actor
from tests.support.walk import org
from web.deps import cascade, store

SCHOOL = "cp-s-mn-quang-hanh"


def close(code: str) -> int:
    row = org(code)
    row.closed_at = datetime(2022, 9, 1, tzinfo=VN_TZ)
    db.session.commit()
    return row.id


def test_a_closed_school_takes_part_in_nothing_new(app):
    with app.app_context():
        try:
            closed = close(SCHOOL)
            office = org("cp-pgddt")
            clock.freeze(datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))
            regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
            period = reporting_services.open_period(cascade(), store(), token_actor("pgddt.cttt"), regime.id, 2022, 3)
            reporting = set(
                db.session.scalars(select(ReportSubmission.school_id).where(ReportSubmission.period_id == period))
            )
            assert reporting and closed not in reporting

            cycle = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), office.id, 2022)
            taking_part = set(
                db.session.scalars(select(Tt124Participation.school_id).where(Tt124Participation.cycle_id == cycle))
            )
            assert taking_part and closed not in taking_part

            proposed = {org_id for org_id, _ in default_distribution(store().org(office.id), store().orgs())}
            assert proposed and closed not in proposed

            s = store()
            s.add_message(
                NewMessage(
                    name="tt124_cycle_opened",
                    source_instance_id=None,
                    target_org_id=closed,
                    payload={"cycle_id": cycle},
                )
            )
            s.commit()
            cascade().deliver_messages(store())
            db.session.expire_all()
            assert not db.session.scalar(select(func.count()).where(ProcessInstance.org_id == closed))
            message = db.session.scalars(select(Message).where(Message.target_org_id == closed)).one()
            assert (message.status, message.target_instance_id) == ("delivered", None)
            audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "message.closed_org")).one()
            assert audit.detail["org_id"] == closed
            assert app.test_client().get("/").status_code in (200, 302)  # the app still serves
        finally:
            reset_dynamic()
            db.session.execute(
                Organisation.__table__.update().where(Organisation.code == SCHOOL).values(closed_at=None)
            )
            db.session.commit()
            clock.reset()
