"""Timers, outbox messages, notifications and e-mails: what workers pick up after the commit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from engine.core.errors import EngineError
from engine.core.ports import EmailRecord, MessageRecord, NewMessage
from models import deferred
from models.base import utcnow
from models.incident import EmailMessage, Notification
from models.org import User
from models.store.base import StoreBase
from models.store.pieces import _compact, _utc
from models.store.records import _message_record
from models.store.statements import _CLAIM_MESSAGES, _INSERT_MESSAGE, _MESSAGE_DELIVERED, _MSG, _TAKE_WRITE_LOCK
from models.workflow import Message, Timer

EMAIL_LEASE = timedelta(minutes=10)  # a claimed e-mail is not claimed again before this, unless marked sent/failed
BURST = timedelta(minutes=10)  # notifications of one kind to one person this close together are one notification
GROUPED = re.compile(r"^(\d+) (trường|đơn vị): ")
WORK_CHANNEL = "cascade_work"  # PostgreSQL: what sleeping workers LISTEN on (web/worker.py)
_NOTIFY_WORK = text(f"NOTIFY {WORK_CHANNEL}")
_NOTIFIED = "cascade_work_notified"  # session.info: the transaction that already sent its NOTIFY


def _subject(body: str) -> str:
    """Whom a notification is about: bodies that name an organisation start with it ("Trường X — …")."""
    return body.split(" — ", 1)[0].strip()


def _kind(title: str, body: str, url: str | None) -> tuple[str, str]:
    """What a notification says with its organisation taken out, and the area it links to: equal for the 19
    notifications one action sends about 19 schools ("TT 124 — chưa đăng ký phấn đấu năm 2023", "/tt124")."""
    grouped = GROUPED.match(title)
    headline = title[grouped.end() :] if grouped else title
    subject = _subject(body)
    if not grouped and subject and subject in title:
        headline = re.sub(r"\s+", " ", title.replace(subject, " ")).strip(" :")
    return headline, "/" + (url or "").lstrip("/").split("/", 1)[0]


def _groupable(title: str, body: str, url: str | None) -> bool:
    """Only notifications about an organisation (named first in the body, or the whole body and in the title)
    group; each incident and each task sent back to someone stays its own notification."""
    about = " — " in body or (bool(body) and body in title)
    return about and not (url or "").startswith(("/incidents/", "/tasks/"))


def _group_title(lines: list[str], headline: str) -> str:
    schools = all(_subject(line).lower().startswith("trường") for line in lines)
    return f"{len(lines)} {'trường' if schools else 'đơn vị'}: {headline}"[:300]


def _digest(title: str, lines: list[str], url: str | None) -> str:
    return "\n".join([title, "", *(f"- {line}" for line in lines), "", url or ""]).strip()


# PostgreSQL: an instance's timer rows set to the waiting ones in one piece of a statement (models.deferred): those
# no longer waiting deleted, the others inserted or given their new due time; a row inserted or moved NOTIFYs the
# workers (RETURNING runs for each such row; the server sends one NOTIFY per transaction and channel): WORK_CHANNEL
_TIMERS_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}timers_gone AS (
            DELETE FROM timer
            WHERE instance_id = %({p}i)s::integer AND NOT fired AND guid <> ALL(%({p}guids)s::varchar[])
        )""",
        """{p}timers_set AS (
            INSERT INTO timer (instance_id, guid, bpmn_id, due_at, fired, attempts, parked)
            SELECT %({p}i)s::integer, x.guid, x.bpmn_id, x.due_at, false, 0, false
            FROM unnest(%({p}guids)s::varchar[], %({p}bpmn_ids)s::varchar[], %({p}dues)s::timestamptz[])
                AS x(guid, bpmn_id, due_at)
            ON CONFLICT (instance_id, guid) DO UPDATE SET due_at = EXCLUDED.due_at
            WHERE NOT timer.fired AND timer.due_at IS DISTINCT FROM EXCLUDED.due_at
            RETURNING pg_notify('cascade_work', '')
        )""",
    )
)


