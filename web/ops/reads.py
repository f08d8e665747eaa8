"""Read-only queries on operations failures, for the instance page and its diagram."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models.ops import OperationFailure


def open_failures_of(instance_id: int) -> list[OperationFailure]:
    stmt = (
        select(OperationFailure)
        .where(OperationFailure.instance_id == instance_id, OperationFailure.status == "open")
        .order_by(OperationFailure.id)
    )
    return list(db.session.scalars(stmt))


def open_failure_elements(instance_id: int) -> set[str]:
    return {f.element_id for f in open_failures_of(instance_id) if f.element_id}
