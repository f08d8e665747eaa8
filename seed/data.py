"""Seed data for 2022: organisations, roles, users, the real historic documents and numbering counters.

Plain lists of dicts (the loader lives elsewhere). Facts cite the domain primer
(/work/shared/domain/primer.md); anything not verified there is marked ``synthetic``.
"""

from __future__ import annotations

from datetime import date

from models.passwords import DEMO_PASSWORD  # noqa: F401 - shared by every demo account (`flask seed --demo`)
from models.roles import ROLES  # noqa: F401

_SYNTHETIC = "synthetic: pattern-realistic name, not a verified institution"
_SYNTHETIC_PERSON = "synthetic: invented person"

# --------------------------------------------------------------------------- organisations


def _org(
    code: str,
    name: str,
    short_name: str,
    kind: str,
    parent: str | None,
    *,
    ward: str | None = None,
    school_level: str | None = None,
    symbol: str | None = None,
    grammar: str | None = None,
    counter_scope: str | None = None,
    place: str = "Cẩm Phả",
    managing_body: str | None = None,
    aliases: list[str] | None = None,
    synthetic: bool = False,
    source: str,
) -> dict:
    return {
        "code": code,
        "name": name,
        "short_name": short_name,
        "kind": kind,
        "parent": parent,
        "ward": ward,
        "school_level": school_level,
        "symbol": symbol,
        "grammar": grammar,
        "counter_scope": counter_scope,
        "place": place,
        "managing_body": managing_body,
        "aliases": aliases or [],
        "synthetic": synthetic,
        "source": source,
    }


_NATIONAL_AND_PROVINCE: list[dict] = [
    _org(
        "bca",
        "Bộ Công an",
        "BCA",
        "police",
        None,
        symbol="BCA",
        grammar="state",
        counter_scope="year_per_type",
        place="Hà Nội",
        aliases=["Bộ Công an"],
        source="primer §1.2 A19 [SEED]; issuer of TT 124/2021/TT-BCA",
    ),
    _org("qn", "Tỉnh Quảng Ninh", "Quảng Ninh", "province", None, place="Quảng Ninh", source="primer §4.3 [SRC-36]"),
    _org(
        "qn-tinhuy",
        "Tỉnh ủy Quảng Ninh",
        "Tỉnh ủy",
        "party_committee",
        "qn",
        symbol="TU",
        grammar="party",
        counter_scope="term_per_type",
        place="Quảng Ninh",
        aliases=["Ban Thường vụ Tỉnh ủy Quảng Ninh", "Ban Chấp hành Đảng bộ tỉnh Quảng Ninh"],
        source="primer §1.2 A8, A9 [SEED]",
    ),
    _org(
        "qn-ubnd",
        "Ủy ban nhân dân tỉnh Quảng Ninh",
        "UBND tỉnh",
        "people_committee",
        "qn",
        symbol="UBND",
        grammar="state",
        counter_scope="year_per_type",
        place="Quảng Ninh",
        aliases=["UBND tỉnh Quảng Ninh"],
        source="primer §1.2 A10 [SEED]",
    ),
    _org(
        "qn-sgddt",
        "Sở Giáo dục và Đào tạo tỉnh Quảng Ninh",
        "Sở GD&ĐT",
        "department",
        "qn",
        symbol="SGDĐT",
        grammar="state",
        counter_scope="year_shared",
        place="Quảng Ninh",
        managing_body="UBND TỈNH QUẢNG NINH",
        aliases=["Sở GD&ĐT", "Sở GDĐT Quảng Ninh"],
        source="primer §1.2 A11 [SEED]",
    ),
    _org(
        "qn-cat",
        "Công an tỉnh Quảng Ninh",
        "CA tỉnh",
        "police",
        "qn",
        symbol="CAT",
        grammar="state",
        counter_scope="year_shared",
        place="Quảng Ninh",
        managing_body="BỘ CÔNG AN",
        aliases=["CAT Quảng Ninh"],
        source="primer §4.3 [SRC-15]",
    ),
]

