"""Tests for engine.documents.nd30: symbols, counters, dates, recipients and signature blocks."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from engine.documents.dates import date_phrase, format_date, parse_date, place_date_line
from engine.documents.nd30 import (
    DOC_TYPES,
    PURPOSES,
    SIGNING_MODES,
    ParsedSymbol,
    get_doc_type,
    parse_symbol,
    recipient_lines,
    render_symbol,
    signature_block,
)
from engine.documents.numbering import counter_key, party_term

# ---------------------------------------------------------------- document types


def test_doc_types_required_codes_present() -> None:
    for code in ("KH", "BC", "QĐ", "CT", "TB", "HD", "CTr", "TTr", "BB", "NQ", "GM", "CV", "TT"):
        assert code in DOC_TYPES, code
        assert DOC_TYPES[code].code == code


def test_doc_type_titles_and_official_letter() -> None:
    assert DOC_TYPES["KH"].title == "KẾ HOẠCH"
    assert DOC_TYPES["BC"].title == "BÁO CÁO"
    assert DOC_TYPES["QĐ"].title == "QUYẾT ĐỊNH"
    assert DOC_TYPES["TTr"].title == "TỜ TRÌNH"
    assert DOC_TYPES["CV"].abbreviation_in_symbol is None
    assert DOC_TYPES["CV"].title is None
    assert DOC_TYPES["KH"].name_en == "Plan"


def test_doc_types_are_nfc_and_case_insensitively_unique() -> None:
    for key, dt in DOC_TYPES.items():
        for text in (key, dt.name_vi, dt.name_en):
            assert unicodedata.is_normalized("NFC", text)
    folded = [k.casefold() for k in DOC_TYPES]
    assert len(folded) == len(set(folded))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("KH", "KH"),
        ("kh", "KH"),
        ("QD", "QĐ"),
        ("qđ", "QĐ"),
        ("ctr", "CTr"),
        ("HD", "HD"),
        ("HĐ", "HĐ"),
        (None, "CV"),
    ],
)
def test_get_doc_type_is_tolerant(given: str | None, expected: str) -> None:
    assert get_doc_type(given).code == expected


def test_get_doc_type_unknown() -> None:
    with pytest.raises(ValueError, match="unknown document type"):
        get_doc_type("XYZ")


# ---------------------------------------------------------------- purposes and recipients


def test_purposes_order_labels_actions() -> None:
    assert list(PURPOSES) == ["thuc_hien", "phoi_hop", "bao_cao", "chi_dao", "de_biet", "luu"]
    assert PURPOSES["thuc_hien"].label_vi == "thực hiện"
    assert PURPOSES["phoi_hop"].label_en == "to coordinate"
    assert PURPOSES["thuc_hien"].action == "implement"
    assert PURPOSES["phoi_hop"].action == "coordinate"
    for code in ("bao_cao", "chi_dao", "de_biet", "luu"):
        assert PURPOSES[code].action == "copy"


def test_recipient_lines_plan_811() -> None:
    lines = recipient_lines(
        [
            ("Sở GD&ĐT", "bao_cao"),
            ("UBND thành phố", "bao_cao"),
            ("Công an thành phố", "phoi_hop"),
            ("TP, các PTP phòng GDĐT", "chi_dao"),
            ("Các CSGD trên địa bàn thành phố", "thuc_hien"),
            ("VT", "luu"),
            ("CTTT", "luu"),
        ]
    )
    assert lines == [
        "- Sở GD&ĐT (báo cáo);",
        "- UBND thành phố (báo cáo);",
        "- Công an thành phố (phối hợp);",
        "- TP, các PTP phòng GDĐT (chỉ đạo);",
        "- Các CSGD trên địa bàn thành phố (thực hiện);",
        "- Lưu: VT, CTTT.",
    ]


def test_recipient_lines_without_luu_and_luu_collected_last() -> None:
    assert recipient_lines([("Trường A", "thuc_hien"), ("Trường B", "de_biet")]) == [
        "- Trường A (thực hiện);",
        "- Trường B (để biết).",
    ]
    lines = recipient_lines([("VT", "luu"), ("Trường A", "thuc_hien")])
    assert lines == ["- Trường A (thực hiện);", "- Lưu: VT."]
    assert recipient_lines([]) == []


def test_recipient_lines_unknown_purpose() -> None:
    with pytest.raises(ValueError, match="purpose"):
        recipient_lines([("Trường A", "xem")])


# ---------------------------------------------------------------- signature block


def test_signature_block_kt_plan_811() -> None:
    assert signature_block("KT", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "Lê Thị Lan") == [
        "KT. TRƯỞNG PHÒNG",
        "PHÓ TRƯỞNG PHÒNG",
        "Lê Thị Lan",
    ]


def test_signature_block_other_modes() -> None:
    assert signature_block("direct", None, "Trưởng phòng", "Nguyễn Văn A") == ["TRƯỞNG PHÒNG", "Nguyễn Văn A"]
    assert signature_block("TM", "Ủy ban nhân dân", "Chủ tịch", "Nguyễn Văn B") == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Nguyễn Văn B",
    ]
    assert signature_block("Q", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "Trần C") == ["Q. TRƯỞNG PHÒNG", "Trần C"]
    assert signature_block("TL", "GIÁM ĐỐC", "CHÁNH VĂN PHÒNG", "Đỗ D")[0] == "TL. GIÁM ĐỐC"
    assert signature_block("TUQ", "CHỦ TỊCH", "GIÁM ĐỐC SỞ", "Đỗ D")[0] == "TUQ. CHỦ TỊCH"
    assert signature_block("kt.", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "X")[0] == "KT. TRƯỞNG PHÒNG"


def test_signing_modes_and_errors() -> None:
    assert list(SIGNING_MODES) == ["direct", "KT", "TM", "Q", "TL", "TUQ"]
    assert SIGNING_MODES["KT"].label_vi == "Ký thay"
    assert SIGNING_MODES["TUQ"].label_vi == "Thừa ủy quyền"
    with pytest.raises(ValueError, match="signing mode"):
        signature_block("XX", "A", "B", "C")
    with pytest.raises(ValueError, match="authority"):
        signature_block("KT", "", "PHÓ TRƯỞNG PHÒNG", "C")


# ---------------------------------------------------------------- render_symbol

RENDER_CASES = [
    (("state", 811, "KH", "PGDĐT"), {}, "811/KH-PGDĐT"),
    (("state", 133, "KH", "UBND"), {}, "133/KH-UBND"),
    (("state", 31, "KH", "SGDĐT"), {}, "31/KH-SGDĐT"),
    (("state", 57, "KH", "PGDĐT"), {}, "57/KH-PGDĐT"),
    (("state", 2377, "TTr", "CAT"), {"unit": "XDPT"}, "2377/TTr-CAT-XDPT"),
    (("state", 4411, "CV", "SGDĐT"), {"unit": "CTTTHSSV"}, "4411/SGDĐT-CTTTHSSV"),
    (("state", 1578, None, "SGDĐT"), {"unit": "CTTT"}, "1578/SGDĐT-CTTT"),
    (("state", 3, "BC", "THCSSK"), {}, "03/BC-THCSSK"),
    (("normative", 124, "TT", "BCA"), {"year": 2021}, "124/2021/TT-BCA"),
    (("normative", 9, "NĐ", "CP"), {"year": 2019}, "09/2019/NĐ-CP"),
    (("party", 5, "KH", "BCĐ"), {}, "05-KH/BCĐ"),
    (("party", 256, "QĐ", "TU"), {}, "256-QĐ/TU"),
    (("party", 4, "NQ", "TU"), {}, "04-NQ/TU"),
    (("party", 36, "HD", "VPTW"), {}, "36-HD/VPTW"),
    (("party", 12, "CV", "TU"), {}, "12-CV/TU"),
    (("state", 1, "KH", "GD&ĐT"), {}, "01/KH-GDĐT"),
]


@pytest.mark.parametrize(("args", "kwargs", "expected"), RENDER_CASES)
def test_render_symbol(args: tuple, kwargs: dict, expected: str) -> None:
    assert render_symbol(*args, **kwargs) == expected


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("state", 0, "KH", "PGDĐT"), {}),
        (("state", -3, "KH", "PGDĐT"), {}),
        (("state", True, "KH", "PGDĐT"), {}),
        (("federal", 1, "KH", "PGDĐT"), {}),
        (("state", 1, "ZZ", "PGDĐT"), {}),
        (("state", 1, "KH", ""), {}),
        (("state", 1, "KH", "PG/DĐT"), {}),
        (("normative", 124, "TT", "BCA"), {}),
        (("normative", 124, "CV", "BCA"), {"year": 2021}),
        (("party", 5, "KH", "BCĐ"), {"unit": "X"}),
    ],
)
def test_render_symbol_rejects(args: tuple, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        render_symbol(*args, **kwargs)


# ---------------------------------------------------------------- parse_symbol


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Số: 811/KH-PGDĐT", ParsedSymbol(811, None, "KH", "PGDĐT", None, "state")),
        ("133/KH-UBND", ParsedSymbol(133, None, "KH", "UBND", None, "state")),
        ("31/KH-SGDĐT", ParsedSymbol(31, None, "KH", "SGDĐT", None, "state")),
        ("57/KH-PGDĐT", ParsedSymbol(57, None, "KH", "PGDĐT", None, "state")),
        ("05-KH/BCĐ", ParsedSymbol(5, None, "KH", "BCĐ", None, "party")),
        ("256-QĐ/TU", ParsedSymbol(256, None, "QĐ", "TU", None, "party")),
        ("04-NQ/TU", ParsedSymbol(4, None, "NQ", "TU", None, "party")),
        ("124/2021/TT-BCA", ParsedSymbol(124, 2021, "TT", "BCA", None, "normative")),
        ("2377/TTr-CAT-XDPT", ParsedSymbol(2377, None, "TTr", "CAT", "XDPT", "state")),
        ("4411/SGDĐT-CTTTHSSV", ParsedSymbol(4411, None, "CV", "SGDĐT", "CTTTHSSV", "state")),
        ("1999/KH- SGDĐT", ParsedSymbol(1999, None, "KH", "SGDĐT", None, "state")),
        ("KH số 1999/KH- SGDĐT", ParsedSymbol(1999, None, "KH", "SGDĐT", None, "state")),
        ("số 811 / KH - PGD&ĐT", ParsedSymbol(811, None, "KH", "PGDĐT", None, "state")),
        ("Số:811/kh-pgdđt", ParsedSymbol(811, None, "KH", "PGDĐT", None, "state")),
        ("  Kế hoạch số 05-KH/BCĐ; ", ParsedSymbol(5, None, "KH", "BCĐ", None, "party")),
        ("12/KH–SGD&ĐT", ParsedSymbol(12, None, "KH", "SGDĐT", None, "state")),
        ("06-TU/NQ", ParsedSymbol(6, None, "NQ", "TU", None, "party")),
        ("09/2019/NĐ-CP", ParsedSymbol(9, 2019, "NĐ", "CP", None, "normative")),
        ("123/CV-PGDĐT", ParsedSymbol(123, None, "CV", "PGDĐT", None, "state")),
        ("Số: 124/2021/TT-BCA.", ParsedSymbol(124, 2021, "TT", "BCA", None, "normative")),
    ],
)
def test_parse_symbol(text: str, expected: ParsedSymbol) -> None:
    assert parse_symbol(text) == expected


def test_parse_symbol_normalises_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Số: 811/KH-PGDĐT")
    assert decomposed != "Số: 811/KH-PGDĐT"
    parsed = parse_symbol(decomposed)
    assert parsed.issuer == "PGDĐT"
    assert unicodedata.is_normalized("NFC", parsed.issuer)
    assert parsed.render() == "811/KH-PGDĐT"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Số:",
        "hello world",
        "811",
        "811/",
        "/KH-PGDĐT",
        "811-KH",
        "KH-PGDĐT",
        "0/KH-PGDĐT",
        "811/2022",
        "811/KH",
        "05-XYZ/ABC",
        "124/2021/XX-BCA",
        "811/KH-PGDĐT ngày 03/8/2022",
        "811//KH-PGDĐT",
    ],
)
def test_parse_symbol_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="document"):
        parse_symbol(text)


def test_parse_symbol_rejects_non_text() -> None:
    with pytest.raises(ValueError):
        parse_symbol(811)  # type: ignore[arg-type]


@pytest.mark.parametrize(("args", "kwargs", "expected"), RENDER_CASES)
def test_round_trip_render_parse(args: tuple, kwargs: dict, expected: str) -> None:
    parsed = parse_symbol(f"Số: {expected}")
    assert parsed.render() == expected
    assert str(parsed) == expected
    assert (
        render_symbol(parsed.grammar, parsed.number, parsed.doc_type, parsed.issuer, unit=parsed.unit, year=parsed.year)
        == expected
    )
    assert parsed.grammar == args[0]
    assert parsed.number == args[1]


@pytest.mark.parametrize(
    "symbol", ["133/KH-UBND", "31/KH-SGDĐT", "05-KH/BCĐ", "57/KH-PGDĐT", "811/KH-PGDĐT", "124/2021/TT-BCA"]
)
def test_real_chain_round_trips(symbol: str) -> None:
    assert parse_symbol(symbol).render() == symbol
    assert parse_symbol("Số: " + symbol).render() == symbol


# ---------------------------------------------------------------- counters


def test_counter_keys() -> None:
    assert counter_key("year_shared", year=2022, doc_type="KH") == "2022"
    assert counter_key("year_shared", year=2022, doc_type=None) == "2022"
    assert counter_key("year_per_type", year=2022, doc_type="KH") == "2022:KH"
    assert counter_key("year_per_type", year=2021, doc_type="qd") == "2021:QĐ"
    assert counter_key("term_per_type", year=2022, doc_type="KH", term="2020-2025") == "term:2020-2025:KH"


@pytest.mark.parametrize(
    ("scope", "kwargs"),
    [
        ("monthly", {"year": 2022, "doc_type": "KH"}),
        ("year_per_type", {"year": 2022, "doc_type": None}),
        ("year_per_type", {"year": 2022, "doc_type": "ZZ"}),
        ("term_per_type", {"year": 2022, "doc_type": "KH"}),
        ("term_per_type", {"year": 2022, "doc_type": "KH", "term": "a:b"}),
        ("year_shared", {"year": "2022", "doc_type": "KH"}),
    ],
)
def test_counter_key_rejects(scope: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        counter_key(scope, **kwargs)


def test_party_term() -> None:
    assert party_term(2022) == "2020-2025"
    assert party_term(2020) == "2020-2025"
    assert party_term(2019) == "2015-2020"
    assert party_term(2026) == "2025-2030"


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2022, 8, 3), "Cẩm Phả, ngày 03 tháng 8 năm 2022"),
        (date(2022, 1, 6), "Cẩm Phả, ngày 06 tháng 01 năm 2022"),
        (date(2022, 1, 17), "Cẩm Phả, ngày 17 tháng 01 năm 2022"),
        (date(2022, 2, 28), "Cẩm Phả, ngày 28 tháng 02 năm 2022"),
        (date(2022, 7, 29), "Cẩm Phả, ngày 29 tháng 7 năm 2022"),
        (date(2021, 11, 23), "Cẩm Phả, ngày 23 tháng 11 năm 2021"),
        (date(2021, 12, 1), "Cẩm Phả, ngày 01 tháng 12 năm 2021"),
    ],
)
def test_place_date_line(d: date, expected: str) -> None:
    assert place_date_line("Cẩm Phả", d) == expected


def test_date_phrase_and_place_validation() -> None:
    assert date_phrase(date(2021, 12, 28)) == "ngày 28 tháng 12 năm 2021"
    assert place_date_line("Quảng Ninh", date(2021, 7, 6)) == "Quảng Ninh, ngày 06 tháng 7 năm 2021"
    with pytest.raises(ValueError):
        place_date_line("  ", date(2022, 1, 1))


def test_format_and_parse_date() -> None:
    assert format_date(date(2022, 8, 3)) == "03/08/2022"
    assert format_date(date(2021, 12, 28)) == "28/12/2021"
    assert parse_date("03/08/2022") == date(2022, 8, 3)
    assert parse_date("29/7/2022") == date(2022, 7, 29)
    assert parse_date("2022-08-03") == date(2022, 8, 3)
    assert parse_date(" 06/01/2022 ") == date(2022, 1, 6)
    d = date(2022, 2, 5)
    assert parse_date(format_date(d)) == d


@pytest.mark.parametrize("text", ["", "3 Aug 2022", "2022/08/03", "03-08-2022", "31/02/2022", "2022-13-01", "20220803"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_date(text)
