"""The audit of administration changes: who changed what, with the values before and after, in the same
append-only table as the workflows' audit (and in the same transaction as the change)."""

from __future__ import annotations

from engine.core.errors import NotAllowedError
from engine.core.ports import Actor
from models import db
from models.workflow import AuditEvent


class InputError(ValueError):
    """Refused input, nothing written: `errors` maps a field name to a message code (web/admin words them)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowedError("administrators only")


def record_change(actor: Actor | None, action: str, target: str, before: dict | None, after: dict | None) -> None:
    """Add the audit row of one change; only the fields that changed are kept on both sides."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k)]
    detail = {
        "target": target,
        "before": {k: before[k] for k in changed if k in before},
        "after": {k: after[k] for k in changed if k in after},
    }
    db.session.add(
        AuditEvent(
            user_id=actor.user_id if actor and actor.user_id else None,
            org_id=actor.org_id if actor and actor.org_id else None,
            action=action,
            detail=detail,
            remote_addr=actor.remote_addr if actor else None,
        )
    )


__all__ = ["InputError", "record_change", "require_admin"]