_CITY: list[dict] = [
    _org("cp", "Thành phố Cẩm Phả", "Cẩm Phả", "city", "qn", source="primer §4.1 [SRC-27, SRC-29]"),
    _org(
        "cp-thanhuy",
        "Thành ủy Cẩm Phả",
        "Thành ủy",
        "party_committee",
        "cp",
        symbol="TU",
        grammar="party",
        counter_scope="term_per_type",
        managing_body="ĐẢNG BỘ TỈNH QUẢNG NINH",
        aliases=["Ban Thường vụ Thành ủy Cẩm Phả"],
        source="primer §1.2 A7 [SEED]",
    ),
    _org(
        "cp-bcd",
        "Ban chỉ đạo xây dựng mô hình An ninh cơ sở thành phố Cẩm Phả",
        "BCĐ",
        "steering_committee",
        "cp",
        symbol="BCĐ",
        grammar="party",
        counter_scope="term_per_type",
        managing_body="THÀNH ỦY CẨM PHẢ",
        aliases=["BCĐ 05", "Ban chỉ đạo 05 Thành phố Cẩm Phả"],
        source="primer §1.2 A6, §4.4 [SEED]",
    ),
    _org(
        "cp-ubnd",
        "Ủy ban nhân dân thành phố Cẩm Phả",
        "UBND TP",
        "people_committee",
        "cp",
        symbol="UBND",
        grammar="state",
        counter_scope="year_per_type",
        aliases=["UBND thành phố", "UBND TP Cẩm Phả"],
        source="primer §1.2 A12 [SEED]",
    ),
    _org(
        "cp-catp",
        "Công an thành phố Cẩm Phả",
        "CA TP",
        "police",
        "cp",
        symbol="CATP",
        grammar="state",
        counter_scope="year_shared",
        managing_body="CÔNG AN TỈNH QUẢNG NINH",
        aliases=["Công an thành phố"],
        source="primer §1.2 A13 [SEED]",
    ),
    _org(
        "cp-ldtbxh",
        "Phòng Lao động – Thương binh và Xã hội thành phố Cẩm Phả",
        "Phòng LĐTBXH",
        "office",
        "cp",
        symbol="LĐTBXH",
        grammar="state",
        counter_scope="year_shared",
        managing_body="UBND THÀNH PHỐ CẨM PHẢ",
        aliases=["Phòng LĐTBXH"],
        source="primer §1.2 A15 [SEED]",
    ),
    _org(
        "cp-pgddt",
        "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả",
        "Phòng GDĐT",
        "office",
        "cp",
        symbol="PGDĐT",
        grammar="state",
        counter_scope="year_shared",
        managing_body="UBND THÀNH PHỐ CẨM PHẢ",
        aliases=["Phòng GD&ĐT Cẩm Phả", "Phòng GDĐT"],
        source="primer §1.1, §1.2 A1 [SEED]",
    ),
    _org(
        "cp-pgddt-cttt",
        "Bộ phận Chính trị tư tưởng",
        "CTTT",
        "section",
        "cp-pgddt",
        aliases=["Bộ phận CTTT"],
        source="primer §1.2 A3 [SEED]",
    ),
    _org(
        "cp-pgddt-vt",
        "Bộ phận Văn thư",
        "VT",
        "section",
        "cp-pgddt",
        aliases=["Văn thư"],
        source='primer §1.9 [SEED] ("Lưu: VT, CTTT")',
    ),
]

# Wards and communes of 2022 (primer §4.1): slug, name without type, phường/xã, symbol suffix (synthetic).
_WARDS: list[tuple[str, str, str, str]] = [
    ("quang-hanh", "Quang Hanh", "phường", "QH"),
    ("cam-thach", "Cẩm Thạch", "phường", "CTC"),
    ("cam-thuy", "Cẩm Thủy", "phường", "CTY"),
    ("cam-trung", "Cẩm Trung", "phường", "CTR"),
    ("cam-thanh", "Cẩm Thành", "phường", "CTN"),
    ("cam-binh", "Cẩm Bình", "phường", "CB"),
    ("cam-tay", "Cẩm Tây", "phường", "CTA"),
    ("cam-dong", "Cẩm Đông", "phường", "CĐ"),
    ("cam-son", "Cẩm Sơn", "phường", "CSN"),
    ("cam-phu", "Cẩm Phú", "phường", "CP"),
    ("cam-thinh", "Cẩm Thịnh", "phường", "CTI"),
    ("cua-ong", "Cửa Ông", "phường", "CO"),
    ("mong-duong", "Mông Dương", "phường", "MD"),
    ("duong-huy", "Dương Huy", "xã", "DH"),
    ("cong-hoa", "Cộng Hòa", "xã", "CHO"),
    ("cam-hai", "Cẩm Hải", "xã", "CH"),
]


