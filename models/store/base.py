"""The store's base: session and transaction helpers, the facts a transaction read under its locks,
organisations and people, the audit trail."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session, scoped_session

from engine.core.ports import Actor, HumanTaskRecord, Org, UserRecord
from models import deferred
from models.base import db
from models.org import User
from models.store.pieces import _AUDIT_PIECE, _utc
from models.store.records import _OrgCache, _OrgIndex
from models.store.statements import _INSERT_AUDIT, _USER_WITH_ROLES

_org_cache = _OrgCache()  # per process, shared by every store

_UNREAD = object()  # a summary this transaction has not read
_AFTER_COMMIT = "cascade_after_commit"  # session.info key: callbacks waiting for this transaction's commit


@event.listens_for(Session, "after_commit")
def _run_after_commit(session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_transaction_end")
def _forget_after_commit(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without its commit: rolled back or closed
        session.info.pop(_AFTER_COMMIT, None)


class StoreBase:
    """The session, this transaction's facts (locks and what they protect), organisations, people and audit;
    the feature mixins build on it."""

    def __init__(self, session=None):
        self.session = session or db.session
        self._orgs: _OrgIndex | None = None
        self._pg_flag: bool | None = None
        self._tx = None  # the transaction the facts below were read in
        self._locked: set[int] = set()  # instances this transaction holds locked
        self._open: dict[int, dict[int, HumanTaskRecord]] = {}  # locked instance -> its open tasks, kept in step
        self._summaries: dict[int, dict] = {}  # locked instance -> its summary as read
        self._sha: dict[int, str] = {}  # definition id -> content hash, read with the lock
        self._org_generation: int | None = None
        self.outbox_writes = 0  # messages written to the outbox through this store

    @property
    def _pg(self) -> bool:
        if self._pg_flag is None:
            self._pg_flag = self.session.get_bind().dialect.name == "postgresql"
        return self._pg_flag

    def _facts(self) -> StoreBase:
        """Forget what an earlier transaction read: locks and the rows they protect end with it."""
        session = self.session.registry() if isinstance(self.session, scoped_session) else self.session
        tx = session.get_transaction()
        if tx is not self._tx:
            self._tx = tx
            self._locked, self._open, self._summaries, self._sha = set(), {}, {}, {}
            self._open_guids: dict[int, dict[str, int]] = {}  # instance -> its open tasks' guid -> id (locked ones)
            self._new_instances: dict[int, deferred.Piece] = {}  # PostgreSQL: instances whose insert may still wait
            self._org_generation = None
        return self

    def _exec(self, statement, params=None):
        """A prebuilt Core statement on this transaction's connection. `session.execute` would add the ORM's
        per-statement work (about 50 µs on PostgreSQL) that Core statements do not need; pending ORM changes
        are flushed first, as its autoflush would."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            session.flush()
        return session.connection().execute(statement, params)

    def _for_update(self, stmt, skip_locked: bool = False):
        return stmt.with_for_update(skip_locked=skip_locked) if self._pg else stmt

    # transaction -------------------------------------------------------------------------------------
    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def after_commit(self, callback) -> None:
        """Run `callback` once the current transaction has committed; forget it if it rolls back."""
        self.session.info.setdefault(_AFTER_COMMIT, []).append(callback)

    # organisations and people ------------------------------------------------------------------------
    def orgs(self) -> list[Org]:
        if self._orgs is None:
            self._orgs = _org_cache.get(self.session, self._facts()._org_generation)
        return self._orgs.all  # shared per process: read it, never change it

    def org(self, org_id: int) -> Org:
        if self._orgs is None:
            self.orgs()
        return self._orgs[org_id]

    def user(self, user_id: int) -> UserRecord:
        rows = self.session.execute(_USER_WITH_ROLES, {"u": user_id}).all()
        if not rows:
            raise LookupError(f"user {user_id}")
        u = rows[0]
        roles = frozenset(r.role for r in rows if r.role)
        return UserRecord(
            id=u.id, username=u.username, full_name=u.full_name, title=u.title, org_id=u.org_id, roles=roles
        )

    def user_ids_by_username(self, usernames: list[str]) -> list[int]:
        if not usernames:
            return []
        return list(self.session.scalars(select(User.id).where(User.username.in_(usernames))))

    # audit ------------------------------------------------------------------------------------------
    def audit(self, actor: Actor, action: str, *, instance_id=None, detail=None, at: datetime) -> None:
        row = {
            "at": at,
            "user_id": actor.user_id,
            "org_id": actor.org_id,
            "instance_id": instance_id,
            "action": action,
            "detail": detail or {},
            "remote_addr": actor.remote_addr,
        }
        if self._pg:  # rides with the step's next statement (models.deferred)
            row.update(at=_utc(at), detail=json.dumps(row["detail"]))
            deferred.defer(self.session.connection(), deferred.Piece(_AUDIT_PIECE, row))
        else:
            self._exec(_INSERT_AUDIT, row)
