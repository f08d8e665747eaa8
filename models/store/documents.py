"""Documents: NĐ 30 numbers, issuing, delivery to recipients and their responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.documents.ports import DocumentRecord, NewDocument
from models.document import Document, DocumentCounter, DocumentRecipient, DocumentRelation
from models.store.base import StoreBase
from models.store.statements import _MARK_DELIVERED, _RESPONDED, _RESPONSES


class DocumentStore(StoreBase):
    """Document counters, documents, recipients' deliveries and responses."""

    # documents --------------------------------------------------------------------------------------
    def next_document_number(self, org_id: int, key: str) -> int:
        stmt = select(DocumentCounter).where(DocumentCounter.org_id == org_id, DocumentCounter.key == key)
        counter = self.session.scalars(self._for_update(stmt)).first()
        if counter is None:
            counter = DocumentCounter(org_id=org_id, key=key, value=0)
            self.session.add(counter)
        counter.value += 1
        self.session.flush()
        return counter.value

    def create_document(self, doc: NewDocument) -> int:
        row = Document(
            issuer_id=doc.issuer_id,
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
        )

    def mark_delivered(self, document_id: int, org_id: int, at: datetime, instance_id: int | None) -> None:
        self._exec(_MARK_DELIVERED, {"d": document_id, "o": org_id, "at": at, "inst": instance_id})

    def record_response(self, directive_id: int, org_id: int, document_id: int | None, at: datetime) -> tuple[int, int]:
        self._exec(_RESPONDED, {"d": directive_id, "o": org_id, "at": at, "doc": document_id})
        filed, expected = self._exec(_RESPONSES, {"d": directive_id}).one()
        return filed or 0, expected
