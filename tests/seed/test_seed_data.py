"""Consistency tests for seed.data: organisation tree, users, historic documents and counters."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date

import pytest

from engine.documents.nd30 import DOC_TYPES, PURPOSES, SIGNING_MODES, parse_symbol, render_symbol
from engine.documents.numbering import COUNTER_SCOPES, counter_key
from seed.data import COUNTERS, DEMO_PASSWORD, DOCUMENTS, ORGANISATIONS, ROLES, USERS

ORGS = {o["code"]: o for o in ORGANISATIONS}
USERS_BY_NAME = {u["username"]: u for u in USERS}
DOCS = {d["key"]: d for d in DOCUMENTS}

ORG_KEYS = {
    "code",
    "name",
    "short_name",
    "kind",
    "parent",
    "ward",
    "school_level",
    "symbol",
    "grammar",
    "counter_scope",
    "place",
    "managing_body",
    "aliases",
    "synthetic",
    "source",
}
KINDS = {
    "province",
    "city",
    "ward",
    "people_committee",
    "department",
    "police",
    "party_committee",
    "steering_committee",
    "office",
    "section",
    "ward_police",
    "school",
}
REAL_SCHOOL_NAMES = {
    "Trường THCS Suối Khoáng",
    "Trường Mầm non Tư thục Hương Quỳnh",
    "Trường THPT Cẩm Phả",
    "Trường THPT Lương Thế Vinh",
}
ISSUING_UNITS = ["qn-sgddt", "qn-ubnd", "cp-bcd", "cp-ubnd", "cp-pgddt", "cp-catp"]


def _schools(parent: str | None = None) -> list[dict]:
    return [o for o in ORGANISATIONS if o["kind"] == "school" and (parent is None or o["parent"] == parent)]


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


# ---------------------------------------------------------------- organisations


def test_org_shape_and_unique_codes() -> None:
    codes = [o["code"] for o in ORGANISATIONS]
    assert len(codes) == len(set(codes))
    for org in ORGANISATIONS:
        assert set(org) == ORG_KEYS, org["code"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", org["code"]), org["code"]
        assert org["kind"] in KINDS
        assert org["name"] and org["short_name"] and org["place"]
        assert isinstance(org["aliases"], list)
        assert isinstance(org["synthetic"], bool)
        assert org["source"]


def test_parents_and_wards_resolve_without_cycles() -> None:
    for org in ORGANISATIONS:
        if org["parent"] is not None:
            assert org["parent"] in ORGS, org["code"]
        if org["ward"] is not None:
            assert ORGS[org["ward"]]["kind"] == "ward", org["code"]
        seen: set[str] = set()
        node: dict | None = org
        while node is not None:
            assert node["code"] not in seen, f"cycle at {org['code']}"
            seen.add(node["code"])
            node = ORGS.get(node["parent"]) if node["parent"] else None
    roots = {o["code"] for o in ORGANISATIONS if o["parent"] is None}
    assert roots == {"qn", "bca"}


def test_required_codes_and_tree() -> None:
    expected_parent = {
        "qn": None,
        "qn-ubnd": "qn",
        "qn-sgddt": "qn",
        "qn-cat": "qn",
        "cp": "qn",
        "cp-thanhuy": "cp",
        "cp-bcd": "cp",
        "cp-ubnd": "cp",
        "cp-catp": "cp",
        "cp-ldtbxh": "cp",
        "cp-pgddt": "cp",
        "cp-pgddt-cttt": "cp-pgddt",
        "cp-pgddt-vt": "cp-pgddt",
        "cp-w-cam-trung": "cp",
        "cp-ca-cam-trung": "cp-w-cam-trung",
        "cp-s-thcs-suoi-khoang": "cp-pgddt",
        "bca": None,
    }
    for code, parent in expected_parent.items():
        assert code in ORGS, code
        assert ORGS[code]["parent"] == parent, code
    assert ORGS["qn-sgddt"]["name"] == "Sở Giáo dục và Đào tạo tỉnh Quảng Ninh"
    assert ORGS["cp-pgddt"]["name"] == "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả"
    assert ORGS["cp-pgddt-cttt"]["name"] == "Bộ phận Chính trị tư tưởng"
    assert ORGS["cp-ca-cam-trung"]["name"] == "Công an phường Cẩm Trung"
    assert ORGS["cp-s-thcs-suoi-khoang"]["name"] == "Trường THCS Suối Khoáng"
    assert ORGS["cp-s-thcs-suoi-khoang"]["symbol"] == "THCSSK"
    assert ORGS["cp-s-thcs-suoi-khoang"]["ward"] == "cp-w-quang-hanh"
    assert ORGS["bca"]["name"] == "Bộ Công an" and ORGS["bca"]["synthetic"] is False


def test_issuer_attributes() -> None:
    symbols = {
        "qn-ubnd": "UBND",
        "qn-sgddt": "SGDĐT",
        "qn-cat": "CAT",
        "cp-thanhuy": "TU",
        "cp-bcd": "BCĐ",
        "cp-ubnd": "UBND",
        "cp-catp": "CATP",
        "cp-ldtbxh": "LĐTBXH",
        "cp-pgddt": "PGDĐT",
    }
    for code, symbol in symbols.items():
        assert ORGS[code]["symbol"] == symbol, code
    assert ORGS["cp-thanhuy"]["grammar"] == ORGS["cp-bcd"]["grammar"] == "party"
    assert ORGS["cp-bcd"]["counter_scope"] == "term_per_type"
    assert ORGS["cp-ubnd"]["counter_scope"] == ORGS["qn-ubnd"]["counter_scope"] == "year_per_type"
    for code in ("qn-sgddt", "cp-pgddt", "cp-catp", "cp-s-thcs-suoi-khoang", "cp-ca-cam-trung"):
        assert ORGS[code]["counter_scope"] == "year_shared", code
        assert ORGS[code]["grammar"] == "state", code
    assert ORGS["qn-sgddt"]["managing_body"] == "UBND TỈNH QUẢNG NINH"
    assert ORGS["cp-pgddt"]["managing_body"] == "UBND THÀNH PHỐ CẨM PHẢ"
    assert ORGS["cp-bcd"]["managing_body"] == "THÀNH ỦY CẨM PHẢ"
    assert ORGS["cp-bcd"]["name"] == "Ban chỉ đạo xây dựng mô hình An ninh cơ sở thành phố Cẩm Phả"
    assert ORGS["cp-bcd"]["aliases"] == ["BCĐ 05", "Ban chỉ đạo 05 Thành phố Cẩm Phả"]
    assert ORGS["qn-sgddt"]["place"] == "Quảng Ninh" and ORGS["cp-pgddt"]["place"] == "Cẩm Phả"
    for org in ORGANISATIONS:
        if org["symbol"] is None:
            assert org["grammar"] is None and org["counter_scope"] is None, org["code"]
        else:
            assert org["grammar"] in ("state", "party"), org["code"]
            assert org["counter_scope"] in COUNTER_SCOPES, org["code"]
    for kind in ("section", "ward", "city", "province"):
        assert all(o["symbol"] is None for o in ORGANISATIONS if o["kind"] == kind), kind


def test_issuer_symbols_render_and_parse_back() -> None:
    folded_types = {k.casefold() for k in DOC_TYPES}
    for org in ORGANISATIONS:
        symbol = org["symbol"]
        if symbol is None:
            continue
        assert symbol.casefold() not in folded_types, org["code"]
        assert " " not in symbol and "&" not in symbol and "-" not in symbol
        rendered = render_symbol(org["grammar"], 7, "BC", symbol)
        assert parse_symbol(rendered).issuer == symbol, org["code"]
        assert parse_symbol(render_symbol("state", 7, "CV", symbol, unit="VT")).issuer == symbol


def test_local_symbols_are_unique() -> None:
    local = [o["symbol"] for o in ORGANISATIONS if o["kind"] in ("school", "ward_police")]
    assert len(local) == len(set(local))
    others = {o["symbol"] for o in ORGANISATIONS if o["kind"] not in ("school", "ward_police")}
    assert not others & set(local)


def test_sixteen_wards_each_with_one_ward_police() -> None:
    wards = [o for o in ORGANISATIONS if o["kind"] == "ward"]
    assert len(wards) == 16
    assert sum(o["name"].startswith("Phường ") for o in wards) == 13
    communes = {o["name"] for o in wards if o["name"].startswith("Xã ")}
    assert communes == {"Xã Dương Huy", "Xã Cộng Hòa", "Xã Cẩm Hải"}
    police = Counter(o["ward"] for o in ORGANISATIONS if o["kind"] == "ward_police")
    assert police == Counter({w["code"]: 1 for w in wards})
    for org in ORGANISATIONS:
        if org["kind"] == "ward_police":
            assert org["parent"] == org["ward"]
            ward = ORGS[org["ward"]]
            assert org["name"] == "Công an " + ward["name"][0].lower() + ward["name"][1:]
        if org["kind"] == "ward":
            assert org["parent"] == "cp" and not org["synthetic"]


def test_schools_under_pgddt() -> None:
    schools = _schools("cp-pgddt")
    assert 55 <= len(schools) <= 65
    levels = Counter(o["school_level"] for o in schools)
    assert set(levels) == {"MN", "TH", "THCS", "TH&THCS"}
    assert 18 <= levels["MN"] <= 26 and 16 <= levels["TH"] <= 20
    assert 12 <= levels["THCS"] <= 16 and 2 <= levels["TH&THCS"] <= 5
    names = [o["name"] for o in schools]
    assert len(names) == len(set(names))
    for org in schools:
        assert org["ward"] is not None and ORGS[org["ward"]]["kind"] == "ward"
        assert org["managing_body"] == "PHÒNG GD&ĐT CẨM PHẢ"
        assert org["place"] == "Cẩm Phả"
        assert org["name"].startswith("Trường ")
    combined_wards = {o["ward"] for o in schools if o["school_level"] == "TH&THCS"}
    assert {"cp-w-duong-huy", "cp-w-cong-hoa", "cp-w-cam-hai"} <= combined_wards
    assert len(combined_wards) == 4
    assert ORGS["cp-s-mn-huong-quynh"]["ward"] == "cp-w-cam-thach"


def test_thpt_schools_under_sgddt() -> None:
    thpt = _schools("qn-sgddt")
    assert {o["name"] for o in thpt} == {"Trường THPT Cẩm Phả", "Trường THPT Lương Thế Vinh"}
    assert all(o["school_level"] == "THPT" for o in thpt)
    assert all(o["school_level"] != "THPT" for o in _schools("cp-pgddt"))


def test_synthetic_flag_only_false_for_real_institutions() -> None:
    names = {o["name"] for o in _schools()}
    assert names >= REAL_SCHOOL_NAMES
    for org in _schools():
        assert org["synthetic"] is (org["name"] not in REAL_SCHOOL_NAMES), org["name"]
        if org["synthetic"]:
            assert org["source"].startswith("synthetic")
        else:
            assert "SRC-" in org["source"]
    for org in ORGANISATIONS:
        if org["kind"] != "school":
            assert org["synthetic"] is False and "primer" in org["source"], org["code"]


# ---------------------------------------------------------------- roles and users


def test_roles() -> None:
    assert set(ROLES) == {"leader", "deputy", "specialist", "clerk", "principal", "staff", "police", "admin"}
    assert ROLES["clerk"][0] == "Văn thư" and ROLES["principal"][0] == "Hiệu trưởng"


def test_users_shape_and_references() -> None:
    names = [u["username"] for u in USERS]
    assert len(names) == len(set(names))
    for user in USERS:
        assert set(user) == {"username", "full_name", "synthetic", "org", "roles", "title"}
        assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", user["username"]), user["username"]
        assert user["username"].isascii()
        assert user["org"] in ORGS, user["username"]
        assert user["roles"] and set(user["roles"]) <= set(ROLES), user["username"]
        assert user["full_name"] and user["title"]


def test_required_usernames() -> None:
    required = [
        "sgddt.lanhdao",
        "sgddt.chuyenvien",
        "sgddt.vanthu",
        "bcd.lanhdao",
        "bcd.chuyenvien",
        "bcd.vanthu",
        "pgddt.truongphong",
        "pgddt.pho",
        "pgddt.cttt",
        "pgddt.vanthu",
        "catp.canbo",
        "catp.lanhdao",
        "ldtbxh.canbo",
        "ubndtp.vanthu",
        "ubndtinh.vanthu",
        "catinh.canbo",
        "admin",
        "thcs-suoikhoang.ht",
        "thcs-suoikhoang.gv",
        "ca.camtrung",
    ]
    for name in required:
        assert name in USERS_BY_NAME, name
    lan = USERS_BY_NAME["pgddt.pho"]
    assert (lan["full_name"], lan["title"], lan["org"], lan["synthetic"]) == (
        "Lê Thị Lan",
        "Phó Trưởng phòng",
        "cp-pgddt",
        False,
    )
    assert "deputy" in lan["roles"]
    assert USERS_BY_NAME["pgddt.cttt"]["org"] == "cp-pgddt-cttt"
    assert "specialist" in USERS_BY_NAME["pgddt.cttt"]["roles"]
    assert USERS_BY_NAME["pgddt.vanthu"]["org"] == "cp-pgddt-vt"
    assert "clerk" in USERS_BY_NAME["pgddt.vanthu"]["roles"]
    assert USERS_BY_NAME["admin"]["roles"] == ["admin"] and USERS_BY_NAME["admin"]["org"] == "cp-pgddt"


def test_only_le_thi_lan_is_real() -> None:
    real = [u["username"] for u in USERS if not u["synthetic"]]
    assert real == ["pgddt.pho"]
    assert sum(u["full_name"] == "Lê Thị Lan" for u in USERS) == 1


def _in_unit(org_code: str, unit: str) -> bool:
    while org_code is not None:
        if org_code == unit:
            return True
        org_code = ORGS[org_code]["parent"]
    return False


@pytest.mark.parametrize("unit", ISSUING_UNITS)
def test_issuing_units_are_staffed(unit: str) -> None:
    roles = {r for u in USERS if _in_unit(u["org"], unit) for r in u["roles"]}
    assert {"leader", "deputy", "specialist", "clerk"} <= roles


def test_every_school_has_principal_and_staff_and_every_ward_police_a_user() -> None:
    for org in _schools():
        roles = {r for u in USERS if u["org"] == org["code"] for r in u["roles"]}
        assert {"principal", "staff"} <= roles, org["code"]
        principal = next(u for u in USERS if u["org"] == org["code"] and "principal" in u["roles"])
        assert principal["username"].endswith(".ht") and principal["title"] == "Hiệu trưởng"
    for org in ORGANISATIONS:
        if org["kind"] == "ward_police":
            assert any(u["org"] == org["code"] and "police" in u["roles"] for u in USERS), org["code"]


def test_demo_password() -> None:
    assert DEMO_PASSWORD == "cascade-demo"


# ---------------------------------------------------------------- documents


def test_documents_shape() -> None:
    keys = {
        "key",
        "issuer",
        "doc_type",
        "number",
        "year",
        "symbol",
        "grammar",
        "summary",
        "issued_on",
        "place",
        "signer_name",
        "signer_title",
        "signing_mode",
        "recipients",
        "relations",
        "source",
    }
    assert len(DOCS) == len(DOCUMENTS)
    for doc in DOCUMENTS:
        assert set(doc) == keys, doc["key"]
        assert isinstance(doc["issued_on"], date)
        assert doc["year"] == doc["issued_on"].year
        assert doc["doc_type"] in DOC_TYPES
        assert doc["signing_mode"] is None or doc["signing_mode"] in SIGNING_MODES
        assert doc["summary"] and doc["source"]


def test_real_chain_present_but_not_the_walked_documents() -> None:
    symbols = {d["symbol"] for d in DOCUMENTS}
    chain = {"133/KH-UBND", "31/KH-SGDĐT", "57/KH-PGDĐT", "04-NQ/TU", "256-QĐ/TU", "124/2021/TT-BCA"}
    assert chain <= symbols
    assert "05-KH/BCĐ" not in symbols and "811/KH-PGDĐT" not in symbols
    assert DOCS["kh-133-ubnd"]["issued_on"] == date(2021, 7, 6)
    assert DOCS["kh-31-sgddt"]["issued_on"] == date(2022, 1, 6)
    assert DOCS["kh-57-pgddt"]["issued_on"] == date(2022, 1, 17)
    assert DOCS["tt-124-2021-bca"]["issuer"] == "bca"


def test_document_symbols_follow_the_grammar() -> None:
    for doc in DOCUMENTS:
        issuer = ORGS[doc["issuer"]]
        rendered = render_symbol(doc["grammar"], doc["number"], doc["doc_type"], issuer["symbol"], year=doc["year"])
        assert rendered == doc["symbol"], doc["key"]
        parsed = parse_symbol(doc["symbol"])
        assert (parsed.number, parsed.doc_type, parsed.issuer, parsed.grammar) == (
            doc["number"],
            doc["doc_type"],
            issuer["symbol"],
            doc["grammar"],
        )
        if doc["grammar"] != "normative":
            assert doc["grammar"] == issuer["grammar"], doc["key"]


def test_document_references_resolve() -> None:
    for doc in DOCUMENTS:
        assert doc["issuer"] in ORGS
        assert doc["recipients"], doc["key"]
        for org, purpose in doc["recipients"]:
            assert org in ORGS, (doc["key"], org)
            assert purpose in PURPOSES, (doc["key"], purpose)
        for kind, target in doc["relations"]:
            assert kind in {"implements", "based_on", "concretises", "continues"}
            assert target in DOCS, (doc["key"], target)
            assert DOCS[target]["issued_on"] < doc["issued_on"]
    implemented = {org for org, purpose in DOCS["kh-57-pgddt"]["recipients"] if purpose == "thuc_hien"}
    assert implemented == {o["code"] for o in _schools("cp-pgddt")}


# ---------------------------------------------------------------- counters


def test_counters_reproduce_history() -> None:
    by_org = {c["org"]: c for c in COUNTERS}
    for counter in COUNTERS:
        assert set(counter) == {"org", "key", "value"}
        org = ORGS[counter["org"]]
        assert counter["key"] == counter_key(org["counter_scope"], year=2022, doc_type="KH", term="2020-2025")
    bcd, pgd, sgd = by_org["cp-bcd"], by_org["cp-pgddt"], by_org["qn-sgddt"]
    assert render_symbol("party", bcd["value"] + 1, "KH", ORGS["cp-bcd"]["symbol"]) == "05-KH/BCĐ"
    assert render_symbol("state", pgd["value"] + 1, "KH", ORGS["cp-pgddt"]["symbol"]) == "811/KH-PGDĐT"
    assert sgd["value"] == 31 and sgd["key"] == "2022"
    assert pgd["value"] >= DOCS["kh-57-pgddt"]["number"]


# ---------------------------------------------------------------- text


def test_all_strings_are_nfc() -> None:
    for data in (ORGANISATIONS, USERS, DOCUMENTS, ROLES, COUNTERS):
        for text in _strings(data):
            assert unicodedata.is_normalized("NFC", text), text