def _ward_orgs() -> list[dict]:
    rows: list[dict] = []
    for slug, name, kind_vi, abbr in _WARDS:
        ward_code = f"cp-w-{slug}"
        rows.append(
            _org(ward_code, f"{kind_vi.capitalize()} {name}", name, "ward", "cp", source="primer §4.1 [SRC-27, SRC-29]")
        )
        rows.append(
            _org(
                f"cp-ca-{slug}",
                f"Công an {kind_vi} {name}",
                f"Công an {name}",
                "ward_police",
                ward_code,
                ward=ward_code,
                symbol=("CAP" if kind_vi == "phường" else "CAX") + abbr,
                grammar="state",
                counter_scope="year_shared",
                managing_body="CÔNG AN THÀNH PHỐ CẨM PHẢ",
                source="primer §1.2 A14, §4.1 [SEED]; symbol synthetic",
            )
        )
    return rows


_LEVEL_NAMES = {"MN": "Mầm non", "TH": "Tiểu học", "THCS": "THCS", "TH&THCS": "TH&THCS", "THPT": "THPT"}
_LEVEL_SLUGS = {"MN": "mn", "TH": "th", "THCS": "thcs", "TH&THCS": "ththcs", "THPT": "thpt"}
_LEVEL_SYMBOLS = {"MN": "MN", "TH": "TH", "THCS": "THCS", "TH&THCS": "THTHCS", "THPT": "THPT"}

# Real schools (primer §4.2); every other school below is synthetic.
_REAL_SCHOOLS: dict[str, str] = {
    "cp-s-thcs-suoi-khoang": "primer §4.2 [SRC-32]; ward Quang Hanh (western gateway, NR 18A) [INF]",
    "cp-s-mn-huong-quynh": "primer §4.2 [SRC-33]; private preschool, ward Cẩm Thạch",
    "qn-s-thpt-cam-pha": "primer §4.2 [SRC-34]; Sở-managed; ward not verified",
    "qn-s-thpt-luong-the-vinh": "primer §4.2 [SRC-35]; Sở-managed; ward not verified",
}

