"""What directives and documents need from storage: numbering, documents with recipients, responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from engine.core.ports import Store


@dataclass
class NewDocument:
    issuer_id: int
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


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    issuer_id: int
    symbol: str | None
    summary: str
    issuing_instance_id: int | None
    response_due: date | None


class DocumentStore(Store, Protocol):
    """The Store with the document register (models/store/documents.py)."""

    def next_document_number(self, org_id: int, key: str) -> int: ...
    def create_document(self, doc: NewDocument) -> int: ...
    def document(self, document_id: int) -> DocumentRecord | None: ...
    def mark_delivered(self, document_id: int, org_id: int, at: datetime, instance_id: int | None) -> None: ...
    def record_response(
        self, directive_id: int, org_id: int, document_id: int | None, at: datetime
    ) -> tuple[int, int]: ...
