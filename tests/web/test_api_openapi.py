"""The OpenAPI document is the API: every route of the `api` blueprint is in it and every documented route
exists, its examples and the API's real answers validate against its schemas, and the reference page shows
every operation."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from jsonschema import Draft202012Validator

from engine.core.clock import VN_TZ, clock
from tests.conftest import IsolatedClient
from tests.support.walk import open_task, org
from tests.web.test_api import token_for
from tests.web.test_api_resources import issue_office_plan
from web.api.openapi import document
from web.api.spec_schemas import SCHEMAS


def validator(name: str) -> Draft202012Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}}
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root)


def assert_valid(name: str, instance) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(instance)]
    assert not errors, f"{name}: {errors[:5]}"


def routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            out |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def documented() -> set[tuple[str, str]]:
    return {(m, p) for p, methods in document()["paths"].items() for m in methods}


def success_schemas():
    for path, methods in document()["paths"].items():
        for method, op in methods.items():
            for status, answer in op["responses"].items():
                for media in (answer.get("content") or {}).values():
                    yield f"{method} {path} {status}", media


def test_every_route_is_documented_and_every_documented_route_exists(app):
    assert routes(app) == documented()
    spec = document()
    assert spec["openapi"].startswith("3.1")
    ids = [op["operationId"] for methods in spec["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))


def test_schemas_are_valid_and_every_example_validates_against_its_schema():
    checked = 0
    for where, media in success_schemas():
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        if "example" in media:
            assert_valid(name, media["example"])
            checked += 1
        elif name != "Error":
            pytest.fail(f"{where}: no example")
    assert checked >= 20


def test_the_document_and_its_reference_page_are_served_without_a_token(app):
    with app.app_context():
        client = IsolatedClient(app)
        served = client.get("/api/openapi.json")
        assert served.status_code == 200 and served.get_json()["paths"].keys() == document()["paths"].keys()
        page = client.get("/api/reference").get_data(as_text=True)
        for path in document()["paths"]:
            assert path in page
        assert "<script" not in page


def test_real_answers_validate_against_the_schemas(app):
    with app.app_context():
        clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        a = org("cp-s-thcs-suoi-khoang")
        instance_id = issue_office_plan(client, [a.id])
        staff = token_for("thcs-suoikhoang.gv")
        task = open_task("draft_school_plan", "cp-s-thcs-suoi-khoang")
        document_id = client.get("/api/documents?direction=issued", headers=cttt).get_json()["documents"][0]["id"]
        incident = {
            "category": "fight",
            "severity": "minor",
            "location": "inside",
            "occurred_at": "2022-08-03T07:30",
            "description": "Xô xát.",
        }
        raised = client.post("/api/incidents", headers=staff, json=incident)
        assert_valid("Raised", raised.get_json())
        for name, path, token in (
            ("Me", "/api/me", cttt),
            ("OrganisationPage", "/api/organisations?limit=5", cttt),
            ("OrganisationDetail", f"/api/organisations/{a.id}", cttt),
            ("TaskList", "/api/tasks", staff),
            ("TaskDetail", f"/api/tasks/{task.id}", staff),
            ("Instance", f"/api/instances/{instance_id}", cttt),
            ("DocumentPage", "/api/documents", cttt),
            ("Document", f"/api/documents/{document_id}", cttt),
            ("Document", f"/api/documents/{document_id}", staff),
            ("IncidentPage", "/api/incidents", staff),
            ("IncidentDetail", f"/api/incidents/{raised.get_json()['id']}", staff),
            ("TaskPage", "/api/reports/tasks", staff),
            ("PeriodPage", "/api/reports/periods", cttt),
            ("SubmissionPage", "/api/reports/submissions", staff),
            ("ParticipationPage", "/api/tt124/participations", staff),
        ):
            response = client.get(path, headers=token)
            assert response.status_code == 200, path
            assert_valid(name, response.get_json())
        refused = client.post(f"/api/tasks/{task.id}/complete", headers=staff, json={"trich_yeu": ""})
        assert refused.status_code == 422
        assert_valid("Error", refused.get_json())
        assert_valid("Error", client.get("/api/tasks/999999", headers=staff).get_json())