# Phòng GDĐT's schools: level, name after the level words, name slug, ward slug, symbol suffix.
_PGD_SCHOOLS: list[tuple[str, str, str, str, str]] = [
    # Mầm non (22): one per ward, the private Hương Quỳnh, five second schools named after flowers.
    *[("MN", name, slug, slug, abbr) for slug, name, _kind, abbr in _WARDS],
    ("MN", "Tư thục Hương Quỳnh", "huong-quynh", "cam-thach", "HQ"),
    ("MN", "Hoa Sen", "hoa-sen", "cam-trung", "HS"),
    ("MN", "Sao Mai", "sao-mai", "cam-thuy", "SM"),
    ("MN", "Họa Mi", "hoa-mi", "cam-phu", "HM"),
    ("MN", "Hoa Hồng", "hoa-hong", "cua-ong", "HH"),
    ("MN", "Hướng Dương", "huong-duong", "quang-hanh", "HD"),
    # Tiểu học (18): the twelve wards without a combined school, six second schools after historical figures.
    *[("TH", name, slug, slug, abbr) for slug, name, _kind, abbr in _WARDS[:12]],
    ("TH", "Lê Lợi", "le-loi", "cam-phu", "LL"),
    ("TH", "Kim Đồng", "kim-dong", "cam-trung", "KĐ"),
    ("TH", "Lý Tự Trọng", "ly-tu-trong", "cam-thuy", "LTT"),
    ("TH", "Trần Quốc Toản", "tran-quoc-toan", "cam-dong", "TQT"),
    ("TH", "Nguyễn Trãi", "nguyen-trai", "cua-ong", "NT"),
    ("TH", "Võ Thị Sáu", "vo-thi-sau", "cam-thinh", "VTS"),
    # THCS (15): the same twelve wards, the real Suối Khoáng, two after historical figures.
    *[("THCS", name, slug, slug, abbr) for slug, name, _kind, abbr in _WARDS[:12]],
    ("THCS", "Suối Khoáng", "suoi-khoang", "quang-hanh", "SK"),
    ("THCS", "Trần Phú", "tran-phu", "cam-trung", "TP"),
    ("THCS", "Lê Quý Đôn", "le-quy-don", "cam-thanh", "LQĐ"),
    # TH&THCS (4): the three communes and Mông Dương.
    ("TH&THCS", "Dương Huy", "duong-huy", "duong-huy", "DH"),
    ("TH&THCS", "Cộng Hòa", "cong-hoa", "cong-hoa", "CHO"),
    ("TH&THCS", "Cẩm Hải", "cam-hai", "cam-hai", "CH"),
    ("TH&THCS", "Mông Dương", "mong-duong", "mong-duong", "MD"),
]

# Sở-managed upper-secondary schools in the city (not Phòng GDĐT's reporting subordinates).
_SGD_SCHOOLS: list[tuple[str, str, str, str | None, str]] = [
    ("THPT", "Cẩm Phả", "cam-pha", None, "CP"),
    ("THPT", "Lương Thế Vinh", "luong-the-vinh", None, "LTV"),
]


def _school_org(level: str, name: str, slug: str, ward: str | None, abbr: str, *, parent: str) -> dict:
    prefix = "qn-s" if parent == "qn-sgddt" else "cp-s"
    code = f"{prefix}-{_LEVEL_SLUGS[level]}-{slug}"
    real = code in _REAL_SCHOOLS
    return _org(
        code,
        f"Trường {_LEVEL_NAMES[level]} {name}",
        f"{level} {name}",
        "school",
        parent,
        ward=f"cp-w-{ward}" if ward else None,
        school_level=level,
        symbol=_LEVEL_SYMBOLS[level] + abbr,
        grammar="state",
        counter_scope="year_shared",
        managing_body="SỞ GD&ĐT QUẢNG NINH" if parent == "qn-sgddt" else "PHÒNG GD&ĐT CẨM PHẢ",
        synthetic=not real,
        source=_REAL_SCHOOLS.get(code, _SYNTHETIC),
    )


ORGANISATIONS: list[dict] = [
    *_NATIONAL_AND_PROVINCE,
    *_CITY,
    *_ward_orgs(),
    *[_school_org(*row, parent="cp-pgddt") for row in _PGD_SCHOOLS],
    *[_school_org(*row, parent="qn-sgddt") for row in _SGD_SCHOOLS],
]

# --------------------------------------------------------------------------- roles and users

# ROLES (keys and labels) live in models/roles.py; re-exported here for the seed's users.


def _user(username: str, full_name: str, org: str, roles: list[str], title: str, *, synthetic: bool = True) -> dict:
    return {
        "username": username,
        "full_name": full_name,
        "synthetic": synthetic,
        "org": org,
        "roles": roles,
        "title": title,
    }