# PostgreSQL's message claims by source (OutboxStore.claim_pending_messages): the first pending message, oldest
# first and not already claimed by this transaction (`mine`), whose source this transaction can hold (the advisory
# lock, re-entrant, ends with the transaction; tried in order, stopping at the first it gets), then that source's
# oldest pending messages no one holds. The others: the oldest pending ones not yet this transaction's.
SOURCE_LOCK = 0x63617363  # the advisory locks' first key ("casc"); the second is the source instance's id
_MINE = bindparam("mine", type_=ARRAY(Integer))
_pending = (
    select(_MSG.c.source_instance_id)
    .where(_MSG.c.status == "pending", _MSG.c.source_instance_id.is_not(None), _MSG.c.id != func.all(_MINE))
    .order_by(_MSG.c.id)
    .offset(0)  # the lock is tried on rows in this order, above the scan, never pushed into it
    .subquery()
)
_free_source = (
    select(_pending.c.source_instance_id)
    .where(func.pg_try_advisory_xact_lock(SOURCE_LOCK, _pending.c.source_instance_id))
    .limit(1)
    .scalar_subquery()
)
_CLAIM_BY_SOURCE = (
    select(_MSG)
    .where(_MSG.c.status == "pending", _MSG.c.source_instance_id == _free_source, _MSG.c.id != func.all(_MINE))
    .order_by(_MSG.c.id)
    .limit(bindparam("n"))
    .with_for_update(skip_locked=True)
)
_CLAIM_OTHERS = (
    select(_MSG)
    .where(_MSG.c.status == "pending", _MSG.c.id != func.all(_MINE))
    .order_by(_MSG.c.id)
    .limit(bindparam("n"))
    .with_for_update(skip_locked=True)
)


class MessageAlreadyDelivered(EngineError):
    """Marking a message delivered found it no longer pending: another process delivered it (the claim was lost)."""


