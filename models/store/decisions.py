"""Deployed decision tables (DMN) for the engine: a version by id, the latest by key, adding a version. The
administration lists (versions, latest of each) are models/commands/decisions.py."""

from __future__ import annotations

from sqlalchemy import func, select, update

from engine.core.ports import DecisionRecord
from models.decision import DecisionDefinition
from models.store.base import StoreBase


def decision_record(d: DecisionDefinition) -> DecisionRecord:
    return DecisionRecord(
        id=d.id,
        decision_key=d.decision_key,
        version=d.version,
        name=d.name,
        xml=d.xml,
        sha256=d.sha256,
        source=d.source,
    )


class DecisionStore(StoreBase):
    """engine.core.ports.Store's decision tables."""

    def decision(self, decision_id: int) -> DecisionRecord:
        return decision_record(self.session.get(DecisionDefinition, decision_id))

    def latest_decision(self, decision_key: str) -> DecisionRecord | None:
        row = self.session.scalars(
            select(DecisionDefinition)
            .where(DecisionDefinition.decision_key == decision_key)
            .order_by(DecisionDefinition.version.desc())
            .limit(1)
        ).first()
        return decision_record(row) if row else None

    def add_decision(
        self, decision_key: str, name: str, xml: bytes, sha256: str, deployed_by: int | None, source: str | None
    ) -> DecisionRecord:
        """A new version, numbered after the latest; two deploys at once are serialised as for processes (the
        no-op update locks the key's versions; SQLite: the database's write lock)."""
        self.session.execute(
            update(DecisionDefinition)
            .where(DecisionDefinition.decision_key == decision_key)
            .values(version=DecisionDefinition.version)
            .execution_options(synchronize_session=False)
        )
        current = self.session.scalar(
            select(func.max(DecisionDefinition.version)).where(DecisionDefinition.decision_key == decision_key)
        )
        row = DecisionDefinition(
            decision_key=decision_key,
            version=(current or 0) + 1,
            name=name[:300],
            xml=xml,
            sha256=sha256,
            deployed_by_id=deployed_by,
            source=source[:200] if source else None,
        )
        self.session.add(row)
        self.session.flush()
        return decision_record(row)