_UNIT_USERS: list[dict] = [
    # Sở GDĐT Quảng Ninh
    _user("sgddt.lanhdao", "Nguyễn Văn Thịnh", "qn-sgddt", ["leader"], "Giám đốc"),
    _user("sgddt.pho", "Phạm Thị Thu Hằng", "qn-sgddt", ["deputy"], "Phó Giám đốc"),
    _user("sgddt.chuyenvien", "Đỗ Minh Tuấn", "qn-sgddt", ["specialist"], "Chuyên viên"),
    _user("sgddt.vanthu", "Vũ Thị Ngọc Ánh", "qn-sgddt", ["clerk"], "Văn thư"),
    # UBND tỉnh Quảng Ninh
    _user("ubndtinh.lanhdao", "Trần Đức Mạnh", "qn-ubnd", ["leader"], "Chủ tịch"),
    _user("ubndtinh.pho", "Hoàng Văn Khải", "qn-ubnd", ["deputy"], "Phó Chủ tịch"),
    _user("ubndtinh.chuyenvien", "Bùi Thanh Tâm", "qn-ubnd", ["specialist"], "Chuyên viên"),
    _user("ubndtinh.vanthu", "Ngô Thị Hồng Nhung", "qn-ubnd", ["clerk"], "Văn thư"),
    # Công an tỉnh Quảng Ninh
    _user(
        "catinh.canbo",
        "Đinh Quang Huy",
        "qn-cat",
        ["police", "specialist"],
        "Cán bộ Phòng Xây dựng phong trào bảo vệ ANTQ",
    ),
    # Ban chỉ đạo xây dựng mô hình An ninh cơ sở thành phố
    _user("bcd.lanhdao", "Lương Văn Toàn", "cp-bcd", ["leader"], "Trưởng Ban chỉ đạo"),
    _user("bcd.pho", "Trịnh Minh Đức", "cp-bcd", ["deputy"], "Phó Trưởng Ban chỉ đạo"),
    _user("bcd.chuyenvien", "Đào Thị Phương", "cp-bcd", ["specialist"], "Thành viên Tổ giúp việc"),
    _user("bcd.vanthu", "Tạ Thị Bích Ngọc", "cp-bcd", ["clerk"], "Văn thư"),
    # UBND thành phố Cẩm Phả
    _user("ubndtp.lanhdao", "Phan Văn Quyết", "cp-ubnd", ["leader"], "Chủ tịch"),
    _user("ubndtp.pho", "Dương Thị Minh Hải", "cp-ubnd", ["deputy"], "Phó Chủ tịch"),
    _user("ubndtp.chuyenvien", "Hà Văn Lực", "cp-ubnd", ["specialist"], "Chuyên viên"),
    _user("ubndtp.vanthu", "Mai Thị Kim Oanh", "cp-ubnd", ["clerk"], "Văn thư"),
    # Công an thành phố Cẩm Phả
    _user("catp.lanhdao", "Nguyễn Hữu Cường", "cp-catp", ["leader", "police"], "Trưởng Công an thành phố"),
    _user("catp.pho", "Lý Văn Hòa", "cp-catp", ["deputy", "police"], "Phó Trưởng Công an thành phố"),
    _user(
        "catp.canbo", "Trần Quốc Bảo", "cp-catp", ["police", "specialist"], "Cán bộ Đội Xây dựng phong trào bảo vệ ANTQ"
    ),
    _user("catp.vanthu", "Phạm Thị Hoài Thu", "cp-catp", ["clerk", "police"], "Văn thư"),
    # Phòng LĐTBXH
    _user("ldtbxh.canbo", "Vũ Thị Thanh Xuân", "cp-ldtbxh", ["specialist"], "Chuyên viên"),
    # Phòng GDĐT Cẩm Phả; Lê Thị Lan is the real signer of 811/KH-PGDĐT (primer §1.10).
    _user("pgddt.truongphong", "Hoàng Minh Khang", "cp-pgddt", ["leader"], "Trưởng phòng"),
    _user("pgddt.pho", "Lê Thị Lan", "cp-pgddt", ["deputy"], "Phó Trưởng phòng", synthetic=False),
    _user("pgddt.cttt", "Đặng Thu Trang", "cp-pgddt-cttt", ["specialist"], "Chuyên viên"),
    _user("pgddt.vanthu", "Bùi Thị Hạnh", "cp-pgddt-vt", ["clerk"], "Văn thư"),
    _user("admin", "Quản trị hệ thống", "cp-pgddt", ["admin"], "Quản trị hệ thống"),
]

