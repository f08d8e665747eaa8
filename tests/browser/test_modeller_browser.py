"""In Debian's Chromium: an administrator opens the school's plan in the modeller, gives the drafting task to
the principal and a new deadline through the properties panel, and deploys; a school whose plan started
before carries on under the old version while a new one follows the new version; the instance page marks
the active task and shows who does it and by when on hover."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from models import db
from models.modeller import ProcessDraft
from models.workflow import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance
from tests.browser.test_browser import live_server, login, page  # noqa: F401 - fixtures
from tests.conftest import IN_CI
from tests.support.walk import open_task
from tests.web.test_modeller_migration import SCHOOL_A, SCHOOL_B, complete_task, start_school_plan
from web.config import ROOT

pytestmark = pytest.mark.browser
DIST = ROOT / "web" / "static" / "dist"


@pytest.fixture(autouse=True)
def bundles():
    if not (DIST / "modeller.js").exists() or not (DIST / "viewer.js").exists():
        if IN_CI:
            pytest.fail("web/static/dist is not built (scripts/setup.sh runs npm ci and the esbuild build)")
        pytest.skip("modeller bundles not built")


def select_element(page, element_id: str) -> None:  # noqa: F811
    """Select through the modeler's selection service (opening the sub-process plane that holds it)."""
    page.evaluate(
        """(id) => {
            const modeler = window.cascadeModeler;
            const canvas = modeler.get('canvas');
            const element = modeler.get('elementRegistry').get(id);
            canvas.setRootElement(canvas.findRoot(element));
            modeler.get('selection').select(element);
        }""",
        element_id,
    )
    page.wait_for_function(
        "(id) => document.querySelector('.bio-properties-panel-header-label')?.textContent.length > 0 && "
        "window.cascadeModeler.get('selection').get()[0]?.id === id",
        arg=element_id,
    )


def open_group(page, group_id: str) -> None:  # noqa: F811
    group = page.locator(f'[data-group-id="group-{group_id}"]')
    if not group.locator(".bio-properties-panel-group-entries.open").count():
        group.locator(".bio-properties-panel-group-header").click()


def set_role(page, element_id: str, role: str, checked: bool) -> None:  # noqa: F811
    """Click a role's box, then wait for the diagram and the box to agree.

    Not `page.uncheck`: @bpmn-io/properties-panel 3.55's Checkbox keeps `event.target.value` ("on") as its
    local state after a change, so an unchecked box renders checked for one frame until its effect catches up
    with the model; Playwright's uncheck looks in that frame and fails under load."""
    box = page.locator(f"#bio-properties-panel-cascadeRole-{role}")
    assert box.is_checked() != checked
    box.click()
    page.wait_for_function(
        """([id, role, checked]) => {
            const groups = window.cascadeModeler.get('elementRegistry').get(id)
                .businessObject.get('camunda:candidateGroups') || '';
            return groups.split(',').map(g => g.trim()).includes(role) === checked;
        }""",
        arg=[element_id, role, checked],
    )
    expect(box).to_be_checked(checked=checked)


