"""In Chromium: the instance page's diagram draws only the user's language half of a "Vietnamese | English"
label, wrapped inside its shape (issue 13)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from models import db
from models.workflow import ProcessInstance
from tests.browser.test_browser import live_server, login, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TEXT = "(id) => [...document.querySelectorAll(`.djs-element[data-element-id='${id}'] text`)].map(t => t.textContent)"
ALL = "() => [...document.querySelectorAll('#instance-diagram svg text')].map(t => t.textContent)"
INSIDE = """(id) => {
  const g = document.querySelector(`.djs-element[data-element-id='${id}']`);
  const box = g.querySelector('rect').getBoundingClientRect();
  const text = g.querySelector('text').getBoundingClientRect();
  return text.left >= box.left && text.right <= box.right && text.top >= box.top && text.bottom <= box.bottom;
}"""


def open_diagram(page, base: str, instance_id: int, lang: str) -> None:  # noqa: F811
    page.goto(f"{base}/instances/{instance_id}?lang={lang}")
    page.wait_for_selector("#instance-diagram[data-ready='true']")


def test_diagram_shows_the_users_half_of_each_label_inside_its_shape(live_server, page, sqlite_app):  # noqa: F811
    base = live_server
    login(page, base, "pgddt.cttt")
    page.goto(f"{base}/processes/start")
    page.click("form:has(input[value=directive_plan]) button")
    with sqlite_app.app_context():
        instance_id = db.session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id.desc())).first()

    open_diagram(page, base, instance_id, "vi")
    words = " ".join(page.evaluate(TEXT, "register_plan"))
    assert "Vào số và phát hành" in words.replace("  ", " ") or "Vào số" in words
    assert "Number" not in words and "|" not in words
    assert page.evaluate(INSIDE, "register_plan") and page.evaluate(INSIDE, "review_cycle")
    assert not [t for t in page.evaluate(ALL) if "|" in t]
    if os.environ.get("CASCADE_SCREENSHOT"):
        page.screenshot(path=os.environ["CASCADE_SCREENSHOT"], full_page=True)
    page.click(".bjs-drilldown")  # into "Soạn và duyệt dự thảo"
    words = " ".join(page.evaluate(TEXT, "draft_plan"))
    assert "Soạn dự thảo" in words and "Draft" not in words
    assert page.evaluate(INSIDE, "draft_plan")

    open_diagram(page, base, instance_id, "en")
    words = " ".join(page.evaluate(TEXT, "register_plan"))
    assert "Number" in words and "Vào" not in words
    assert page.evaluate(INSIDE, "register_plan")
    assert not [t for t in page.evaluate(ALL) if "|" in t]
    open_diagram(page, base, instance_id, "vi")  # the language is remembered: set it back for later tests
