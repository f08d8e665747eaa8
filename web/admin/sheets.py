"""Spreadsheets an office already keeps (.xlsx or .csv), read into a table of text cells for the import, under
caps that hold against hostile files: the upload's size, an .xlsx's unpacked size and packing ratio (a zip bomb
is refused before anything is unpacked), rows and columns. Also the template offered for download."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

MAX_BYTES = 2 * 1024 * 1024
MAX_UNPACKED = 40 * 1024 * 1024  # every part of an .xlsx together, unpacked
MAX_RATIO = 100  # unpacked / packed, per part: spreadsheets pack ~10×, zip bombs ~1000×
MAX_COLUMNS = 30
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetError(ValueError):
    """A file that cannot be read as a table: `reason` is "empty", "too_big", "xls", "type", "bomb", "broken",
    "too_many_rows" or "encoding"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_table(filename: str, data: bytes, max_rows: int) -> list[list[str]]:
    """The header row then up to `max_rows` data rows (blank rows dropped), every cell as stripped text.

    :raises SheetError: the file is refused.
    """
    if not data:
        raise SheetError("empty")
    if len(data) > MAX_BYTES:
        raise SheetError("too_big")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetError("xls")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx(data, max_rows)
    if filename.lower().endswith((".csv", ".txt")) and b"\x00" not in data[:4096]:
        return _capped(_csv(data), max_rows)
    raise SheetError("type")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


def _capped(rows, max_rows: int) -> list[list[str]]:
    table: list[list[str]] = []
    for row in rows:
        cells = [_text(v) for v in list(row)[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if len(table) > max_rows:  # the header plus max_rows lines already
            raise SheetError("too_many_rows")
        table.append(cells)
    if not table:
        raise SheetError("empty")
    return table


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SheetError("broken") from exc
    if "xl/workbook.xml" not in {p.filename for p in parts}:
        raise SheetError("type")  # a .docx, .zip, … is not a workbook
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > MAX_RATIO * max(part.compress_size, 1024) or total > MAX_UNPACKED:
            raise SheetError("bomb")


def _xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file; all mean the same to the admin
        raise SheetError("broken") from exc
    try:
        sheet = workbook.worksheets[0]
        return _capped(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), max_rows)
    except SheetError:
        raise
    except Exception as exc:
        raise SheetError("broken") from exc
    finally:
        workbook.close()


def _csv(data: bytes):
    for encoding in ("utf-8-sig", "cp1258"):  # Excel's "CSV UTF-8", else the Vietnamese Windows code page
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("encoding")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise SheetError("broken") from exc


def template_xlsx(headers: tuple[str, ...], example: tuple[str, ...]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append(list(headers))
    sheet.append(list(example))
    for column, header in zip("ABCDEFGHIJ", headers, strict=False):
        sheet.column_dimensions[column].width = max(16, len(header) + 4)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
