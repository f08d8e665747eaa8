"""Numbering registers (Decree 30/2020, Party guidance 36-HD/VPTW): which counter a document's number comes from, per
issuer and year, per type, or per Party term. Pure Python."""

from __future__ import annotations

from engine.documents.nd30 import get_doc_type

__all__ = ["COUNTER_SCOPES", "counter_key", "party_term"]


COUNTER_SCOPES: tuple[str, ...] = ("year_shared", "year_per_type", "term_per_type")


def counter_key(scope: str, *, year: int, doc_type: str | None = None, term: str | None = None) -> str:
    """Key of the numbering-counter row: "2022", "2022:KH" or "term:2020-2025:KH".

    year_shared: one counter per issuer per calendar year for all types (Sở, Phòng, schools, police);
    year_per_type: per type per year (people's committees); term_per_type: per type per Party term.
    """
    if scope not in COUNTER_SCOPES:
        raise ValueError(f"unknown counter scope {scope!r}; expected one of {', '.join(COUNTER_SCOPES)}")
    if scope == "year_shared":
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValueError(f"counter year must be an integer, got {year!r}")
        return str(year)
    if doc_type is None:
        raise ValueError(f"counter scope {scope} needs a document type")
    code = get_doc_type(doc_type).code
    if scope == "year_per_type":
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValueError(f"counter year must be an integer, got {year!r}")
        return f"{year}:{code}"
    if not term or not term.strip() or ":" in term:
        raise ValueError(f"counter scope term_per_type needs a term label like '2020-2025', got {term!r}")
    return f"term:{term.strip()}:{code}"


def party_term(year: int, *, first_year: int = 2020, length: int = 5) -> str:
    """Label of the Party term containing `year` ("2020-2025"), assuming terms start in `first_year`.

    Approximate: real terms start at each congress, not on 1 January.
    """
    start = first_year + ((year - first_year) // length) * length
    return f"{start}-{start + length}"
