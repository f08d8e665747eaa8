"""Dates as Vietnamese documents write them (Decree 30/2020): the place-and-date line "Cẩm Phả, ngày 03 tháng 8
năm 2022", dd/mm/yyyy, and reading a typed date back. Pure Python."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = ["date_phrase", "format_date", "parse_date", "place_date_line"]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def date_phrase(d: date) -> str:
    """ "ngày 03 tháng 8 năm 2022": day < 10 and months 1–2 take a leading zero, other months don't."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def place_date_line(place: str, d: date) -> str:
    """The place-and-date line: "Cẩm Phả, ngày 03 tháng 8 năm 2022"."""
    place = _nfc(place.strip())
    if not place:
        raise ValueError("the place name is empty")
    return f"{place}, {date_phrase(d)}"


def format_date(d: date) -> str:
    """dd/mm/yyyy."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


_DMY_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> date:
    """Parse "dd/mm/yyyy" (also "d/m/yyyy", as in "29/7/2022") or ISO "yyyy-mm-dd"."""
    s = text.strip() if isinstance(text, str) else ""
    if m := _DMY_RE.fullmatch(s):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _ISO_RE.fullmatch(s):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ValueError(f"not a date: {text!r} (expected dd/mm/yyyy or yyyy-mm-dd)")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"not a valid calendar date: {text!r} ({exc})")
