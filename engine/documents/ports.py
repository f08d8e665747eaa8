"""What directives and documents need from storage: numbering, documents with recipients, responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from engine.core.ports import Store


@dataclass
class NewDocument:
    issuer_id: int | None
    doc_type: str
    number: int
    year: int
    symbol: str
    grammar: str
    summary: str
    body: str
    place: str | None
    issued_on: date
    signer_name: str | None
    signer_title: str | None
    authority_title: str | None
    signing_mode: str
    drafting_unit: str | None
    response_due: date | None
    issuing_instance_id: int | None
    recipients: list[tuple[int, str]] = field(default_factory=list)
    relations: list[tuple[str, int]] = field(default_factory=list)  # (kind, target document id)
    issuer_name: str | None = None  # an outside body (incoming documents)
    extra: dict = field(default_factory=dict)


@dataclass
class NewDocumentFile:
    document_id: int
    kind: str
    filename: str
    content_type: str
    data: bytes
    sha256: str
    signatures: list[dict]
    org_id: int
    uploaded_by: int | None


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    issuer_id: int | None
    symbol: str | None
    summary: str
    issuing_instance_id: int | None
    response_due: date | None
    issuer_name: str | None = None
    registered_by: tuple[int, ...] = ()  # organisations that entered it in their incoming register


class DocumentStore(Store, Protocol):
    """The Store with the document register (models/store/documents.py)."""

    def next_document_number(self, org_id: int, key: str) -> int: ...
    def peek_document_number(self, org_id: int, key: str) -> int: ...
    def find_document(self, issuer_id: int, symbol: str, year: int) -> int | None: ...
    def set_recipient(
        self,
        document_id: int,
        org_id: int,
        purpose: str,
        *,
        incoming_number: int | None = None,
        incoming_on: date | None = None,
        delivered_at: datetime | None = None,
    ) -> None: ...
    def add_document_file(self, file: NewDocumentFile) -> int: ...
    def create_document(self, doc: NewDocument) -> int: ...
    def document(self, document_id: int) -> DocumentRecord | None: ...
    def mark_delivered(self, document_id: int, org_id: int, at: datetime, instance_id: int | None) -> None: ...
    def record_response(
        self, directive_id: int, org_id: int, document_id: int | None, at: datetime
    ) -> tuple[int, int]: ...