_FAMILY = (
    "Nguyễn",
    "Trần",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
    "Phan",
    "Đinh",
    "Lương",
    "Trịnh",
    "Đào",
    "Mai",
    "Tạ",
    "Hà",
    "Lê",
    "Cao",
)
_FEMALE_MIDDLE = ("Thị", "Thu", "Thanh", "Ngọc", "Hồng", "Minh", "Phương", "Bích", "Thúy")
_FEMALE_GIVEN = (
    "Hương",
    "Hoa",
    "Mai",
    "Thảo",
    "Hằng",
    "Nga",
    "Trang",
    "Huyền",
    "Yến",
    "Dung",
    "Oanh",
    "Linh",
    "Hạnh",
    "Loan",
    "Thủy",
    "Vân",
    "Nhung",
    "Giang",
    "Quyên",
    "Liên",
)
_MALE_MIDDLE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Mạnh", "Tiến", "Công")
_MALE_GIVEN = (
    "Hùng",
    "Dũng",
    "Tuấn",
    "Hải",
    "Long",
    "Sơn",
    "Thắng",
    "Phong",
    "Quân",
    "Nam",
    "Cường",
    "Khánh",
    "Bình",
    "Trung",
    "Hiếu",
    "Thành",
    "Kiên",
    "Tùng",
    "Đạt",
    "Huy",
)


def _synthetic_name(i: int) -> str:
    """Deterministic invented name; about two in three are women, as in the teaching workforce."""
    family = _FAMILY[i % len(_FAMILY)]
    if i % 3:
        return f"{family} {_FEMALE_MIDDLE[(i // 3) % len(_FEMALE_MIDDLE)]} {_FEMALE_GIVEN[(i * 7) % 20]}"
    return f"{family} {_MALE_MIDDLE[(i // 2) % len(_MALE_MIDDLE)]} {_MALE_GIVEN[(i * 11) % 20]}"


def _generated_users() -> list[dict]:
    rows: list[dict] = []
    i = 0
    for slug, _name, kind_vi, _abbr in _WARDS:
        rows.append(
            _user(
                f"ca.{slug.replace('-', '')}",
                _synthetic_name(i),
                f"cp-ca-{slug}",
                ["police"],
                f"Cán bộ Công an {kind_vi}",
            )
        )
        i += 1
    for org in ORGANISATIONS:
        if org["kind"] != "school":
            continue
        level_slug = _LEVEL_SLUGS[org["school_level"]]
        name_slug = org["code"].split(f"-{level_slug}-", 1)[1].replace("-", "")
        login = f"{level_slug}-{name_slug}"
        rows.append(_user(f"{login}.ht", _synthetic_name(i), org["code"], ["principal"], "Hiệu trưởng"))
        rows.append(_user(f"{login}.gv", _synthetic_name(i + 1), org["code"], ["staff"], "Giáo viên"))
        i += 2
    return rows


USERS: list[dict] = [*_UNIT_USERS, *_generated_users()]

# --------------------------------------------------------------------------- documents


def _pgd_schools() -> list[str]:
    return [o["code"] for o in ORGANISATIONS if o["kind"] == "school" and o["parent"] == "cp-pgddt"]


