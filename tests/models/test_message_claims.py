"""Outbox claims (`SqlStore.claim_pending_messages`): a claimed message is no other deliverer's until the claim's
transaction ends. On PostgreSQL two deliverers claim by source instance: the second one takes the next source's
messages, not the rest of the first one's (a fan-out's starts share data blobs, and the second would wait on the
first one's uncommitted insert of them), falls back to the oldest others when no source is free, and fills its
batch from the next sources. SQLite claims the oldest pending ones under its write lock."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from models import db
from models.base import utcnow
from models.store import SqlStore
from models.workflow import Message
from tests.support.reporting_walk import token_actor
from web.deps import cascade, store


def _outbox(per_source: dict[int, int]) -> dict[int, list[int]]:
    """Pending messages: `n` from each source instance, interleaved by id the way a fan-out writes them (one
    source after the other); returns source -> its message ids."""
    ids: dict[int, list[int]] = {}
    for source, n in per_source.items():
        rows = [
            {
                "name": "probe",
                "payload": {},
                "source_instance_id": source,
                "status": "pending",
                "attempts": 0,
                "created_at": utcnow(),
            }
            for _ in range(n)
        ]
        ids[source] = list(
            db.session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows)
        )
    db.session.commit()
    return ids


def _sources(n: int) -> list[int]:
    who = token_actor("pgddt.cttt")
    ids = [cascade().start_process(store(), who, "directive_plan") for _ in range(n)]
    db.session.remove()
    return ids


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_two_deliverers_claim_different_sources(app):
    with app.app_context():
        a_src, b_src, c_src = _sources(3)
        ids = _outbox({a_src: 30, b_src: 5, c_src: 30})
        first, second = SqlStore(Session(db.engine)), SqlStore(Session(db.engine))
        try:
            mine = [m.id for m in first.claim_pending_messages(20)]
            assert mine == ids[a_src][:20]  # the oldest source's oldest messages
            theirs = [m.id for m in second.claim_pending_messages(20)]
            assert theirs == ids[b_src] + ids[c_src][:15]  # the next free sources, not the rest of the first's
            for message_id in mine:
                first.message_delivered(message_id, None, utcnow())
            first.commit()  # its source is free again: the rest of it, then (every other source held) the oldest others
            mine = [m.id for m in first.claim_pending_messages(20)]
            assert mine == ids[a_src][20:] + ids[c_src][15:25]
            first.rollback()
            second.rollback()
            assert [m.id for m in second.claim_pending_messages(50)] == ids[a_src][20:] + ids[b_src] + ids[c_src]
        finally:
            first.session.close()
            second.session.close()


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_when_every_source_is_held_the_oldest_others_are_claimed(app):
    with app.app_context():
        (src,) = _sources(1)
        ids = _outbox({src: 30})
        first, second = SqlStore(Session(db.engine)), SqlStore(Session(db.engine))
        try:
            assert [m.id for m in first.claim_pending_messages(20)] == ids[src][:20]
            assert [m.id for m in second.claim_pending_messages(20)] == ids[src][20:]
        finally:
            first.session.close()
            second.session.close()


def test_a_claim_takes_the_oldest_pending_messages(app):
    with app.app_context():
        a_src, b_src = _sources(2)
        ids = _outbox({a_src: 3, b_src: 2})
        first = SqlStore(Session(db.engine))
        try:
            assert [m.id for m in first.claim_pending_messages(10)] == ids[a_src] + ids[b_src]
        finally:
            first.session.close()
