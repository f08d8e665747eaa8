"""An integrator's walk of Plan 811 from another process, over a real server (gunicorn, two workers, on
PostgreSQL), with nothing but bearer tokens and the OpenAPI document: no database, no ids known beforehand.
The steering committee issues 05-KH/BCĐ; Phòng GDĐT issues 811/KH-PGDĐT (the clerk sends no recipients: the
drafter's are kept); three schools file their plans, one returned once; 811's cascade shows those three done
and every other implementer pending. Then a token's rate limit holds across both workers."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port, fresh_postgres
from tests.e2e.test_reliability import wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
SCHOOLS = ("thcs-suoikhoang", "th-camson", "mn-camson")  # their staff (.gv) and principals (.ht)
PEOPLE = ("bcd.chuyenvien", "bcd.pho", "bcd.vanthu", "pgddt.cttt", "pgddt.pho", "pgddt.vanthu")
PEOPLE += tuple(f"{s}.{r}" for s in SCHOOLS for r in ("gv", "ht")) + ("ubndtp.vanthu",)  # the last: rate limit
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def api_db():
    url = fresh_postgres("walk")
    env = {
        **os.environ,
        "CASCADE_DATABASE_URL": url,
        "CASCADE_SECRET_KEY": "api-walk-secret",
        "CASCADE_DEV": "1",  # the demo's people
        "FLASK_APP": "wsgi.py",
        "CASCADE_CLOCK_START": "2022-08-03T08:00:00+07:00",
    }
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    tokens = {}
    for username in PEOPLE:
        out = subprocess.run([*flask, "create-token", username], cwd=ROOT, env=env, check=True, capture_output=True)
        tokens[username] = out.stdout.decode().strip()
    return env, tokens


def serve(env: dict, **extra: str):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT,
        env={**env, **extra},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base)
    return server, base


class Api:
    """Calls by operationId, paths filled from the OpenAPI document."""

    def __init__(self, base: str, tokens: dict):
        self.base, self.tokens = base, tokens
        spec = requests.get(f"{base}/api/openapi.json", timeout=30).json()
        self.ops = {op["operationId"]: (m, p) for p, ms in spec["paths"].items() for m, op in ms.items()}

    def __call__(self, who: str, operation: str, expect: int = 200, *, json=None, params=None, **path):
        method, template = self.ops[operation]
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        url = self.base + template.format(**path)
        response = requests.request(method, url, headers=headers, json=json, params=params, timeout=60)
        assert response.status_code == expect, (operation, path, response.status_code, response.text[:500])
        return response.json()

    def task(self, who: str, bpmn_id: str, instance_id: int | None = None) -> dict:
        """My one open task with this BPMN id (in this instance), found through the inbox."""
        found = [
            t
            for t in self(who, "get_tasks")["tasks"]
            if t["bpmn_id"] == bpmn_id and instance_id in (None, t["instance_id"])
        ]
        assert len(found) == 1, (who, bpmn_id, found)
        return found[0]

    def complete(self, who: str, bpmn_id: str, values: dict, instance_id: int | None = None) -> dict:
        task = self.task(who, bpmn_id, instance_id)
        self(who, "post_tasks_task_id_complete", json=values, task_id=task["id"])
        return task


def issue_plan(api: Api, people: tuple[str, str, str], instance_id: int, summary: str) -> dict:
    """Draft (recipients as proposed), approve, number and issue; the issued document from the register."""
    drafter, approver, clerk = people
    draft = api.task(drafter, "draft_plan", instance_id)
    form = {f["id"]: f for f in api(drafter, "get_tasks_task_id", task_id=draft["id"])["form"]}
    assert form["noi_nhan"]["value"], "the usual recipients are proposed"
    values = {"loai_van_ban": "KH", "trich_yeu": summary, "noi_dung": "I. MỤC ĐÍCH, YÊU CẦU…", "han_nop": "2022-08-31"}
    api(drafter, "post_tasks_task_id_complete", json=values, task_id=draft["id"])
    api.complete(approver, "approve_plan", {"quyet_dinh": "approve"}, instance_id)
    register = api.task(clerk, "register_plan", instance_id)
    kept = next(f for f in api(clerk, "get_tasks_task_id", task_id=register["id"])["form"] if f["id"] == "noi_nhan")
    assert kept["value"] == form["noi_nhan"]["value"]
    api(clerk, "post_tasks_task_id_complete", json={}, task_id=register["id"])  # the recipients are kept
    issued = api(clerk, "get_documents", params={"direction": "issued", "q": summary})["documents"]
    assert len(issued) == 1
    return api(drafter, "get_documents_document_id", document_id=issued[0]["id"])


def test_plan_811_walked_over_the_api_alone(api_db):
    env, tokens = api_db
    server, base = serve(env, CASCADE_API_RATE_LIMIT="100000")
    try:
        api = Api(base, tokens)
        started = api("bcd.chuyenvien", "post_processes_key_instances", 201, json={}, key="directive_plan")["id"]
        plan05 = issue_plan(api, ("bcd.chuyenvien", "bcd.pho", "bcd.vanthu"), started, "Mô hình An ninh cơ sở 2022")
        assert plan05["symbol"] == "05-KH/BCĐ" and plan05["signature"]["mode"] == "TM"

        office = api.task("pgddt.cttt", "draft_plan")["instance_id"]  # started by 05-KH/BCĐ's delivery
        assert api("pgddt.cttt", "get_instances_instance_id", instance_id=office)["directive_id"] == plan05["id"]
        plan811 = issue_plan(api, ("pgddt.cttt", "pgddt.pho", "pgddt.vanthu"), office, "Triển khai An ninh cơ sở")
        assert plan811["symbol"] == "811/KH-PGDĐT" and plan811["issued_on"] == "2022-08-03"
        assert plan811["signature"]["mode"] == "KT"
        assert any(r["kind"] == "implements" and r["document"]["id"] == plan05["id"] for r in plan811["relations"])

        done = set()
        for index, school in enumerate(SCHOOLS):
            staff, principal = f"{school}.gv", f"{school}.ht"
            me = api(staff, "get_me")
            plan = {"trich_yeu": f"Kế hoạch An ninh cơ sở — {me['organisation']['name']}", "noi_dung": "Căn cứ 811…"}
            instance_id = api.complete(staff, "draft_school_plan", plan)["instance_id"]
            api.complete(principal, "principal_approval", {"hieu_truong_duyet": "approve"}, instance_id)
            if index == 0:  # returned once by CTTT, redrafted and approved again
                returned = {"ket_qua_xem_xet": "return", "y_kien_phong": "Bổ sung kinh phí."}
                api.complete("pgddt.cttt", "office_review", returned, instance_id)
                api.complete(staff, "draft_school_plan", {**plan, "kinh_phi": "15000000"}, instance_id)
                api.complete(principal, "principal_approval", {"hieu_truong_duyet": "approve"}, instance_id)
            api.complete("pgddt.cttt", "office_review", {"ket_qua_xem_xet": "accept"}, instance_id)
            done.add(me["organisation"]["id"])

        status = api("pgddt.cttt", "get_documents_document_id", document_id=plan811["id"])["cascade"]
        implementers = {n["org_id"]: n for n in status["nodes"] if n["purpose"] == "thuc_hien"}
        assert len(implementers) >= 55
        assert {i for i, n in implementers.items() if n["status"] == "done"} == done
        assert all(
            n["status"] in ("in_progress", "not_started", "late") for i, n in implementers.items() if i not in done
        )
        assert all(implementers[i]["response"]["symbol"] for i in done)
        assert status["totals"]["done"] >= len(done)
        assert api("th-camson.ht", "get_documents_document_id", document_id=plan811["id"])["cascade"] is None
    finally:
        server.terminate()
        server.wait(10)


def test_a_tokens_rate_limit_holds_across_workers(api_db):
    env, tokens = api_db
    server, base = serve(env, CASCADE_API_RATE_LIMIT="20")
    try:
        headers = {"Authorization": f"Bearer {tokens['ubndtp.vanthu']}"}
        with ThreadPoolExecutor(6) as pool:
            codes = list(
                pool.map(lambda _: requests.get(f"{base}/api/me", headers=headers, timeout=30).status_code, range(30))
            )
        assert sorted(codes) == [200] * 20 + [429] * 10 or _minute_turned(codes)
    finally:
        server.terminate()
        server.wait(10)


def _minute_turned(codes: list[int]) -> bool:
    """The 30 requests straddled a minute boundary: two windows, each within its limit."""
    return codes.count(200) <= 40 and codes.count(200) > 20 and set(codes) <= {200, 429}
