"""The decision tables' pages and endpoints (issue 17): admins only, in Vietnamese and English; validate names
the broken rule; deploy adds a version; a version downloads as stored; CSRF enforced; hostile XML refused and
nothing stored."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from models import db
from models.decision import DecisionDefinition

KEY = "cascade_test_table"


def table_xml(key: str = KEY, *, first_output: str = "True", name: str = "Bảng thử | Test table") -> str:
    """A small decision table in the form dmn-js writes (DMN 1.3, FEEL-style list in one input cell)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="{key}_defs" name="{key}" namespace="https://cascade.local/dmn">
  <decision id="{key}" name="{name}">
    <decisionTable id="{key}_table" hitPolicy="FIRST">
      <input id="in_muc_do" label="Mức độ | Severity">
        <inputExpression id="in_muc_do_e" typeRef="string"><text>muc_do</text></inputExpression>
      </input>
      <output id="out_cap_tren" label="Báo cấp trên | Report up" name="bao_cap_tren" typeRef="boolean"/>
      <rule id="rule_serious">
        <inputEntry id="e1"><text>"serious","very_serious","fatal"</text></inputEntry>
        <outputEntry id="o1"><text>{first_output}</text></outputEntry>
      </rule>
      <rule id="rule_other">
        <inputEntry id="e2"><text>-</text></inputEntry>
        <outputEntry id="o2"><text>false</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


class Admin:
    """An admin session posting JSON with the CSRF token in the X-CSRFToken header, as the editor does."""

    def __init__(self, browser):
        self.b = browser("admin")
        self.token = self.b.csrf("/modeller/")

    def post_json(self, path: str, xml: str | bytes, *, csrf: bool = True, forged: bool = False):
        text = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
        headers = {"X-CSRFToken": "forged" if forged else self.token} if csrf else {}
        return self.b.client.post(path, json={"xml": text}, headers=headers)


def versions(key: str = KEY) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(DecisionDefinition).where(DecisionDefinition.decision_key == key)
    )


@pytest.fixture
def admin(app, browser):
    with app.app_context():
        yield Admin(browser)
        db.session.rollback()
        db.session.execute(db.delete(DecisionDefinition).where(DecisionDefinition.decision_key == KEY))
        db.session.commit()


def test_pages_read_in_vietnamese_and_english(app, admin):
    assert admin.post_json("/modeller/decisions/deploy", table_xml()).status_code == 200
    page = admin.b.get("/modeller/decisions").get_data(as_text=True)
    assert "Bảng quyết định (DMN)" in page and f'data-decision="{KEY}"' in page and "Bảng thử" in page
    assert "incident_notices" in page  # the shipped table, deployed by the seed
    assert "Bảng quyết định (DMN)" in admin.b.get("/modeller/").get_data(as_text=True)  # linked from the modeller
    editor = admin.b.get(f"/modeller/decisions/{KEY}").get_data(as_text=True)
    for text in ("Kiểm tra", "Triển khai", "Tải xuống", "Các phiên bản", 'data-lang="vi"', "dist/dmn-editor.js"):
        assert text in editor, text
    assert f"/modeller/decisions/{KEY}/1.dmn" in editor
    english = admin.b.get(f"/modeller/decisions/{KEY}?lang=en").get_data(as_text=True)
    for text in ("Validate", "Deploy", "Download", "Versions", 'data-lang="en"'):
        assert text in english, text
    assert "Decision tables (DMN)" in admin.b.get("/modeller/decisions").get_data(as_text=True)
    # a key never deployed opens a new table to start from; the list's form leads there
    fresh = admin.b.get("/modeller/decisions/bang_moi?lang=vi").get_data(as_text=True)
    assert 'id="dmn-new-xml"' in fresh and "data-xml-url" not in fresh and "Bảng mới, chưa triển khai" in fresh
    start = html.unescape(re.search(r'<textarea id="dmn-new-xml"[^>]*>(.*?)</textarea>', fresh, re.S).group(1))
    assert 'decision id="bang_moi"' in start
    assert admin.post_json("/modeller/decisions/validate", start).get_json()["problems"] == []  # deployable as is
    assert admin.b.get("/modeller/decisions?key=bang_moi").headers["Location"].endswith("/modeller/decisions/bang_moi")
    assert admin.b.get("/modeller/decisions/bad%20key").status_code == 404
    # the BPMN modeller links business rule tasks to these pages
    assert 'data-decisions-url="/modeller/decisions/"' in admin.b.get("/modeller/incident").get_data(as_text=True)