DOCUMENTS: list[dict] = [
    {
        "key": "nq-04-tu",
        "issuer": "qn-tinhuy",
        "doc_type": "NQ",
        "number": 4,
        "year": 2021,
        "symbol": "04-NQ/TU",
        "grammar": "party",
        "summary": "Tăng cường lãnh đạo công tác đảm bảo an ninh, trật tự trên địa bàn tỉnh Quảng Ninh, "
        "giai đoạn 2021-2025",
        "issued_on": date(2021, 3, 23),
        "place": "Quảng Ninh",
        "signer_name": None,
        "signer_title": None,
        "signing_mode": None,
        "recipients": [("cp-thanhuy", "thuc_hien"), ("qn-ubnd", "thuc_hien"), ("qn-cat", "thuc_hien")],
        "relations": [],
        "source": "primer §1.3 D4 [SEED]; issued by Ban Thường vụ Tỉnh ủy; recipients [INF]",
    },
    {
        "key": "nq-06-tu",
        "issuer": "qn-tinhuy",
        "doc_type": "NQ",
        "number": 6,
        "year": 2021,
        "symbol": "06-NQ/TU",
        "grammar": "party",
        "summary": "Phát triển bền vững kinh tế, xã hội gắn với đảm bảo vững chắc quốc phòng, an ninh ở các "
        "xã, thôn, bản vùng đồng bào dân tộc thiểu số, miền núi, biên giới, hải đảo giai đoạn "
        "2021-2025, định hướng đến năm 2030",
        "issued_on": date(2021, 5, 17),
        "place": "Quảng Ninh",
        "signer_name": None,
        "signer_title": None,
        "signing_mode": None,
        "recipients": [("cp-thanhuy", "thuc_hien"), ("qn-ubnd", "thuc_hien")],
        "relations": [],
        "source": "primer §1.3 D5 [SEED, SRC-17]; seed misprints 06-TU/NQ; BCH Đảng bộ tỉnh; recipients [INF]",
    },
    {
        "key": "qd-256-tu",
        "issuer": "cp-thanhuy",
        "doc_type": "QĐ",
        "number": 256,
        "year": 2021,
        "symbol": "256-QĐ/TU",
        "grammar": "party",
        "summary": "Thành lập Ban chỉ đạo xây dựng mô hình An ninh cơ sở",
        "issued_on": date(2021, 6, 30),
        "place": "Cẩm Phả",
        "signer_name": None,
        "signer_title": None,
        "signing_mode": None,
        "recipients": [
            ("cp-bcd", "thuc_hien"),
            ("cp-ubnd", "thuc_hien"),
            ("cp-catp", "thuc_hien"),
            ("qn-tinhuy", "bao_cao"),
        ],
        "relations": [],
        "source": "primer §1.3 D7 [SEED]; recipients [INF]",
    },
    {
        "key": "kh-133-ubnd",
        "issuer": "qn-ubnd",
        "doc_type": "KH",
        "number": 133,
        "year": 2021,
        "symbol": "133/KH-UBND",
        "grammar": "state",
        "summary": "Xây dựng mô hình An ninh cơ sở",
        "issued_on": date(2021, 7, 6),
        "place": "Quảng Ninh",
        "signer_name": None,
        "signer_title": None,
        "signing_mode": None,
        "recipients": [
            ("qn-sgddt", "thuc_hien"),
            ("qn-cat", "thuc_hien"),
            ("cp-ubnd", "thuc_hien"),
            ("qn-tinhuy", "bao_cao"),
        ],
        "relations": [("based_on", "nq-04-tu")],
        "source": "primer §1.3 D6, §1.4 [SEED]; relation to 04-NQ/TU and recipients [INF]",
    },
    {
        "key": "tt-124-2021-bca",
        "issuer": "bca",
        "doc_type": "TT",
        "number": 124,
        "year": 2021,
        "symbol": "124/2021/TT-BCA",
        "grammar": "normative",
        "summary": "Quy định khu dân cư, xã, phường, thị trấn, cơ quan, doanh nghiệp, cơ sở giáo dục đạt "
        "tiêu chuẩn “An toàn về an ninh, trật tự”",
        "issued_on": date(2021, 12, 28),
        "place": "Hà Nội",
        "signer_name": "Tô Lâm",
        "signer_title": "Bộ trưởng",
        "signing_mode": "direct",
        "recipients": [("qn-cat", "thuc_hien"), ("qn-ubnd", "thuc_hien")],
        "relations": [],
        "source": "primer §1.3 D8, §2 [SEED, SRC-1, SRC-2]; in force 10/02/2022; recipients [INF]",
    },
    {
        "key": "kh-31-sgddt",
        "issuer": "qn-sgddt",
        "doc_type": "KH",
        "number": 31,
        "year": 2022,
        "symbol": "31/KH-SGDĐT",
        "grammar": "state",
        "summary": "Phối hợp triển khai thực hiện mô hình An ninh cơ sở",
        "issued_on": date(2022, 1, 6),
        "place": "Quảng Ninh",
        "signer_name": None,
        "signer_title": None,
        "signing_mode": None,
        "recipients": [
            ("cp-pgddt", "thuc_hien"),
            ("qn-s-thpt-cam-pha", "thuc_hien"),
            ("qn-s-thpt-luong-the-vinh", "thuc_hien"),
            ("qn-ubnd", "bao_cao"),
            ("qn-cat", "phoi_hop"),
        ],
        "relations": [("implements", "kh-133-ubnd")],
        "source": "primer §1.3 D2 [SEED]; relation to 133/KH-UBND and recipients [INF]",
    },
    {
        "key": "kh-57-pgddt",
        "issuer": "cp-pgddt",
        "doc_type": "KH",
        "number": 57,
        "year": 2022,
        "symbol": "57/KH-PGDĐT",
        "grammar": "state",
        "summary": "Phối hợp thực hiện mô hình An ninh cơ sở",
        "issued_on": date(2022, 1, 17),
        "place": "Cẩm Phả",
        "signer_name": None,
        "signer_title": None,
        "signing_mode": None,
        "recipients": [
            ("qn-sgddt", "bao_cao"),
            ("cp-ubnd", "bao_cao"),
            ("cp-catp", "phoi_hop"),
            ("cp-pgddt", "chi_dao"),
            *[(code, "thuc_hien") for code in _pgd_schools()],
            ("cp-pgddt-vt", "luu"),
            ("cp-pgddt-cttt", "luu"),
        ],
        "relations": [("implements", "kh-31-sgddt")],
        "source": "primer §1.3 D3, §1.4 [SEED]; relation to 31/KH-SGDĐT [INF]; recipients modelled on 811 [INF]",
    },
]