def test_admin_redraws_school_plan_and_deploys_in_the_browser(live_server, page, sqlite_app):  # noqa: F811
    base = live_server
    clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
    with sqlite_app.app_context():
        before = start_school_plan(SCHOOL_A)
        v1 = db.session.get(ProcessInstance, before).definition_id

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "admin")
    page.goto(f"{base}/modeller/")
    assert page.locator("#process-school_plan tr[data-version='1'] td.running").inner_text() == "1"
    page.click("#process-school_plan >> text=Mở trong trình soạn thảo")
    page.wait_for_selector("#modeller[data-ready='true']")
    assert page.locator(".bjs-powered-by").is_visible()  # the bpmn.io watermark (its licence)

    select_element(page, "draft_school_plan")
    page.wait_for_selector('[data-group-id="group-CascadeRoles"]')
    open_group(page, "CascadeRoles")
    set_role(page, "draft_school_plan", "staff", False)
    set_role(page, "draft_school_plan", "principal", True)
    open_group(page, "CamundaPlatform__UserAssignment")
    assert page.input_value("#bio-properties-panel-candidateGroups") == "principal"
    page.fill("#bio-properties-panel-dueDate", "P5D")
    page.press("#bio-properties-panel-dueDate", "Tab")
    page.wait_for_function(
        "() => window.cascadeModeler.get('elementRegistry').get('draft_school_plan')"
        ".businessObject.get('camunda:dueDate') === 'P5D'"
    )

    assert page.get_attribute("#modeller", "data-dirty") == "true"  # leaving now would ask first
    page.click("#modeller-validate")
    page.wait_for_selector("#modeller[data-validated]")
    assert page.get_attribute("#modeller", "data-validated") == "ok", page.inner_text("#modeller-problems")
    page.click("#modeller-deploy")
    page.wait_for_selector("#modeller[data-deployed]")
    assert page.get_attribute("#modeller", "data-deployed") == "2"
    assert page.get_attribute("#modeller", "data-dirty") == "false"
    assert "phiên bản 2" in page.inner_text("#modeller-status")
    assert page.locator("#modeller-next").is_visible()  # one instance runs on v1: migration offered
    assert errors == []

    with sqlite_app.app_context():
        v2 = db.session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.process_key == "school_plan", ProcessDefinition.version == 2
            )
        ).one()
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "definition.deploy")).first()
        after = start_school_plan(SCHOOL_B)
        # the new instance follows v2: the principal drafts, due five working days after the task was given
        # (Wednesday 03/08/2022 → Wednesday 10/08: the weekend is skipped)
        assert db.session.get(ProcessInstance, after).definition_id == v2.id
        new_task = open_task("draft_school_plan", instance_id=after)
        assert [c.role for c in new_task.candidates] == ["principal"]
        assert (new_task.due_at - new_task.created_at).days == 7
        # the one started before carries on under v1: staff drafts (seven working days: Friday 12/08), then the
        # principal approves
        old_task = open_task("draft_school_plan", instance_id=before)
        assert [c.role for c in old_task.candidates] == ["staff"]
        assert (old_task.due_at - old_task.created_at).days == 9
        complete_task("thcs-suoikhoang.gv", "draft_school_plan", before, {"trich_yeu": "KH", "noi_dung": "…"})
        assert db.session.get(ProcessInstance, before).definition_id == v1
        assert open_task("principal_approval", instance_id=before)
        due = db.session.scalars(
            select(HumanTask.due_at).where(HumanTask.instance_id == after, HumanTask.status == "open")
        ).one()

    # the new instance's page: its own version, the active task marked, who and when on hover
    page.goto(f"{base}/instances/{after}")
    page.wait_for_selector("#instance-diagram[data-ready='true']")
    assert "v2" in page.inner_text("h2:has-text('Sơ đồ quy trình')")
    marker = "(a) => window.cascadeViewer.get('canvas').hasMarker(a[0], a[1])"
    assert page.evaluate(marker, ["plan_cycle", "cascade-active"])
    assert page.evaluate(marker, ["draft_school_plan", "cascade-active"])  # inside the sub-process
    assert page.evaluate(marker, ["received", "cascade-completed"])
    assert "cascade-active" in page.locator('.djs-element[data-element-id="plan_cycle"]').get_attribute("class")
    assert page.get_attribute(".bjs-drilldown", "title").startswith("Mở Soạn, duyệt")  # bpmn-js's words too
    page.click(".bjs-drilldown")  # into the sub-process
    assert "cascade-active" in page.locator('.djs-element[data-element-id="draft_school_plan"]').get_attribute("class")
    page.hover('.djs-element[data-element-id="draft_school_plan"]')
    info = page.locator(".cascade-info")
    info.wait_for()
    text = info.inner_text()
    assert "chưa ai nhận" in text and due.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") in text
    assert "Hiệu trưởng" in text
    if os.environ.get("CASCADE_SCREENSHOT"):
        page.screenshot(path=os.environ["CASCADE_SCREENSHOT"], full_page=True)
    assert errors == []


def modeller_words(page) -> dict[str, str]:  # noqa: F811
    """bpmn-js's words where an administrator meets them: palette, properties panel, context pad, lint button.
    text_content, not inner_text: the panel's CSS upper-cases the element type."""
    select_element(page, "draft_school_plan")
    open_group(page, "CamundaPlatform__UserAssignment")

    def text(selector: str) -> str:
        return (page.locator(selector).first.text_content() or "").strip()

    def palette(action: str) -> str:
        return page.get_attribute(f'.djs-palette .entry[data-action="{action}"]', "aria-label")

    return {
        "palette_gateway": palette("create.exclusive-gateway"),
        "palette_task": palette("create.task"),
        "type": text(".bio-properties-panel-header-type"),
        "general": text('[data-group-id="group-general"] .bio-properties-panel-group-header-title'),
        "assignment": text(
            '[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header-title'
        ),
        "candidate_groups": text('[data-entry-id="candidateGroups"] .bio-properties-panel-label'),
        "due_date": text('[data-entry-id="dueDate"] .bio-properties-panel-label'),
        "roles": text('[data-group-id="group-CascadeRoles"] .bio-properties-panel-group-header-title'),
        "append_gateway": page.get_attribute('.djs-context-pad .entry[data-action="append.gateway"]', "title"),
        "lint": text(".bjsl-button"),
    }


