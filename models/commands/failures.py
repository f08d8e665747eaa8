"""Operations failures, administered: recorded when a request's step failed, retried, or resolved. Each function
owns its commit (and its audit row)."""

from __future__ import annotations

from sqlalchemy import update

from engine.core.clock import clock
from engine.core.errors import StepFailedError
from engine.core.ports import Actor
from models import db
from models.ops import OperationFailure
from models.store import SqlStore
from models.workflow import Message, Timer


def record_request_failure(exc: StepFailedError, user_id: int | None) -> int:
    """A step that failed inside someone's request (already rolled back): on record for administrators."""
    store = SqlStore()
    failure_id = store.record_failure(
        "request",
        None,
        exc.element_id,
        exc.element_name,
        exc.reason,
        1,
        clock.now(),
        process_key=exc.process_key,
    )
    store.commit()
    return failure_id


def retry(failure: OperationFailure, actor: Actor) -> None:
    """Retry the failed job now: a parked timer falls due again, a failed message goes back to the outbox. A
    request's failure has no job to retry (the person acts again), nor has an instance that has ended (e.g. it ran on
    when migrated to a fixed version): those are marked resolved."""
    now = clock.now()
    finished = failure.instance is not None and failure.instance.status != "running"
    if failure.kind == "timer" and failure.instance_id is not None and not finished:
        db.session.execute(
            update(Timer)
            .where(Timer.instance_id == failure.instance_id, Timer.fired.is_(False), Timer.parked.is_(True))
            .values(parked=False, attempts=0, due_at=now)
        )
    elif failure.kind == "message" and failure.message_id is not None:
        db.session.execute(
            update(Message).where(Message.id == failure.message_id).values(status="pending", attempts=0, error=None)
        )
    # nothing left to run when a person's request failed or the instance has ended meanwhile (e.g. migrated on)
    failure.status = "resolved" if failure.kind == "request" or finished else "retried"
    failure.resolved_at, failure.resolved_by_id = now, actor.user_id
    SqlStore().audit(actor, "failure.retry", instance_id=failure.instance_id, detail={"failure": failure.id}, at=now)
    db.session.commit()
