"""Writes that are data administration (models/commands/) own one commit each; engine errors are answered in one
place (web/errors.py): JSON under /api and for the modeller's calls, a page for the browser, session rolled back."""

from __future__ import annotations

from sqlalchemy import event, select

from engine.core.errors import DefinitionError
from engine.core.ports import Actor
from models import db
from models.commands import modeller as modeller_commands
from models.modeller import ProcessDraft
from models.roles import ROLES
from tests.web.test_modeller_web import WORKFLOWS, admin  # noqa: F401 (fixture)
from web.deps import cascade, store

KEY = "coordination_cmd"  # removed again by the `admin` fixture (not one of the shipped workflows)


def uploaded_xml() -> bytes:
    return (WORKFLOWS / "coordination.bpmn").read_text().replace('id="coordination"', f'id="{KEY}"').encode()


def commits_during(action) -> int:
    count = [0]

    def on_commit(_session):
        count[0] += 1

    event.listen(db.session, "after_commit", on_commit)
    try:
        action()
    finally:
        event.remove(db.session, "after_commit", on_commit)
    return count[0]


def test_deploy_and_draft_clean_up_are_one_commit(app, admin):  # noqa: F811
    with app.app_context():
        xml = uploaded_xml()
        modeller_commands.save_draft(KEY, xml, source="test", user_id=None, rebase=True)
        records = []

        def deploy():
            records.extend(
                modeller_commands.deploy(
                    cascade(),
                    store(),
                    Actor.system(),
                    xml,
                    process_keys={KEY},
                    known_roles=set(ROLES),
                    known_messages=None,
                )
            )

        assert commits_during(deploy) == 1
        assert [r.process_key for r in records] == [KEY]
        assert db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == KEY)).first() is None


def test_a_refused_deploy_keeps_the_draft(app, admin):  # noqa: F811
    with app.app_context():
        xml = uploaded_xml()
        modeller_commands.save_draft(KEY, xml, source="test", user_id=None, rebase=True)
        try:
            modeller_commands.deploy(
                cascade(),
                store(),
                Actor.system(),
                xml,
                process_keys={KEY},
                known_roles=set(),  # every candidate group unknown: refused
                known_messages=None,
            )
        except DefinitionError:
            db.session.rollback()  # as web/errors.py does
        else:
            raise AssertionError("the deploy should have been refused")
        assert db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == KEY)).first()


def test_engine_errors_are_answered_in_one_place(app, browser):
    with app.app_context():
        client = browser("pgddt.cttt")
        assert client.get("/tasks/999999999").status_code == 404
        token = client.csrf("/")
        refused = client.client.post("/tasks/999999999/claim", data={"csrf_token": token})
        assert refused.status_code == 404 and "Không tìm thấy" in refused.get_data(as_text=True)
