"""Files on a document: the signed scan, the source (.docx), appendices, or the incoming document as received.
Whoever issued or registered the document attaches them; a PDF's digital signatures are checked on the way in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from engine.core.clock import clock
from engine.core.errors import NotAllowedError, TaskNotFoundError
from engine.core.ports import Actor
from engine.documents.ports import DocumentStore, NewDocumentFile
from engine.documents.signatures import pdf_signatures

FILE_KINDS = {
    "signed": "Bản ký, đóng dấu (scan)",
    "source": "Tệp nguồn (Word)",
    "appendix": "Phụ lục",
    "received": "Văn bản đến",
}


@dataclass(frozen=True)
class IncomingFile:
    """A file already checked by the web layer (size, type read from its bytes, safe name)."""

    filename: str
    content_type: str
    data: bytes


def may_attach(actor: Actor, issuer_id: int | None, registered_by: tuple[int, ...]) -> bool:
    """The issuing organisation, or one that entered the document in its incoming register."""
    return actor.is_admin or issuer_id in actor.org_scope or any(o in actor.org_scope for o in registered_by)


def store_files(store: DocumentStore, actor: Actor, document_id: int, kind: str, files: list[IncomingFile]) -> list:
    """Add the files without committing (for use cases that attach while doing something else)."""
    if kind not in FILE_KINDS:
        raise ValueError(f"unknown file kind {kind!r}")
    document = store.document(document_id)
    if document is None:
        raise TaskNotFoundError(document_id)
    if not may_attach(actor, document.issuer_id, document.registered_by):
        raise NotAllowedError("only the issuer or the office that registered it attaches files")
    owner = document.issuer_id if document.issuer_id in actor.org_scope else actor.org_id
    ids = []
    for f in files:
        signatures = pdf_signatures(f.data) if f.content_type == "application/pdf" else []
        ids.append(
            store.add_document_file(
                NewDocumentFile(
                    document_id=document_id,
                    kind=kind,
                    filename=f.filename,
                    content_type=f.content_type,
                    data=f.data,
                    sha256=hashlib.sha256(f.data).hexdigest(),
                    signatures=signatures,
                    org_id=owner or actor.org_id,
                    uploaded_by=actor.user_id,
                )
            )
        )
    store.audit(
        actor,
        "document.files",
        detail={"document_id": document_id, "kind": kind, "files": [f.filename for f in files]},
        at=clock.now(),
    )
    return ids


def attach_files(store: DocumentStore, actor: Actor, document_id: int, kind: str, files: list[IncomingFile]) -> list:
    """Attach files to a document and commit."""
    ids = store_files(store, actor, document_id, kind, files)
    store.commit()
    return ids
