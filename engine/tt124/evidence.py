"""The school's evidence against the six criteria: one piece per round of the `evidence` loop (an empty form is
refused with the field's message and nothing is written), and files attached to a piece until the dossier is
sent."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from engine.core.access import can_attach_tt124_evidence
from engine.core.clock import clock
from engine.core.errors import EngineError, FormValidationError, NotAllowedError
from engine.core.forms import FieldError
from engine.core.ports import Actor, InstanceRecord, Store
from engine.core.runtime import ServiceCall
from engine.tt124.common import participation_of
from engine.tt124.rules import CRITERIA, EVIDENCE_OPEN_STATUSES, MAX_FILES_PER_EVIDENCE

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

CLEARED = {"tieu_chi": "", "minh_chung": "", "van_ban": "", "ngay_minh_chung": "", "ket_thuc": False}


def evidence_errors(data: dict) -> dict[str, FieldError]:
    """Why a round of the evidence form records nothing: no criterion or no text. A form with nothing in it
    is accepted only when it closes the evidence ("kết thúc cập nhật")."""
    criterion = str(data.get("tieu_chi") or "").strip()
    text = str(data.get("minh_chung") or "").strip()
    extra = any(str(data.get(k) or "").strip() for k in ("van_ban", "ngay_minh_chung"))
    if not criterion and not text:
        if data.get("ket_thuc") and not extra:
            return {}
        return {"minh_chung": FieldError("tt124_evidence_empty")}
    errors = {}
    if not (criterion.isdigit() and int(criterion) in CRITERIA):
        errors["tieu_chi"] = FieldError("tt124_evidence_no_criterion")
    if not text:
        errors["minh_chung"] = FieldError("tt124_evidence_no_text")
    return errors


def tt124_evidence(engine: Cascade, store: Store, instance: InstanceRecord, call: ServiceCall) -> dict:
    """File one piece of evidence; clear the form for the next round; stop when the school says it is done."""
    errors = evidence_errors(call.data)
    if errors:
        raise FormValidationError(errors)
    participation = participation_of(store, instance, call)
    text = str(call.data.get("minh_chung") or "").strip()
    if text:
        on = call.data.get("ngay_minh_chung")
        store.add_tt124_evidence(
            participation.id,
            int(call.data["tieu_chi"]),
            text,
            str(call.data.get("van_ban") or ""),
            date.fromisoformat(on) if on else None,
            store.last_completion(instance.id, "add_evidence"),
            clock.now(),
        )
    return {"evidence_closed": bool(call.data.get("ket_thuc")), **CLEARED}


def attach_evidence_files(
    store: Store, actor: Actor, evidence_id: int, files: list[tuple[str, str, bytes]]
) -> list[int]:
    """Keep files (name, type, bytes — checked and named safely by the caller) with one piece of the school's
    evidence, until its recognition dossier is sent; all or none, audited. Commits, or rolls back and raises."""
    try:
        return _attach(store, actor, evidence_id, files)
    except Exception:
        store.rollback()
        raise


def _attach(store: Store, actor: Actor, evidence_id: int, files: list[tuple[str, str, bytes]]) -> list[int]:
    evidence = store.tt124_evidence_item(evidence_id)
    participation = store.tt124_participation_by_id(evidence.participation_id) if evidence else None
    if evidence is None or participation is None:
        raise EngineError("Không tìm thấy minh chứng.")
    if not can_attach_tt124_evidence(actor, participation.school_id):
        raise NotAllowedError("Chỉ nhà trường mới đính kèm tệp vào minh chứng của trường.")
    if participation.status not in EVIDENCE_OPEN_STATUSES:
        raise EngineError("Hồ sơ đề nghị công nhận đã gửi; không thể đính kèm thêm tệp vào minh chứng.")
    if not files or any(not data for _name, _type, data in files):
        raise EngineError("Chưa chọn tệp, hoặc tệp không có nội dung.")
    if store.tt124_evidence_file_count(evidence.id) + len(files) > MAX_FILES_PER_EVIDENCE:
        raise EngineError(f"Mỗi minh chứng có tối đa {MAX_FILES_PER_EVIDENCE} tệp đính kèm.")
    now = clock.now()
    ids = [
        store.add_tt124_file(
            participation.id,
            "evidence",
            filename,
            data,
            None,
            now,
            evidence_id=evidence.id,
            content_type=content_type,
            by=actor.user_id,
        )
        for filename, content_type, data in files
    ]
    listed = [{"id": i, "name": f[0][:100], "type": f[1], "size": len(f[2])} for i, f in zip(ids, files, strict=True)]
    store.audit(
        actor,
        "tt124.evidence_files",
        instance_id=participation.instance_id,
        detail={"participation_id": participation.id, "evidence_id": evidence.id, "files": listed},
        at=now,
    )
    store.commit()
    return ids