class OutboxStore(StoreBase):
    """The timer index, the message outbox, notifications and the e-mail queue.

    Claims are exactly-once on both databases: on PostgreSQL the rows are locked (`FOR UPDATE SKIP LOCKED`, other
    workers skip them); on SQLite the claim first takes the database's write lock, held until the claiming
    transaction ends. Marking done checks that the row was still pending."""

    def _take_write_lock(self) -> None:
        if not self._pg:
            self._exec(_TAKE_WRITE_LOCK)

    def _wake_workers(self) -> None:
        """PostgreSQL: `NOTIFY cascade_work` once in this transaction, which wrote a timer or an outbox message;
        the server delivers it to the listening workers when (and only if) the transaction commits."""
        if not self._pg:
            return
        transaction = self.session().get_transaction()  # scoped_session → this thread's session
        if self.session.info.get(_NOTIFIED) is not transaction:
            self._exec(_NOTIFY_WORK)
            self.session.info[_NOTIFIED] = transaction

    def next_due_at(self, now: datetime) -> datetime | None:
        """When the worker next has something to do, in one cheap statement: `now` when a message waits for its
        first delivery, else the earliest due time of a waiting timer or a queued e-mail (None: nothing). Messages
        that failed are retried at the worker's interval, and timer start events are not rows: not counted."""
        timer = select(func.min(Timer.due_at)).where(Timer.fired.is_(False), Timer.parked.is_(False))
        email = select(func.min(EmailMessage.next_attempt_at)).where(EmailMessage.status == "pending")
        message = select(literal(1)).where(Message.status == "pending", Message.attempts == 0).limit(1)
        row = self.session.execute(select(timer.scalar_subquery(), email.scalar_subquery(), message.exists())).one()
        if row[2]:
            return now
        return min((due for due in row[:2] if due is not None), default=None)

    # timers -----------------------------------------------------------------------------------------
    def sync_timers(self, instance_id: int, waiting: dict[str, tuple[str, datetime]]) -> None:
        """Make the instance's unfired timer rows the `waiting` ones (guid -> (BPMN id, due)); a new timer, or one
        whose due time moved, wakes the workers. PostgreSQL: one piece that rides with the step's next statement
        (models.deferred), no read first; it NOTIFYs from the rows it inserted or moved."""
        if self._pg:
            params = {
                "i": instance_id,
                "guids": list(waiting),
                "bpmn_ids": [bpmn_id for bpmn_id, _ in waiting.values()],
                "dues": [_utc(due) for _, due in waiting.values()],
            }
            ctes = _TIMERS_PIECE if waiting else _TIMERS_PIECE[:1]
            deferred.defer(self.session.connection(), deferred.Piece(ctes, params, ("timers", instance_id)))
            return
        rows = {
            t.guid: t
            for t in self.session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.fired.is_(False)))
        }
        wake = False  # a new timer, or one whose due time moved: the workers' next wake-up may change
        for guid, row in rows.items():
            if guid not in waiting:
                self.session.delete(row)
            elif row.due_at != waiting[guid][1]:
                row.due_at, wake = waiting[guid][1], True
        for guid, (bpmn_id, due) in waiting.items():
            if guid not in rows:
                self.session.add(Timer(instance_id=instance_id, guid=guid, bpmn_id=bpmn_id, due_at=due))
                wake = True
        self.session.flush()
        if wake:
            self._wake_workers()

    def due_timer_instances(self, now: datetime, limit: int) -> list[int]:
        stmt = (
            select(Timer.instance_id)
            .where(Timer.fired.is_(False), Timer.parked.is_(False), Timer.due_at <= now)
            .order_by(Timer.due_at)
            .limit(limit)
        )
        return list(dict.fromkeys(self.session.scalars(self._for_update(stmt, skip_locked=True))))

    def due_timers(self, instance_id: int, now: datetime) -> list[tuple[str, datetime]]:
        """The instance's timers due now and not yet fired, as (guid, due); read under the instance's lock, so a
        timer another process fired meanwhile is not among them."""
        stmt = (
            select(Timer.guid, Timer.due_at)
            .where(
                Timer.instance_id == instance_id, Timer.fired.is_(False), Timer.parked.is_(False), Timer.due_at <= now
            )
            .order_by(Timer.due_at, Timer.guid)
        )
        return [(guid, due) for guid, due in self.session.execute(stmt)]

    def mark_timers_fired(self, instance_id: int, guids: list[str], at: datetime) -> None:
        self.session.execute(
            update(Timer).where(Timer.instance_id == instance_id, Timer.guid.in_(guids)).values(fired=True, fired_at=at)
        )

    # messages ---------------------------------------------------------------------------------------
    def add_message(self, message: NewMessage) -> int:
        return self.add_messages([message])[0]

    def add_messages(self, messages: list[NewMessage]) -> list[int]:
        """Outbox rows, written in one statement however many."""
        if not messages:
            return []
        self.session.info["outbox_written"] = True  # tells the web layer there is something to deliver
        self.outbox_writes += len(messages)
        now = utcnow()
        rows = [
            {
                "name": m.name,
                "payload": m.payload,
                "source_instance_id": m.source_instance_id,
                "target_org_id": m.target_org_id,
                "directive_id": m.directive_id,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
            }
            for m in messages
        ]
        if len(rows) == 1:
            ids = [self._exec(_INSERT_MESSAGE, rows[0]).scalar_one()]
        else:
            ids = list(self.session.scalars(_INSERT_MESSAGE, rows, execution_options={"sort_by_parameter_order": True}))
        self._wake_workers()
        return ids

    def claim_pending_messages(self, limit: int) -> list[MessageRecord]:
        """The oldest pending messages, claimed until this transaction ends; other workers skip them.

        PostgreSQL: by source instance. The claim takes the oldest pending messages of a source no other
        deliverer is working on (a transaction-scoped advisory lock on the source), then of the next one while
        the batch has room; then, if room is left (messages without a source, or every source busy), the oldest
        pending ones. A fan-out's starts share data blobs (`json_data`, by hash): two workers starting schools of
        one directive at once each inserted the same blob, and the second waited for the first one's whole batch
        to commit (a unique index insert waits for the transaction that wrote the same key)."""
        self._take_write_lock()
        if not self._pg:
            return [_message_record(m) for m in self._exec(_CLAIM_MESSAGES[False], {"n": limit})]
        claimed: list = []
        while len(claimed) < limit:
            rows = self._exec(_CLAIM_BY_SOURCE, {"n": limit - len(claimed), "mine": [m.id for m in claimed]}).all()
            if not rows:
                break
            claimed += rows
        if len(claimed) < limit:
            params = {"n": limit - len(claimed), "mine": [m.id for m in claimed]}
            claimed += self._exec(_CLAIM_OTHERS, params).all()
        return [_message_record(m) for m in claimed]

    def claim_messages(self, message_ids: list[int]) -> list[MessageRecord]:
        """These messages if they are still pending and no other worker holds them, locked."""
        self._take_write_lock()
        stmt = select(_MSG).where(_MSG.c.id.in_(message_ids), _MSG.c.status == "pending").order_by(_MSG.c.id)
        return [_message_record(m) for m in self.session.execute(self._for_update(stmt, skip_locked=True))]

    def message_delivered(self, message_id: int, target_instance_id: int | None, at: datetime) -> None:
        if self._exec(_MESSAGE_DELIVERED, {"m": message_id, "at": at, "target": target_instance_id}).rowcount != 1:
            raise MessageAlreadyDelivered(f"message {message_id} is no longer pending")

    def message_failed(self, message_id: int, error: str, final: bool) -> None:
        m = self.session.get(Message, message_id)
        m.attempts += 1
        m.error = error[:2000]
        if final:
            m.status = "failed"

    def notify(self, user_ids: list[int], title: str, body: str, url: str | None, at: datetime) -> None:
        """In-app notifications and e-mails. A burst (one action telling one person about many schools: a Circular
        124 year, a reporting period) becomes one notification per person, "19 trường: …", listing the schools,
        and one digest e-mail while that e-mail is still waiting to be sent."""
        kind = _kind(title, body, url) if _groupable(title, body, url) else None
        for user in self.session.scalars(select(User).where(User.id.in_(set(user_ids)))):
            group = self._burst(user.id, kind, at) if kind else None
            if group is None:
                self.session.add(Notification(user_id=user.id, title=title[:300], body=body, url=url, created_at=at))
                self._email(user, title, f"{body}\n\n{url or ''}".strip(), at)
            else:
                self._join(group, user, kind[0], body, url, at)

    def _burst(self, user_id: int, kind: tuple[str, str], at: datetime) -> Notification | None:
        """The person's unread notification of this kind from the last few minutes, if any."""
        stmt = (
            select(Notification)
            .where(
                Notification.user_id == user_id, Notification.read_at.is_(None), Notification.created_at >= at - BURST
            )
            .order_by(Notification.id.desc())
            .limit(50)
        )
        return next((n for n in self.session.scalars(stmt) if _kind(n.title, n.body, n.url) == kind), None)

    def _join(self, group: Notification, user: User, headline: str, body: str, url: str | None, at: datetime) -> None:
        before = group.title
        lines = [*group.body.splitlines(), body]
        if group.url != url:
            group.url = _kind(before, group.body, group.url)[1]  # the area's page: /tt124, /reports
        group.title, group.body, group.created_at = _group_title(lines, headline), "\n".join(lines), at
        if not user.email:
            return
        waiting = self.session.scalars(
            self._for_update(
                select(EmailMessage).where(
                    EmailMessage.to_addr == user.email,
                    EmailMessage.subject == before[:300],
                    EmailMessage.status == "pending",
                    EmailMessage.attempts == 0,
                    EmailMessage.next_attempt_at <= at,  # not leased to a sender
                    EmailMessage.created_at >= at - BURST,
                ),
                skip_locked=True,
            ).limit(1)
        ).first()
        if waiting is None:  # already on its way: this one goes alone
            self._email(user, group.title, _digest(group.title, [body], url), at)
        else:
            waiting.subject, waiting.body = group.title, _digest(group.title, lines, group.url)

    def _email(self, user: User, subject: str, text: str, at: datetime) -> None:
        if user.email:
            self.session.add(
                EmailMessage(to_addr=user.email, subject=subject[:300], body=text, created_at=at, next_attempt_at=at)
            )

    def claim_pending_emails(self, now: datetime, limit: int) -> list[EmailRecord]:
        """Due e-mails, leased to the caller (their next attempt moved past the lease) once it commits: sending
        happens outside any transaction, and a process that dies while sending leaves them to be retried."""
        self._take_write_lock()
        stmt = (
            select(EmailMessage)
            .where(EmailMessage.status == "pending", EmailMessage.next_attempt_at <= now)
            .order_by(EmailMessage.id)
            .limit(limit)
        )
        rows = list(self.session.scalars(self._for_update(stmt, skip_locked=True)))
        for row in rows:
            row.next_attempt_at = now + EMAIL_LEASE
        return [
            EmailRecord(id=e.id, to_addr=e.to_addr, subject=e.subject, body=e.body, attempts=e.attempts) for e in rows
        ]

    def email_sent(self, email_id: int, at: datetime) -> None:
        row = self.session.get(EmailMessage, email_id)
        if row.status == "pending":
            row.status, row.sent_at, row.attempts = "sent", at, row.attempts + 1

    def email_failed(self, email_id: int, error: str, retry_at: datetime | None) -> None:
        row = self.session.get(EmailMessage, email_id)
        row.attempts += 1
        row.last_error = error[:2000]
        if retry_at is None:
            row.status = "failed"
        else:
            row.next_attempt_at = retry_at