def test_only_administrators_reach_the_decision_tables(app, browser):
    with app.app_context():
        for username in ("pgddt.cttt", "thcs-suoikhoang.ht", "pgddt.truongphong"):
            client = browser(username)
            token = client.csrf("/")
            for path in (
                "/modeller/decisions",
                "/modeller/decisions/incident_notices",
                "/modeller/decisions/incident_notices/1.dmn",
            ):
                assert client.get(path).status_code == 403, (username, path)
            for path in ("/modeller/decisions/validate", "/modeller/decisions/deploy"):
                response = client.client.post(path, json={"xml": table_xml()}, headers={"X-CSRFToken": token})
                assert response.status_code == 403, (username, path)
        anonymous = browser()
        for path in ("/modeller/decisions", "/modeller/decisions/incident_notices"):
            response = anonymous.get(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert versions() == 0


def test_validate_names_the_broken_rule_and_deploy_refuses_it(app, admin):
    broken = table_xml(first_output="True (")
    for path in ("/modeller/decisions/validate", "/modeller/decisions/deploy"):
        response = admin.post_json(path, broken)
        assert response.status_code == 422, response.get_data(as_text=True)
        problems = response.get_json()["problems"]
        assert any(p["element"] == "rule_serious" and "rule 1" in p["message_en"] for p in problems), problems
        assert all(p["message"] != p["message_en"] for p in problems)  # Vietnamese first
    assert versions() == 0
    ok = admin.post_json("/modeller/decisions/validate", table_xml())
    assert ok.status_code == 200 and ok.get_json()["problems"] == []


def test_deploy_adds_a_version_and_each_version_downloads_as_stored(app, admin):
    first = admin.post_json("/modeller/decisions/deploy", table_xml())
    assert first.status_code == 200 and first.get_json()["version"] == 1 and first.get_json()["key"] == KEY
    second = admin.post_json("/modeller/decisions/deploy", table_xml(first_output="False"))
    assert second.get_json()["version"] == 2 and "phiên bản 2" in second.get_json()["message"]
    assert versions() == 2
    rows = {
        d.version: d
        for d in db.session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == KEY))
    }
    assert rows[2].source == "modeller" and rows[2].deployed_by.username == "admin"
    for version in (1, 2):
        response = admin.b.get(f"/modeller/decisions/{KEY}/{version}.dmn")
        assert response.status_code == 200 and response.data == rows[version].xml
        assert f'filename="{KEY}-v{version}.dmn"' in response.headers["Content-Disposition"]
    assert b"<text>False</text>" in rows[2].xml and b"<text>False</text>" not in rows[1].xml
    assert admin.b.get(f"/modeller/decisions/{KEY}/3.dmn").status_code == 404
    page = admin.b.get(f"/modeller/decisions/{KEY}").get_data(as_text=True)
    assert f"/modeller/decisions/{KEY}/2.dmn" in page and 'data-version="1"' in page and 'data-version="2"' in page


def test_posts_without_the_csrf_token_are_refused(app, admin):
    for path in ("/modeller/decisions/validate", "/modeller/decisions/deploy"):
        assert admin.post_json(path, table_xml(), csrf=False).status_code == 400, path
        assert admin.post_json(path, table_xml(), forged=True).status_code == 400, path
    assert versions() == 0


HOSTILE = {
    "external entity": (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + table_xml().split("?>", 1)[1].replace('name="Bảng thử | Test table"', 'name="&xxe;"'),
        "DOCTYPE",
    ),
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d">&lol2;</definitions>',
        "DOCTYPE",
    ),
    "over the size limit": (
        table_xml().replace("</definitions>", "<!--" + "x" * 2_100_000 + "--></definitions>"),
        "too large",
    ),
    "not DMN": ('<?xml version="1.0"?><html><body><script>alert(1)</script></body></html>', "not a DMN file"),
    "not XML": ("PK\x03\x04 a zip file, not XML", "not well-formed XML"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_and_nothing_stored(app, admin, case):
    content, fragment = HOSTILE[case]
    for path in ("/modeller/decisions/validate", "/modeller/decisions/deploy"):
        response = admin.post_json(path, content)
        assert response.status_code == 422, (path, response.status_code)
        body = response.get_json()
        text = body["message"] + " ".join(p.get("message_en", p["message"]) for p in body.get("problems", []))
        assert fragment in text, (path, text)
    assert versions() == 0
