"""On SQLite and PostgreSQL, through the HTTP app: the office's leader starts a request, the send task delivers it to
a school (a new instance at its message start event), the principal answers in the inbox, the school's send task
replies to the asking instance (the delivered payload names its sender as `from_instance`), and the office's
receive task moves it on to the leader's inbox with the answer."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from engine.core.ports import Actor
from models import db
from models.org import Organisation, User
from models.roles import ROLES
from models.workflow import Message, ProcessDefinition, ProcessInstance
from tests.conftest import reset_dynamic
from tests.engine.test_send_receive import answering_xml, asking_xml
from tests.support.walk import complete, open_task, org
from web.deps import cascade, store

KEYS = ("yeu_cau_xac_nhan", "tra_loi_xac_nhan")


@pytest.fixture
def deployed(app):
    with app.app_context():
        for xml in (answering_xml(), asking_xml()):
            cascade().deploy(store(), Actor.system(), xml, source="tests", known_roles=set(ROLES))
    yield app
    with app.app_context():
        reset_dynamic()
        db.session.execute(delete(ProcessDefinition).where(ProcessDefinition.process_key.in_(KEYS)))
        db.session.commit()


def principal_of(school: Organisation) -> str:
    stmt = select(User.username).where(User.org_id == school.id, User.username.like("%.ht"))
    return db.session.scalars(stmt).one()


def test_a_request_goes_to_a_school_by_send_task_and_its_answer_comes_back_to_the_receive_task(deployed, browser):
    with deployed.app_context():
        leader = browser("pgddt.truongphong")
        response = leader.post_form("/processes/start", {"process_key": "yeu_cau_xac_nhan"})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        school, other = org("cp-s-mn-quang-hanh"), org("cp-s-mn-cam-thach")
        asking = db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == KEYS[0])).one()
        form = {"noi_dung": "Xác nhận sĩ số", "truong_id": school.id}
        complete(leader, open_task("soan", instance_id=asking.id), form)
        db.session.expire_all()
        (answering,) = db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == KEYS[1]))
        assert (answering.org_id, answering.parent_instance_id) == (school.id, asking.id)
        task = open_task("tra_loi", instance_id=answering.id)
        assert browser(principal_of(other)).get(f"/tasks/{task.id}").status_code == 404  # never another school's
        principal = browser(principal_of(school))
        assert "Trả lời yêu cầu xác nhận" in principal.get(f"/tasks/{task.id}").get_data(as_text=True)
        complete(principal, task, {"y_kien": "Đã xác nhận: 512 học sinh"})

        db.session.expire_all()
        assert db.session.get(ProcessInstance, answering.id).status == "completed"
        messages = db.session.scalars(select(Message).where(Message.source_instance_id == answering.id)).all()
        assert [(m.name, m.status, m.target_instance_id) for m in messages] == [
            ("tra_loi_xac_nhan", "delivered", asking.id)
        ]
        xem = open_task("xem", instance_id=asking.id)
        reply = cascade().form_for(store(), _leader_actor(), xem.id)[1]["__data__"]["tra_loi_xac_nhan"]
        assert reply == {"y_kien": "Đã xác nhận: 512 học sinh", "from_instance": answering.id, "to_instance": asking.id}
        complete(leader, xem, {})
        db.session.expire_all()
        assert db.session.get(ProcessInstance, asking.id).status == "completed"


def _leader_actor() -> Actor:
    user = db.session.scalars(select(User).where(User.username == "pgddt.truongphong")).one()
    return Actor(user.id, user.org_id, frozenset({"leader"}), frozenset({user.org_id}))
