"""Decision tables (DMN): validate, deploy as a new version, list versions. Deployed beside the processes and
versioned the same way; a business rule task evaluates the version its instance first used (engine.core.decisions).

`validate_decision` and `deploy_decision` say the same (deploy raises DefinitionError with every problem
validate lists; engine.core.problem_text gives them in Vietnamese). Files in workflows/*.dmn are deployed by
`flask seed` / `flask deploy-workflows` through `deploy_shipped_decision`, never over an administrator's newer
version.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.core.clock import clock
from engine.core.decision_tables import decision_problems, load_decision
from engine.core.errors import Problem
from engine.core.ports import Actor
from models import db
from models.commands import Conflict
from models.decision import DecisionDefinition
from models.store import SqlStore

MODELLER = "modeller"


def validate_decision(xml: bytes) -> list[Problem]:
    """Every problem that stops this DMN file from being deployed, each naming the decision or its rule
    (hostile XML — DOCTYPE, entities, oversized — is refused like a BPMN upload); [] when it can be deployed."""
    return decision_problems(xml)


def _actor(user: Any) -> Actor:
    if user is None:
        return Actor.system()
    if isinstance(user, int):
        return Actor(user_id=user, org_id=None)
    return Actor(user_id=user.id, org_id=getattr(user, "org_id", None), name=getattr(user, "full_name", "") or "")


def _store(parsed, actor: Actor, source: str) -> DecisionDefinition:
    store = SqlStore()
    digest = hashlib.sha256(parsed.xml).hexdigest()
    try:
        record = store.add_decision(parsed.key, parsed.name, parsed.xml, digest, actor.user_id, source)
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("a version of this decision table was deployed meanwhile") from exc
    detail = {"decision": parsed.key, "version": record.version, "source": source}
    store.audit(actor, "decision.deploy", detail=detail, at=clock.now())
    return db.session.get(DecisionDefinition, record.id)


def deploy_decision(xml: bytes, user: Any, source: str | None = None) -> DecisionDefinition:
    """Check the file and store its decision as a new version (one commit); running instances keep the version
    they first evaluated, new ones take this one. Raises DefinitionError naming every problem (nothing stored).
    `user`: the User deploying (None: the system); `source`: where it came from (default: the modeller)."""
    parsed = load_decision(xml)
    row = _store(parsed, _actor(user), source or MODELLER)
    db.session.commit()
    return row


def deploy_shipped_decision(xml: bytes, source: str) -> tuple[DecisionDefinition | None, DecisionDefinition | None]:
    """A workflows/*.dmn file: (deployed, kept). Deployed as a new version when its content differs from the
    latest version; kept (nothing deployed) when an administrator's version (another source) is the latest."""
    parsed = load_decision(xml, filename=source)
    latest = db.session.scalars(
        select(DecisionDefinition)
        .where(DecisionDefinition.decision_key == parsed.key)
        .order_by(DecisionDefinition.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.source != source:
        return None, latest
    if latest is not None and latest.sha256 == hashlib.sha256(parsed.xml).hexdigest():
        return None, None
    row = _store(parsed, Actor.system(), source)
    db.session.commit()
    return row, None


def decision_versions(decision_key: str) -> list[DecisionDefinition]:
    """Every deployed version of a decision, oldest first."""
    stmt = (
        select(DecisionDefinition)
        .where(DecisionDefinition.decision_key == decision_key)
        .order_by(DecisionDefinition.version)
    )
    return list(db.session.scalars(stmt))


def latest_decisions() -> list[DecisionDefinition]:
    """The latest version of each deployed decision, by decision id."""
    latest = (
        select(DecisionDefinition.decision_key, func.max(DecisionDefinition.version).label("v"))
        .group_by(DecisionDefinition.decision_key)
        .subquery()
    )
    stmt = (
        select(DecisionDefinition)
        .join(
            latest,
            (DecisionDefinition.decision_key == latest.c.decision_key) & (DecisionDefinition.version == latest.c.v),
        )
        .order_by(DecisionDefinition.decision_key)
    )
    return list(db.session.scalars(stmt))


__all__ = [
    "decision_versions",
    "deploy_decision",
    "deploy_shipped_decision",
    "latest_decisions",
    "validate_decision",
]
