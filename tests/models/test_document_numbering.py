"""Numbers stay gap-free per issuer and year when two clerks number at the same moment on PostgreSQL: the counter's
row lock makes the second wait for the first to commit, and each gets the next number."""

from __future__ import annotations

import threading

from sqlalchemy import select

from models import db
from models.document import DocumentCounter
from models.store import SqlStore
from tests.support.walk import org


def _number(app, org_id: int, key: str, barrier: threading.Barrier, out: list) -> None:
    with app.app_context():
        store = SqlStore()
        barrier.wait()
        out.append(store.next_document_number(org_id, key))
        store.commit()


def test_two_clerks_numbering_at_once_get_consecutive_numbers(pg_app):
    with pg_app.app_context():
        office = org("cp-pgddt").id
        results: list[int] = []
        for key in ("2022", "2031"):  # an existing counter, and one both create at once
            barrier = threading.Barrier(2)
            threads = [threading.Thread(target=_number, args=(pg_app, office, key, barrier, results)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        assert sorted(results[:2]) == [811, 812]
        assert sorted(results[2:]) == [1, 2]
        db.session.expire_all()
        value = db.session.scalar(
            select(DocumentCounter.value).where(DocumentCounter.org_id == office, DocumentCounter.key == "2022")
        )
        assert value == 812


def test_a_rolled_back_issue_gives_its_number_back(pg_app):
    with pg_app.app_context():
        store, office = SqlStore(), org("cp-pgddt").id
        assert store.next_document_number(office, "2022") == 811
        store.rollback()
        assert store.peek_document_number(office, "2022") == 811
        assert store.next_document_number(office, "2022") == 811
        store.rollback()
