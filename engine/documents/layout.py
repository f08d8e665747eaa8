"""What an issued document says, laid out per Decree 30/2020 (NĐ 30): the header block (managing body, issuer),
number and symbol, place-date line, type and summary, body, "Nơi nhận" as offices write it and the signature
block. One layout for the page and the files (Word, PDF), built from plain values. Pure Python."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from engine.documents.dates import place_date_line
from engine.documents.nd30 import PURPOSES, get_doc_type, signature_block

# A recipient kind written as one group line once this many of its members share a purpose.
GROUP_AT = 3
GROUP_LABELS = {
    "school": "Các CSGD trên địa bàn {area}",
    "ward_police": "Công an các phường, xã",
    "ward": "UBND các phường, xã",
    "office": "Các phòng, ban chuyên môn",
}
AREA_WORDS = {"city": "thành phố", "province": "tỉnh", "ward": "phường, xã"}
# "TP, các PTP phòng GDĐT (chỉ đạo)": the issuer's own head and deputies, not a recipient of its own document.
LEADERS = {
    "office": "TP, các PTP",
    "department": "GĐ, các PGĐ",
    "school": "HT, các PHT",
    "steering_committee": "Trưởng ban, các Phó Trưởng ban",
    "people_committee": "CT, các PCT",
    "police": "Trưởng, các Phó Trưởng",
    "party_committee": "Thường trực",
}
RECORDS_OFFICE = "VT"
_BODY_HEADING = re.compile(r"^(?:[IVXLC]+\.|[A-ZĐ][A-ZĐ ]{0,3}\.)\s")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


@dataclass(frozen=True)
class Recipient:
    """One recipient as the register holds it: its short name, kind and purpose."""

    short_name: str
    kind: str
    purpose: str
    is_issuer: bool = False


@dataclass(frozen=True)
class LayoutInput:
    """The plain values a document's layout is built from (models/document_reads.py reads them)."""

    issuer_name: str
    issuer_short_name: str
    issuer_kind: str
    managing_body: str | None
    area_kind: str | None  # the kind of the issuer's locality ("city", "province"), for group lines
    grammar: str
    doc_type: str
    symbol: str | None
    place: str | None
    issued_on: date | None
    summary: str
    body: str
    signing_mode: str | None
    authority_title: str | None
    signer_title: str | None
    signer_name: str | None
    drafting_unit: str | None = None
    recipients: Sequence[Recipient] = field(default_factory=tuple)
    leaders_purpose: str | None = None  # "chi_dao": the issuer's head and deputies


@dataclass(frozen=True)
class DocumentLayout:
    """Every line of the document, in NĐ 30 order."""

    managing_body: str | None
    issuer: str
    party: bool
    symbol: str
    place_line: str
    kind: str | None
    summary: str
    body: tuple[tuple[str, bool], ...]  # (paragraph, is a heading)
    recipients: tuple[str, ...]
    signature: tuple[str, ...]


def issuer_line(name: str, managing_body: str | None) -> str:
    """The issuer in capitals under its managing body, without the locality the body already names:
    "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả" under "UBND THÀNH PHỐ CẨM PHẢ" is "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"."""
    upper = _nfc(name).strip().upper()
    body = _nfc(managing_body or "").strip().upper()
    for locality in ("THÀNH PHỐ ", "TỈNH ", "QUẬN ", "HUYỆN ", "THỊ XÃ "):
        at = upper.find(" " + locality)
        if at > 0 and body.endswith(upper[at + 1 :]):
            return upper[:at]
    return upper


def _group_label(kind: str, area_kind: str | None) -> str:
    return GROUP_LABELS[kind].format(area=AREA_WORDS.get(area_kind or "", "thành phố"))


def recipient_block(
    recipients: Sequence[Recipient],
    *,
    issuer_short_name: str,
    issuer_kind: str,
    area_kind: str | None = None,
    leaders_purpose: str | None = None,
    drafting_unit: str | None = None,
) -> list[str]:
    """ "Nơi nhận" lines: superiors, partners, the issuer's leaders, implementers (a kind with GROUP_AT or more
    members of one purpose as one group line), then "- Lưu: VT, <unit>." (the records office first)."""
    counts: dict[tuple[str, str], int] = {}
    for r in recipients:
        counts[(r.kind, r.purpose)] = counts.get((r.kind, r.purpose), 0) + 1
    lines: list[str] = []
    grouped: set[tuple[str, str]] = set()
    filed: list[str] = []
    leaders = leaders_purpose
    for r in recipients:
        if r.is_issuer:
            leaders = leaders or r.purpose
            continue
        if r.purpose == "luu":
            filed.append(_nfc(r.short_name).strip())
            continue
        key = (r.kind, r.purpose)
        if r.kind in GROUP_LABELS and counts[key] >= GROUP_AT:
            if key not in grouped:
                grouped.add(key)
                lines.append(f"- {_group_label(r.kind, area_kind)} ({PURPOSES[r.purpose].label_vi})")
            continue
        lines.append(f"- {_nfc(r.short_name).strip()} ({PURPOSES[r.purpose].label_vi})")
    if leaders and leaders in PURPOSES and leaders != "luu":
        own = _nfc(issuer_short_name).strip()
        line = f"- {LEADERS.get(issuer_kind, 'Lãnh đạo')} {own[:1].lower()}{own[1:]} ({PURPOSES[leaders].label_vi})"
        first_implementer = next((i for i, text in enumerate(lines) if "(thực hiện)" in text), len(lines))
        lines.insert(first_implementer, line)
    if drafting_unit and drafting_unit not in filed:
        filed.append(drafting_unit)
    filed = sorted(dict.fromkeys(filed), key=lambda name: name != RECORDS_OFFICE)
    if filed:
        lines.append("- Lưu: " + ", ".join(filed))
    return [line + ("." if i == len(lines) - 1 else ";") for i, line in enumerate(lines)]


def body_paragraphs(body: str) -> tuple[tuple[str, bool], ...]:
    """The body's non-empty lines; "I. MỤC ĐÍCH, YÊU CẦU" style lines are headings."""
    out = []
    for line in _nfc(body).splitlines():
        text = line.strip()
        if text:
            out.append((text, bool(_BODY_HEADING.match(text)) and text.upper() == text))
    return tuple(out)


def build_layout(doc: LayoutInput) -> DocumentLayout:
    """The whole document, as the page and the files show it."""
    dtype = get_doc_type(doc.doc_type or "CV")
    signature: list[str] = []
    if doc.signer_name:
        signature = signature_block(
            doc.signing_mode or "direct", doc.authority_title, doc.signer_title or "", doc.signer_name
        )
    place_line = place_date_line(doc.place, doc.issued_on) if doc.place and doc.issued_on else ""
    return DocumentLayout(
        managing_body=_nfc(doc.managing_body).upper() or None,
        issuer=issuer_line(doc.issuer_name, doc.managing_body),
        party=doc.grammar == "party",
        symbol=doc.symbol or "",
        place_line=place_line,
        kind=dtype.title,
        summary=_nfc(doc.summary).strip(),
        body=body_paragraphs(doc.body),
        recipients=tuple(
            recipient_block(
                doc.recipients,
                issuer_short_name=doc.issuer_short_name,
                issuer_kind=doc.issuer_kind,
                area_kind=doc.area_kind,
                leaders_purpose=doc.leaders_purpose,
                drafting_unit=doc.drafting_unit,
            )
        ),
        signature=tuple(signature),
    )
