"""The modeller's writes: drafts (save, upload, discard) and deploying a draft as new versions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from engine.core.cascade import Cascade
from engine.core.ports import Actor, DefinitionRecord, Store
from engine.core.xmlsafe import BPMN_MODEL_NS, parse_xml
from models import db
from models.commands import Conflict
from models.modeller import ProcessDraft
from models.workflow import ProcessDefinition

B = f"{{{BPMN_MODEL_NS}}}"


def save_draft(process_key: str, xml: bytes, *, source: str, user_id: int, rebase: bool) -> ProcessDraft:
    """The process's one draft, created or replaced. `rebase`: the draft now starts from the latest version
    (an upload); otherwise an existing draft keeps the version it was started from."""
    root = parse_xml(xml)
    process = next((p for p in root.iter(B + "process") if p.get("id") == process_key), None)
    name = (process.get("name") if process is not None else None) or process_key
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == process_key)).first()
    if draft is None or rebase:
        base = db.session.scalar(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == process_key)
        )
        if draft is None:
            draft = ProcessDraft(process_key=process_key)
            db.session.add(draft)
        draft.base_version = base
    draft.name, draft.xml, draft.source, draft.updated_by_id = name[:300], xml, source[:200], user_id
    db.session.commit()
    return draft


def discard_draft(process_key: str) -> None:
    db.session.execute(delete(ProcessDraft).where(ProcessDraft.process_key == process_key))
    db.session.commit()


def deploy(
    engine: Cascade,
    store: Store,
    actor: Actor,
    xml: bytes,
    *,
    process_keys: Iterable[str],
    known_roles: set[str],
    known_messages: set[str],
) -> list[DefinitionRecord]:
    """Deploy the file's processes as new versions and drop their drafts, in one transaction: the drafts'
    removal waits in the session and `Cascade.deploy`'s one commit stores both (a refusal stores neither).
    The very first version of a new process deployed twice at the same moment raises Conflict."""
    db.session.execute(delete(ProcessDraft).where(ProcessDraft.process_key.in_(list(process_keys))))
    try:
        return engine.deploy(
            store, actor, xml, source="modeller", known_roles=known_roles, known_messages=known_messages
        )
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("a version of this process was deployed meanwhile") from exc
