"""An issued document's Word file (.docx) from its layout (`engine.documents.layout`), in the NĐ 30 page of
`engine.documents.word`: the same lines as the document's page."""

from __future__ import annotations

from datetime import datetime

from docx.enum.text import WD_ALIGN_PARAGRAPH

from engine.documents import word
from engine.documents.layout import DocumentLayout

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def document_docx(layout: DocumentLayout, *, author: str, created: datetime | None = None) -> bytes:
    """The Word file: header, type and summary (an official letter: "V/v …" under its number), body, foot."""
    doc = word.new_document()
    word.header(
        doc,
        managing_body=layout.managing_body,
        issuer=layout.issuer,
        symbol=layout.symbol,
        place_line=layout.place_line,
        party=layout.party,
    )
    if layout.kind:
        word.title(doc, layout.kind, layout.summary)
    else:
        word.paragraph(doc, f"V/v {layout.summary}", 12, align=WD_ALIGN_PARAGRAPH.LEFT, before=4, after=12)
    for text, is_heading in layout.body:
        if is_heading:
            word.heading(doc, text)
        else:
            word.body_paragraph(doc, text)
    word.foot(doc, layout.recipients, layout.signature)
    title = f"{layout.symbol} {layout.summary}".strip()
    return word.to_bytes(doc, title=title, author=author, created=created)
