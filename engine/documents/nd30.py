"""Document numbers, symbols and layout rules of Decree 30/2020/NĐ-CP and Party guidance 36-HD/VPTW.

Pure Python (stdlib only). Three symbol grammars are supported:

* ``state``: ``811/KH-PGDĐT``, ``2377/TTr-CAT-XDPT``; an official letter (công văn) carries no
  type code: ``4411/SGDĐT-CTTTHSSV``.
* ``normative``: legal normative documents with the year, ``124/2021/TT-BCA``.
* ``party``: Party documents, ``05-KH/BCĐ``, ``256-QĐ/TU`` (a Party công văn is ``12-CV/TU``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "DOC_TYPES",
    "GRAMMARS",
    "PURPOSES",
    "RECIPIENTS_HEADING",
    "SIGNING_MODES",
    "DocType",
    "ParsedSymbol",
    "Purpose",
    "SigningMode",
    "get_doc_type",
    "parse_symbol",
    "recipient_lines",
    "render_symbol",
    "signature_block",
]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------- document types


@dataclass(frozen=True)
class DocType:
    """A document type (tên loại văn bản) and the abbreviation it takes in a symbol."""

    code: str
    name_vi: str
    name_en: str
    abbreviation_in_symbol: str | None

    @property
    def title(self) -> str | None:
        """Type name in capitals for the document head ("KẾ HOẠCH"); None for an official letter."""
        if self.abbreviation_in_symbol is None:
            return None
        return self.name_vi.upper()


_DOC_TYPE_ROWS: tuple[tuple[str, str, str], ...] = (
    # Decree 30/2020 Appendix III, administrative documents.
    ("NQ", "Nghị quyết", "Resolution"),
    ("QĐ", "Quyết định", "Decision"),
    ("CT", "Chỉ thị", "Directive"),
    ("QC", "Quy chế", "Regulation"),
    ("QyĐ", "Quy định", "Rule"),
    ("TC", "Thông cáo", "Communiqué"),
    ("TB", "Thông báo", "Notice"),
    ("HD", "Hướng dẫn", "Guidance"),
    ("CTr", "Chương trình", "Programme"),
    ("KH", "Kế hoạch", "Plan"),
    ("PA", "Phương án", "Scheme"),
    ("ĐA", "Đề án", "Project proposal"),
    ("DA", "Dự án", "Project"),
    ("BC", "Báo cáo", "Report"),
    ("BB", "Biên bản", "Minutes"),
    ("TTr", "Tờ trình", "Submission"),
    ("HĐ", "Hợp đồng", "Contract"),
    ("CĐ", "Công điện", "Official dispatch"),
    ("BGN", "Bản ghi nhớ", "Memorandum of understanding"),
    ("BTT", "Bản thỏa thuận", "Agreement"),
    ("GUQ", "Giấy ủy quyền", "Power of attorney"),
    ("GM", "Giấy mời", "Invitation"),
    ("GGT", "Giấy giới thiệu", "Letter of introduction"),
    ("GNP", "Giấy nghỉ phép", "Leave note"),
    ("PG", "Phiếu gửi", "Dispatch slip"),
    ("PC", "Phiếu chuyển", "Transfer slip"),
    ("PB", "Phiếu báo", "Notification slip"),
    # Legal normative documents (grammar "normative").
    ("NĐ", "Nghị định", "Decree"),
    ("TT", "Thông tư", "Circular"),
    ("TTLT", "Thông tư liên tịch", "Joint circular"),
    # Party documents (36-HD/VPTW).
    ("KL", "Kết luận", "Conclusion"),
)

DOC_TYPES: dict[str, DocType] = {
    code: DocType(code, name_vi, name_en, code) for code, name_vi, name_en in _DOC_TYPE_ROWS
}
# Công văn: no type code in a state symbol (4411/SGDĐT-CTTTHSSV). Party grammar writes "CV".
DOC_TYPES["CV"] = DocType("CV", "Công văn", "Official letter", None)


def _fold(text: str) -> str:
    return text.replace("Đ", "D").replace("đ", "d").casefold()


def _resolve_type(code: str) -> str | None:
    """DOC_TYPES key for `code`: exact, then case-insensitive, then with Đ read as D (if unambiguous)."""
    code = _nfc(code.strip())
    if code in DOC_TYPES:
        return code
    for key_of in (str.casefold, _fold):
        hits = [key for key in DOC_TYPES if key_of(key) == key_of(code)]
        if len(hits) == 1:
            return hits[0]
    return None


def get_doc_type(code: str | DocType | None) -> DocType:
    """Look up a document type tolerantly ("KH", "kh", "QD" → QĐ); None means an official letter."""
    if isinstance(code, DocType):
        return code
    if code is None:
        return DOC_TYPES["CV"]
    key = _resolve_type(code)
    if key is None:
        raise ValueError(f"unknown document type {code!r}; known types: {', '.join(DOC_TYPES)}")
    return DOC_TYPES[key]


# --------------------------------------------------------------------------- recipients' purposes


@dataclass(frozen=True)
class Purpose:
    """Why a recipient appears in "Nơi nhận"; `action` is implement, coordinate or copy."""

    code: str
    label_vi: str
    label_en: str
    action: str


PURPOSES: dict[str, Purpose] = {
    p.code: p
    for p in (
        Purpose("thuc_hien", "thực hiện", "to implement", "implement"),
        Purpose("phoi_hop", "phối hợp", "to coordinate", "coordinate"),
        Purpose("bao_cao", "báo cáo", "for reporting to a superior", "copy"),
        Purpose("chi_dao", "chỉ đạo", "to direct", "copy"),
        Purpose("de_biet", "để biết", "for information", "copy"),
        Purpose("luu", "lưu", "to file", "copy"),
    )
}

RECIPIENTS_HEADING = "Nơi nhận:"


def recipient_lines(recipients: list[tuple[str, str]]) -> list[str]:
    """Lines of the "Nơi nhận" block, in the given order; `luu` names go on one last "- Lưu: …" line.

    >>> recipient_lines([("Sở GD&ĐT", "bao_cao"), ("VT", "luu"), ("CTTT", "luu")])
    ['- Sở GD&ĐT (báo cáo);', '- Lưu: VT, CTTT.']
    """
    entries: list[str] = []
    filed: list[str] = []
    for name, purpose in recipients:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown recipient purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
        name = _nfc(name.strip())
        if not name:
            raise ValueError("recipient name is empty")
        if purpose == "luu":
            filed.append(name)
        else:
            entries.append(f"- {name} ({PURPOSES[purpose].label_vi})")
    if filed:
        entries.append("- Lưu: " + ", ".join(filed))
    return [line + ("." if i == len(entries) - 1 else ";") for i, line in enumerate(entries)]


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class SigningMode:
    """How the signer signs (Decree 30/2020 Art. 13); `prefix` goes before the authority line."""

    code: str
    prefix: str | None
    label_vi: str
    label_en: str


SIGNING_MODES: dict[str, SigningMode] = {
    m.code: m
    for m in (
        SigningMode("direct", None, "Ký trực tiếp", "signed by the head in person"),
        SigningMode("KT", "KT.", "Ký thay", "signed on behalf of the head (by a deputy)"),
        SigningMode("TM", "TM.", "Thay mặt", "signed on behalf of a collective body"),
        SigningMode("Q", "Q.", "Quyền", "signed by the acting head"),
        SigningMode("TL", "TL.", "Thừa lệnh", "signed by order of the head"),
        SigningMode("TUQ", "TUQ.", "Thừa ủy quyền", "signed by authorisation of the head"),
    )
}


def _signing_mode(mode: str) -> SigningMode:
    for candidate in (mode, mode.strip().rstrip(".").upper(), mode.strip().lower()):
        if candidate in SIGNING_MODES:
            return SIGNING_MODES[candidate]
    raise ValueError(f"unknown signing mode {mode!r}; expected one of {', '.join(SIGNING_MODES)}")


def signature_block(mode: str, authority_title: str | None, signer_title: str, signer_name: str) -> list[str]:
    """Lines of the signature block; titles are printed in capitals.

    KT/TM/TL/TUQ: [prefix + authority, signer title, name]; Q (acting head): [Q. + authority, name];
    direct: [signer title, name]. For TM the authority is the collective's name ("ỦY BAN NHÂN DÂN").
    """
    spec = _signing_mode(mode)
    name = _nfc(signer_name.strip())
    title = _nfc(signer_title.strip()).upper()
    if spec.prefix is None:
        if not title:
            raise ValueError("a directly signed document needs the signer's title")
        return [title, name]
    authority = _nfc((authority_title or "").strip()).upper()
    if not authority:
        raise ValueError(f"signing mode {spec.code} needs the authority title")
    head = f"{spec.prefix} {authority}"
    if spec.code == "Q":
        return [head, name]
    if not title:
        raise ValueError(f"signing mode {spec.code} needs the signer's own title")
    return [head, title, name]


# --------------------------------------------------------------------------- number and symbol

GRAMMARS: tuple[str, ...] = ("state", "normative", "party")

_WORD = r"[^\W_]*[^\W\d_][^\W_]*"  # letters and digits, at least one letter
_ISSUER_RE = re.compile(rf"{_WORD}(?:-{_WORD})*")
_NORMATIVE_RE = re.compile(rf"(\d{{1,6}})/(\d{{4}})/({_WORD})-({_WORD}(?:-{_WORD})*)")
_PARTY_RE = re.compile(rf"(\d{{1,6}})-({_WORD})/({_WORD}(?:-{_WORD})*)")
_STATE_RE = re.compile(rf"(\d{{1,6}})/({_WORD}(?:-{_WORD})*)")
_PREFIX_RE = re.compile(r"(?:[^\W\d_]+\s+){0,4}?s[oố](?![^\W\d_])\s*(?:hiệu\s*)?[:.]?\s*", re.IGNORECASE)
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})


def _clean_symbol_part(text: str, what: str) -> str:
    """Issuer or unit as printed: NFC, upper case, no spaces, "GD&ĐT" → "GDĐT"."""
    part = re.sub(r"\s+", "", _nfc(text)).replace("&", "").translate(_DASHES).upper()
    if not _ISSUER_RE.fullmatch(part):
        raise ValueError(f"invalid {what} {text!r} in a document symbol")
    return part


def _format_number(number: int, what: str = "number") -> str:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"document {what} must be a positive integer, got {number!r}")
    return f"{number:02d}"


def render_symbol(
    grammar: str,
    number: int,
    doc_type: str | DocType | None,
    issuer_symbol: str,
    *,
    unit: str | None = None,
    year: int | None = None,
) -> str:
    """Render "number/symbol" without the "Số:" label, e.g. 811/KH-PGDĐT, 05-KH/BCĐ, 124/2021/TT-BCA.

    `doc_type` is a DOC_TYPES key ("CV" or None for an official letter). `unit` (drafting unit) is
    only used by the state grammar; `year` is required by, and only used by, the normative grammar.
    """
    if grammar not in GRAMMARS:
        raise ValueError(f"unknown symbol grammar {grammar!r}; expected one of {', '.join(GRAMMARS)}")
    num = _format_number(number)
    dtype = get_doc_type(doc_type)
    issuer = _clean_symbol_part(issuer_symbol, "issuer symbol")
    unit_part = _clean_symbol_part(unit, "unit") if unit else None
    if grammar == "state":
        parts = [p for p in (dtype.abbreviation_in_symbol, issuer, unit_part) if p]
        return f"{num}/{'-'.join(parts)}"
    if unit_part:
        raise ValueError(f"the {grammar} grammar has no drafting-unit part (got unit {unit!r})")
    if grammar == "party":
        return f"{num}-{dtype.abbreviation_in_symbol or dtype.code}/{issuer}"
    if dtype.abbreviation_in_symbol is None:
        raise ValueError("an official letter (công văn) is not a normative document")
    if year is None or isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"a normative symbol needs a four-digit year, got {year!r}")
    return f"{num}/{year}/{dtype.abbreviation_in_symbol}-{issuer}"


@dataclass(frozen=True)
class ParsedSymbol:
    """A parsed number/symbol; `doc_type` is a DOC_TYPES key ("CV" for an official letter)."""

    number: int
    year: int | None
    doc_type: str
    issuer: str
    unit: str | None
    grammar: str

    def render(self) -> str:
        """The canonical printed form (render_symbol of these fields)."""
        return render_symbol(self.grammar, self.number, self.doc_type, self.issuer, unit=self.unit, year=self.year)

    def __str__(self) -> str:
        return self.render()


def _normalise_symbol_text(text: str) -> str:
    s = _nfc(text).translate(_DASHES).strip()
    prefix = _PREFIX_RE.match(s)
    if prefix:
        s = s[prefix.end() :]
    s = s.strip().strip(".,;:()\"'“”")
    s = re.sub(r"\s*([/-])\s*", r"\1", s)
    return s.replace("&", "")


def parse_symbol(text: str) -> ParsedSymbol:
    """Parse a printed number/symbol tolerantly ("Số: 811/KH-PGDĐT", "1999/KH- SGDĐT", "GD&ĐT").

    Also repairs the swapped Party form "06-TU/NQ" → 06-NQ/TU. Raises ValueError on anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"document symbol must be text, got {type(text).__name__}")
    s = _normalise_symbol_text(text)
    hint = f"not a document number/symbol: {text!r} (expected e.g. 811/KH-PGDĐT, 05-KH/BCĐ, 124/2021/TT-BCA)"
    if not s or re.search(r"\s", s):
        raise ValueError(hint)

    if m := _NORMATIVE_RE.fullmatch(s):
        number, year, type_text, issuer = int(m[1]), int(m[2]), m[3], m[4]
        key = _resolve_type(type_text)
        if key is None or DOC_TYPES[key].abbreviation_in_symbol is None:
            raise ValueError(f"{hint}: unknown document type {type_text!r}")
        return _parsed(number, year, key, issuer, None, "normative", hint)

    if m := _PARTY_RE.fullmatch(s):
        number, type_text, issuer = int(m[1]), m[2], m[3]
        key = _resolve_type(type_text)
        if key is None and "-" not in issuer and (swapped := _resolve_type(issuer)) is not None:
            key, issuer = swapped, type_text  # "06-TU/NQ" written for 06-NQ/TU
        if key is None:
            raise ValueError(f"{hint}: unknown document type {type_text!r}")
        return _parsed(number, None, key, issuer, None, "party", hint)

    if m := _STATE_RE.fullmatch(s):
        number, parts = int(m[1]), m[2].split("-")
        key = _resolve_type(parts[0])
        if key is not None and DOC_TYPES[key].abbreviation_in_symbol is not None:
            if len(parts) < 2:
                raise ValueError(f"{hint}: the issuer is missing")
            return _parsed(number, None, key, parts[1], "-".join(parts[2:]) or None, "state", hint)
        if key == "CV" and len(parts) >= 2:  # informal "123/CV-PGDĐT"
            parts = parts[1:]
        return _parsed(number, None, "CV", parts[0], "-".join(parts[1:]) or None, "state", hint)

    raise ValueError(hint)


def _parsed(
    number: int, year: int | None, key: str, issuer: str, unit: str | None, grammar: str, hint: str
) -> ParsedSymbol:
    if number < 1:
        raise ValueError(f"{hint}: the number must be at least 1")
    issuer = _clean_symbol_part(issuer, "issuer symbol")
    unit = _clean_symbol_part(unit, "unit") if unit else None
    return ParsedSymbol(number=number, year=year, doc_type=key, issuer=issuer, unit=unit, grammar=grammar)