def test_modeller_speaks_vietnamese_by_default_and_english_when_chosen(live_server, page, sqlite_app):  # noqa: F811
    base = live_server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "admin")
    page.goto(f"{base}/modeller/school_plan")
    page.wait_for_selector("#modeller[data-ready='true']")
    assert page.get_attribute("#modeller", "data-lang") == "vi"
    assert page.locator(".bjs-powered-by").is_visible()
    words = modeller_words(page)
    assert words["palette_gateway"] == "Tạo cổng"
    assert words["palette_task"] == "Tạo tác vụ"
    assert words["type"] == "Tác vụ người dùng"
    assert words["general"] == "Thông tin chung"
    assert words["assignment"] == "Phân công người thực hiện"
    assert words["candidate_groups"] == "Nhóm ứng viên"
    assert words["due_date"] == "Hạn xử lý"
    assert words["roles"] == "Vai trò Cascade"
    assert words["append_gateway"] == "Nối cổng"
    assert "lỗi" in words["lint"] and "cảnh báo" in words["lint"]

    # an unnamed gateway: its type in the panel's header, the kinds it can become in the replace menu
    page.evaluate(
        "(id) => window.cascadeModeler.get('selection').select(window.cascadeModeler.get('elementRegistry').get(id))",
        "gw_principal",
    )
    page.wait_for_function(
        "() => document.querySelector('.bio-properties-panel-header-type')?.textContent === 'Cổng loại trừ'"
    )
    page.click(".djs-context-pad .entry[data-action='replace']")
    menu = page.locator(".djs-popup")
    menu.wait_for()
    assert menu.locator('[data-id="replace-with-parallel-gateway"]').text_content().strip() == "Cổng song song"
    page.keyboard.press("Escape")
    # every template bpmn-js asked for on the way has a Vietnamese entry (the dictionary lists what it lacks)
    assert page.evaluate("() => [...window.cascadeModeler.get('translate').missing]") == []

    page.goto(f"{base}/modeller/school_plan?lang=en")
    page.wait_for_selector("#modeller[data-ready='true']")
    assert page.get_attribute("#modeller", "data-lang") == "en"
    assert page.locator(".bjs-powered-by").is_visible()
    words = modeller_words(page)
    assert words["palette_gateway"] == "Create gateway"
    assert words["palette_task"] == "Create task"
    assert words["type"] == "User Task"
    assert words["general"] == "General"
    assert words["assignment"] == "User assignment"
    assert words["candidate_groups"] == "Candidate groups"
    assert words["due_date"] == "Due date"
    assert words["roles"] == "Cascade roles"
    assert words["append_gateway"] == "Append gateway"
    assert "Errors" in words["lint"] and "Warnings" in words["lint"]
    assert errors == []


SAMPLES = Path("/work/shared/bpmn-samples/miwg")


def _ids(xml: bytes) -> set[str]:
    from lxml import etree

    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    return {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="no MIWG reference files in shared/")
def test_files_from_other_tools_open_save_and_reopen_without_losing_elements(live_server, page, sqlite_app):  # noqa: F811
    base = live_server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "admin")
    registry_ids = "() => window.cascadeModeler.get('elementRegistry').getAll().map(e => e.id).sort()"
    for path in sorted(SAMPLES.glob("*.bpmn")):
        page.goto(f"{base}/modeller/")
        page.set_input_files("#upload-file", str(path))
        page.click(".upload-form button[type=submit]")
        page.wait_for_selector("#modeller[data-ready]")
        assert page.get_attribute("#modeller", "data-ready") == "true", path.name
        shown = page.evaluate(registry_ids)
        page.click("#modeller-save")
        page.wait_for_selector("#modeller-status.success")
        page.reload()
        page.wait_for_selector("#modeller[data-ready='true']")
        assert page.evaluate(registry_ids) == shown, path.name
        with sqlite_app.app_context():
            db.session.expire_all()
            key = page.get_attribute("#modeller", "data-process-key")
            saved = db.session.scalars(select(ProcessDraft.xml).where(ProcessDraft.process_key == key)).one()
        lost = _ids(path.read_bytes()) - _ids(saved)
        assert not lost, (path.name, sorted(lost)[:10])
        # deploying says what in it the engine cannot run (these reference models are not executable)
        page.click("#modeller-deploy")
        page.wait_for_selector("#modeller-status.error")
        assert "isExecutable" in page.inner_text("#modeller-problems"), path.name
    assert errors == []
    with sqlite_app.app_context():
        from tests.web.test_modeller_web import forget_uploads

        forget_uploads()
