"""What periodic reporting plugs into the engine: its service tasks, and the count of reports in for a period,
added to a report's message under the compiling office's lock."""

from __future__ import annotations

from engine.core.ports import MessageRecord, Store
from engine.core.registry import DeliveryMemo, Feature
from engine.reporting.services import HANDLERS


def count_reports(store: Store, message: MessageRecord, payload: dict, memo: DeliveryMemo) -> None:
    if payload.get("to_instance") and payload.get("period_id"):
        filed, expected = store.period_counts(int(payload["period_id"]))
        payload.update(filed_count=filed, expected_count=expected)


def period_subject(message: MessageRecord) -> str | None:
    period_id = message.payload.get("period_id")
    return (
        f"period:{period_id}"
        if period_id and message.target_org_id and not message.payload.get("to_instance")
        else None
    )


FEATURE = Feature(name="reporting", services=HANDLERS, before_delivery=count_reports, subject=period_subject)