# --------------------------------------------------------------------------- numbering counters

# Last number used, so that walking the workflow issues 05-KH/BCĐ, 811/KH-PGDĐT and Sở's next number 32.
COUNTERS: list[dict] = [
    {"org": "cp-bcd", "key": "term:2020-2025:KH", "value": 4},
    {"org": "cp-pgddt", "key": "2022", "value": 810},
    {"org": "qn-sgddt", "key": "2022", "value": 31},
]


# --------------------------------------------------------------------------- periodic reporting

# [INF] 2022 public holidays under the Labour Code 2019 and the 2022 government notice (Tết, Hùng Kings,
# 30/4–1/5, National Day); administrators edit the list in the app.
HOLIDAYS: list[tuple[date, str]] = [
    (date(2022, 1, 1), "Tết Dương lịch"),
    (date(2022, 1, 3), "Nghỉ bù Tết Dương lịch"),
    *[(date(2022, 1, d), "Tết Nguyên đán") for d in (31,)],
    *[(date(2022, 2, d), "Tết Nguyên đán") for d in (1, 2, 3, 4)],
    (date(2022, 4, 11), "Nghỉ bù Giỗ Tổ Hùng Vương"),
    (date(2022, 5, 2), "Nghỉ bù 30/4"),
    (date(2022, 5, 3), "Nghỉ bù 1/5"),
    (date(2022, 9, 1), "Quốc khánh"),
    (date(2022, 9, 2), "Quốc khánh"),
]

# Reporting regimes attached to Plan 811 (primer §1.8: the plan sets no frequency; these are the realistic
# defaults it names — NĐ 09 quarters and the school semester). Receiver compiles; report_to get the result.
REGIMES: list[dict] = [
    {
        "key": "kh811-quy",
        "name": "Báo cáo kết quả thực hiện KH 811 — hằng quý",
        "frequency": "quarterly",
        "receiver": "cp-pgddt",
        "school_deadline_days": 2,
        "office_deadline_days": 5,
        "report_to": ["qn-sgddt", "cp-ubnd"],
    },
    {
        "key": "kh811-hk1",
        "name": "Báo cáo kết quả thực hiện KH 811 — học kỳ I",
        "frequency": "semester_1",
        "receiver": "cp-pgddt",
        "school_deadline_days": 3,
        "office_deadline_days": 5,
        "report_to": ["qn-sgddt", "cp-ubnd"],
    },
]
