"""Official documents per Decree 30/2020: number and symbol, recipients with purposes, relations, counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.org import Organisation


class Document(db.Model):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("issuer_id", "symbol", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    issuer_name: Mapped[str | None] = mapped_column(String(300))  # an outside body's name (incoming documents)
    doc_type: Mapped[str] = mapped_column(String(10))
    number: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    symbol: Mapped[str | None] = mapped_column(String(80))
    grammar: Mapped[str] = mapped_column(String(20), default="state")
    summary: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str | None] = mapped_column(String(80))
    issued_on: Mapped[date | None] = mapped_column(Date)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    authority_title: Mapped[str | None] = mapped_column(String(200))
    signing_mode: Mapped[str] = mapped_column(String(10), default="direct")
    drafting_unit: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="issued")  # draft | issued
    response_due: Mapped[date | None] = mapped_column(Date)  # when implementers must file their plans
    issuing_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id", use_alter=True), index=True
    )
    source: Mapped[str | None] = mapped_column(String(300))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issuer: Mapped[Organisation | None] = relationship()
    recipients: Mapped[list[DocumentRecipient]] = relationship(
        back_populates="document",
        foreign_keys="DocumentRecipient.document_id",
        cascade="all, delete-orphan",
        order_by="DocumentRecipient.id",
    )

    def __repr__(self) -> str:
        return f"<Document {self.symbol or self.id}>"


class DocumentRecipient(db.Model):
    __tablename__ = "document_recipient"
    __table_args__ = (UniqueConstraint("document_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    incoming_number: Mapped[int | None] = mapped_column(Integer)  # số đến, per receiving organisation and year
    incoming_on: Mapped[date | None] = mapped_column(Date)

    document: Mapped[Document] = relationship(back_populates="recipients", foreign_keys=[document_id])
    org: Mapped[Organisation] = relationship()


class DocumentRelation(db.Model):
    """`from` relates to `to`: e.g. 811/KH-PGDĐT implements 05-KH/BCĐ."""

    __tablename__ = "document_relation"
    __table_args__ = (UniqueConstraint("from_id", "to_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    to_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))

    to: Mapped[Document] = relationship(foreign_keys=[to_id])
    from_: Mapped[Document] = relationship(foreign_keys=[from_id])


class DocumentCounter(db.Model):
    """The running number per issuer and counter key (year, year:type or term:type), locked when used."""

    __tablename__ = "document_counter"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(Integer, default=0)


class DocumentFile(db.Model):
    """A file on a document: the signed scan, the source, an appendix, or the incoming document as received."""

    __tablename__ = "document_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # signed | source | appendix | received
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    signatures: Mapped[list] = mapped_column(JSON, default=list)  # what pyHanko found, checked on upload
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
