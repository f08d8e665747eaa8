"""Documents: NĐ 30 numbers, issuing, delivery to recipients and their responses."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.documents.ports import DocumentRecord, NewDocument, NewDocumentFile
from models.document import Document, DocumentCounter, DocumentFile, DocumentRecipient, DocumentRelation
from models.store.base import StoreBase
from models.store.statements import _MARK_DELIVERED, _RESPONDED, _RESPONSES

_RANK = {p: i for i, p in enumerate(("thuc_hien", "phoi_hop", "chi_dao", "bao_cao", "de_biet", "luu"))}


class DocumentStore(StoreBase):
    """Document counters, documents, recipients' deliveries and responses."""

    # documents --------------------------------------------------------------------------------------
    def next_document_number(self, org_id: int, key: str) -> int:
        """The counter's next value, gap-free: the row is created if missing (a racing creator is ignored), then
        incremented in one statement that holds its row lock until the transaction ends, so two clerks at once
        get consecutive numbers and a rolled-back issue gives its number back."""
        self.session.flush()
        insert = pg_insert if self._pg else sqlite_insert
        self.session.execute(insert(DocumentCounter).values(org_id=org_id, key=key, value=0).on_conflict_do_nothing())
        bump = (
            update(DocumentCounter)
            .where(DocumentCounter.org_id == org_id, DocumentCounter.key == key)
            .values(value=DocumentCounter.value + 1)
            .returning(DocumentCounter.value)
        )
        return int(self.session.execute(bump, execution_options={"synchronize_session": False}).scalar_one())

    def peek_document_number(self, org_id: int, key: str) -> int:
        stmt = select(DocumentCounter.value).where(DocumentCounter.org_id == org_id, DocumentCounter.key == key)
        return int(self.session.scalar(stmt) or 0) + 1

    def find_document(self, issuer_id: int, symbol: str, year: int) -> int | None:
        stmt = select(Document.id).where(
            Document.issuer_id == issuer_id, Document.symbol == symbol, Document.year == year
        )
        return self.session.scalar(stmt)

    def set_recipient(
        self,
        document_id: int,
        org_id: int,
        purpose: str,
        *,
        incoming_number: int | None = None,
        incoming_on: date | None = None,
        delivered_at: datetime | None = None,
    ) -> None:
        stmt = select(DocumentRecipient).where(
            DocumentRecipient.document_id == document_id, DocumentRecipient.org_id == org_id
        )
        row = self.session.scalars(stmt).first()
        if row is None:
            row = DocumentRecipient(document_id=document_id, org_id=org_id, purpose=purpose)
            self.session.add(row)
        if _RANK.get(purpose, 9) < _RANK.get(row.purpose, 9):
            row.purpose = purpose  # the stronger purpose wins: an implementer registering a copy stays one
        if incoming_number is not None:
            row.incoming_number, row.incoming_on = incoming_number, incoming_on
        if delivered_at is not None and row.delivered_at is None:
            row.delivered_at = delivered_at
        self.session.flush()

    def add_document_file(self, file: NewDocumentFile) -> int:
        row = DocumentFile(
            document_id=file.document_id,
            kind=file.kind,
            filename=file.filename,
            content_type=file.content_type,
            size=len(file.data),
            sha256=file.sha256 or hashlib.sha256(file.data).hexdigest(),
            data=file.data,
            signatures=file.signatures,
            org_id=file.org_id,
            uploaded_by_id=file.uploaded_by,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def create_document(self, doc: NewDocument) -> int:
        row = Document(
            issuer_id=doc.issuer_id,
            issuer_name=doc.issuer_name,
            extra=doc.extra,
            doc_type=doc.doc_type,
            number=doc.number,
            year=doc.year,
            symbol=doc.symbol,
            grammar=doc.grammar,
            summary=doc.summary[:500],
            body=doc.body,
            place=doc.place,
            issued_on=doc.issued_on,
            signer_name=doc.signer_name,
            signer_title=doc.signer_title,
            authority_title=doc.authority_title,
            signing_mode=doc.signing_mode,
            drafting_unit=doc.drafting_unit,
            status="issued",
            response_due=doc.response_due,
            issuing_instance_id=doc.issuing_instance_id,
            recipients=[DocumentRecipient(org_id=o, purpose=p) for o, p in doc.recipients],
        )
        self.session.add(row)
        self.session.flush()
        for kind, target in doc.relations:
            self.session.add(DocumentRelation(from_id=row.id, to_id=target, kind=kind))
        return row.id

    def document(self, document_id: int) -> DocumentRecord | None:
        d = self.session.get(Document, document_id)
        if d is None:
            return None
        return DocumentRecord(
            id=d.id,
            issuer_id=d.issuer_id,
            symbol=d.symbol,
            summary=d.summary,
            issuing_instance_id=d.issuing_instance_id,
            response_due=d.response_due,
            issuer_name=d.issuer_name,
            registered_by=tuple(r.org_id for r in d.recipients if r.incoming_number is not None),
        )

    def mark_delivered(self, document_id: int, org_id: int, at: datetime, instance_id: int | None) -> None:
        self._exec(_MARK_DELIVERED, {"d": document_id, "o": org_id, "at": at, "inst": instance_id})

    def record_response(self, directive_id: int, org_id: int, document_id: int | None, at: datetime) -> tuple[int, int]:
        self._exec(_RESPONDED, {"d": directive_id, "o": org_id, "at": at, "doc": document_id})
        filed, expected = self._exec(_RESPONSES, {"d": directive_id}).one()
        return filed or 0, expected
