"""Work brought in over the API: the clerk registers an incoming document (JSON, or multipart with its PDF) and
assigns it, which starts the office's cascade; a process starts on its start event's message; and tokens made
by `flask create-token --read-only --rate-limit N`. On SQLite and PostgreSQL."""

from __future__ import annotations

import io

from sqlalchemy import select

from models import db
from models.org import ApiToken
from models.workflow import ProcessInstance
from tests.conftest import IsolatedClient
from tests.e2e.test_step_failures import cleanup, deploy
from tests.support.walk import open_task, org
from tests.web.test_api import token_for
from tests.web.test_api_openapi import assert_valid

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OUTSIDE = {
    "issuer_name": "Ban Chỉ đạo 138 tỉnh Quảng Ninh",
    "symbol": "12/KH-BCĐ138",
    "issued_on": "2022-07-25",
    "doc_type": "KH",
    "summary": "Phòng, chống tội phạm trong trường học năm 2022",
    "received_on": "29/07/2022",
}


def test_the_clerk_registers_an_incoming_document_and_assigns_it_over_the_api(app):
    with app.app_context():
        client, clerk = IsolatedClient(app), token_for("pgddt.vanthu")
        bad = client.post(
            "/api/documents/incoming", headers=clerk, json={**OUTSIDE, "symbol": "", "issued_on": "25.07.2022"}
        )
        assert bad.status_code == 422
        assert bad.get_json()["fields"]["issued_on"]["code"] == "not_a_date"
        bad = client.post("/api/documents/incoming", headers=clerk, json={**OUTSIDE, "symbol": "", "doc_type": "XX"})
        assert set(bad.get_json()["fields"]) == {"symbol", "doc_type"}
        later = client.post("/api/documents/incoming", headers=clerk, json={**OUTSIDE, "issued_on": "2022-08-30"})
        assert later.get_json()["fields"]["issued_on"]["code"] == "after_received"
        specialist = token_for("pgddt.cttt")  # not the clerk: refused as on the page
        assert client.post("/api/documents/incoming", headers=specialist, json=OUTSIDE).status_code == 403

        done = client.post("/api/documents/incoming", headers=clerk, json=OUTSIDE)
        assert done.status_code == 201, done.get_json()
        registered = done.get_json()
        assert_valid("IncomingRegistered", registered)
        assert registered["incoming_number"] == 1 and registered["received_on"] == "2022-07-29"
        assert registered["issuer"]["id"] is None and registered["issuer_name"] == OUTSIDE["issuer_name"]
        assert registered["symbol"] == "12/KH-BCĐ138" and registered["number"] == 12

        province = org("qn-sgddt")
        files = {
            "issuer_id": str(province.id),
            "symbol": "31/KH-SGDĐT",
            "issued_on": "20/07/2022",
            "doc_type": "KH",
            "summary": "Triển khai mô hình An ninh cơ sở",
            "files": (io.BytesIO(PDF), "31-KH-SGDDT.pdf"),
        }
        second = client.post("/api/documents/incoming", headers=clerk, data=files, content_type="multipart/form-data")
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["incoming_number"] == 2 and second.get_json()["issuer"]["id"] == province.id
        shown = client.get(second.get_json()["url"], headers=clerk).get_json()
        assert [f["filename"] for f in shown["files"] if f["kind"] == "received"] == ["31-KH-SGDDT.pdf"]
        refused = client.post(
            "/api/documents/incoming",
            headers=clerk,
            data={**files, "files": (io.BytesIO(b"MZ\x90\x00"), "virus.pdf")},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 422 and refused.get_json()["fields"]["files"]["code"] == "upload_type"

        document_id, office = registered["id"], org("cp-pgddt")
        other_clerk = token_for("ubndtinh.vanthu")
        assign = f"/api/documents/{document_id}/assign"
        assert client.post(assign, headers=other_clerk, json={"unit_id": office.id}).status_code == 404
        assert client.post(assign, headers=specialist, json={"unit_id": office.id}).status_code == 403
        wrong = client.post(assign, headers=clerk, json={"unit_id": province.id})  # not the office nor its unit
        assert wrong.status_code == 422 and wrong.get_json()["fields"]["unit_id"]["code"] == "not_an_option"
        assert client.post(assign, headers=clerk, json={"unit_id": "x"}).status_code == 422
        given = client.post(assign, headers=clerk, json={"unit_id": office.id, "response_due": "2022-08-05"})
        assert given.status_code == 200, given.get_json()
        assert_valid("Assigned", given.get_json())
        started = db.session.scalars(select(ProcessInstance).where(ProcessInstance.directive_id == document_id)).one()
        assert started.org_id == office.id and started.process_key == "directive_plan"
        assert open_task("draft_plan", instance_id=started.id)


MESSAGE_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_{pid}" targetNamespace="http://cascade.test">
  <bpmn:message id="Msg_{pid}" name="{message}"/>
  <bpmn:process id="{pid}" name="Tiếp nhận | Intake" isExecutable="true">
    <bpmn:startEvent id="received">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="orgKinds" value="office"/>
        <camunda:property name="manualStart" value="{manual}"/>
      </camunda:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="Msg_{pid}"/>
    </bpmn:startEvent>
    <bpmn:scriptTask id="copy" name="Chép chủ đề | Copy the topic"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>topic = {message}["topic"]</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="handle" name="Xử lý | Handle" camunda:candidateGroups="specialist">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="received" targetRef="copy"/>
    <bpmn:sequenceFlow id="f2" sourceRef="copy" targetRef="handle"/>
    <bpmn:sequenceFlow id="f3" sourceRef="handle" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_message_start_event_starts_its_process_from_outside(app):
    with app.app_context():
        deploy(MESSAGE_DIAGRAM.format(pid="intake_probe", message="intake_ping", manual="true").encode())
        deploy(MESSAGE_DIAGRAM.format(pid="intake_closed", message="intake_closed_ping", manual="false").encode())
        try:
            client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
            response = client.post("/api/messages/intake_ping", headers=cttt, json={"topic": "An ninh cơ sở"})
            assert response.status_code == 201, response.get_json()
            started = response.get_json()
            assert_valid("MessageStarted", started)
            assert started["process"] == "intake_probe" and started["message"] == "intake_ping"
            instance = db.session.get(ProcessInstance, started["id"])
            assert instance.org_id == org("cp-pgddt").id  # the section acts for its office
            assert open_task("handle", instance_id=instance.id)
            detail = client.get(f"/api/instances/{instance.id}", headers=cttt).get_json()
            assert detail["process"] == "intake_probe"

            assert client.post("/api/messages/nope", headers=cttt, json={}).status_code == 404
            assert client.post("/api/messages/intake_closed_ping", headers=cttt, json={}).status_code == 403
            school = token_for("thcs-suoikhoang.ht")  # a school may not start an office's process
            assert client.post("/api/messages/intake_ping", headers=school, json={"topic": "x"}).status_code == 403
            clerk = token_for("pgddt.vanthu")  # a clerk is no starter
            assert client.post("/api/messages/intake_ping", headers=clerk, json={"topic": "x"}).status_code == 403
            assert client.post("/api/messages/intake_ping", headers=cttt, json=[1]).status_code == 422
        finally:
            cleanup("intake_probe", "intake_closed")


def test_create_token_read_only_with_its_own_rate_limit(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["create-token", "pgddt.cttt", "--name", "ro", "--read-only", "--rate-limit", "2"]
        )
        assert result.exit_code == 0, result.output
        value = result.output.strip()
        row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(value))).one()
        assert (row.scope, row.rate_limit, row.name) == ("read", 2, "ro")
        client, headers = IsolatedClient(app), {"Authorization": f"Bearer {value}"}
        me = client.get("/api/me", headers=headers)
        assert me.status_code == 200 and me.headers["X-RateLimit-Limit"] == "2"
        assert client.post("/api/messages/x", headers=headers, json={}).status_code == 403
        assert client.get("/api/me", headers=headers).status_code == 429

        default = app.test_cli_runner().invoke(args=["create-token", "pgddt.cttt"])
        row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(default.output.strip())))
        assert (lambda t: (t.scope, t.rate_limit))(row.one()) == ("write", None)
        assert app.test_cli_runner().invoke(args=["create-token", "pgddt.cttt", "--rate-limit", "0"]).exit_code != 0
