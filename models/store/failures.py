"""Operations failures and failing timers: what the worker records when a job cannot run."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from models.ops import OperationFailure
from models.store.base import StoreBase
from models.workflow import ProcessDefinition, ProcessInstance, Timer


class FailureStore(StoreBase):
    """engine.core.ports.Store: `timer_failed`, `record_failure`."""

    def timer_failed(self, instance_id: int, now: datetime, error: str, max_attempts: int, backoff: timedelta) -> int:
        """Count a failed firing on the instance's due timers: retried after backoff × 2^(attempts − 1), parked
        once `max_attempts` is reached. Returns the attempts made."""
        rows = self.session.scalars(
            select(Timer).where(
                Timer.instance_id == instance_id, Timer.fired.is_(False), Timer.parked.is_(False), Timer.due_at <= now
            )
        ).all()
        attempts = 0
        for row in rows:
            row.attempts = (row.attempts or 0) + 1
            row.last_error = error[:2000]
            attempts = max(attempts, row.attempts)
            if row.attempts >= max_attempts:
                row.parked = True
            else:
                row.due_at = now + backoff * 2 ** (row.attempts - 1)
        self.session.flush()
        return attempts

    def resolve_failures(self, instance_id: int, status: str, by: int | None, at: datetime) -> None:
        """Close the instance's open failures (e.g. "cancelled" when the instance is cancelled)."""
        for row in self.session.scalars(
            select(OperationFailure).where(
                OperationFailure.instance_id == instance_id, OperationFailure.status == "open"
            )
        ):
            row.status, row.resolved_by_id, row.resolved_at = status, by, at

    def record_failure(
        self,
        kind: str,
        instance_id: int | None,
        element_id: str | None,
        element_name: str | None,
        error: str,
        attempts: int,
        at: datetime,
        *,
        message_id: int | None = None,
        process_key: str | None = None,
    ) -> int:
        """Open an operations failure (one open per instance, element and kind: a repeat counts attempts)."""
        version = None
        if instance_id is not None:
            instance = self.session.get(ProcessInstance, instance_id)
            if instance is not None:
                process_key = instance.process_key
                version = self.session.scalar(
                    select(ProcessDefinition.version).where(ProcessDefinition.id == instance.definition_id)
                )
        existing = self.session.scalars(
            select(OperationFailure).where(
                OperationFailure.status == "open",
                OperationFailure.kind == kind,
                OperationFailure.instance_id == instance_id,
                OperationFailure.element_id == element_id,
                OperationFailure.message_id == message_id,
            )
        ).first()
        if existing is not None and instance_id is not None:
            existing.attempts, existing.error, existing.created_at = existing.attempts + attempts, error[:4000], at
            return existing.id
        row = OperationFailure(
            kind=kind,
            instance_id=instance_id,
            message_id=message_id,
            process_key=process_key,
            version=version,
            element_id=element_id,
            element_name=element_name,
            error=error[:4000],
            attempts=attempts,
            created_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id
