"""Circular 124/2021/TT-BCA, "An toàn về an ninh, trật tự" for educational institutions (primer §2): the yearly
window, who is eligible, the six criteria, the disqualifier checklist and the ward roll-up rule.

Pure Python: no storage, no framework. The other modules of `engine/tt124/` run the yearly cycle with these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from engine.core.clock import VN_TZ

TITLE = "An toàn về an ninh, trật tự"
CIRCULAR = "Thông tư số 124/2021/TT-BCA ngày 28/12/2021 của Bộ trưởng Bộ Công an"

# --------------------------------------------------------------------------- eligibility (Art. 2, primer §2.1)

# The Circular covers educational institutions "trừ cơ sở giáo dục tiểu học, mầm non, nhà trẻ". Multi-level
# TH&THCS schools are in [INF: primer §2.1 says the text does not settle it; the administrator can override].
EXCLUDED_LEVELS = {"MN": "Mầm non", "TH": "Tiểu học"}
INCLUDED_LEVELS = {"THCS": "THCS", "TH&THCS": "TH&THCS", "THPT": "THPT"}


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    source: str  # "level" | "override"
    note: str  # why, in Vietnamese (shown on the pages and kept on the year's record)


def eligible_by_level(level: str | None) -> Eligibility:
    if level in INCLUDED_LEVELS:
        return Eligibility(True, "level", f"Cấp học {INCLUDED_LEVELS[level]}: thuộc phạm vi Thông tư 124")
    if level in EXCLUDED_LEVELS:
        return Eligibility(
            False, "level", f"Cấp học {EXCLUDED_LEVELS[level]}: Thông tư 124 không áp dụng (Điều 2, khoản 1)"
        )
    return Eligibility(False, "level", "Chưa xác định cấp học")


def eligibility(level: str | None, override: tuple[bool, str] | None = None) -> Eligibility:
    """The level rule, unless an administrator has overridden it for this school (with a reason)."""
    if override is not None:
        eligible, reason = override
        verb = "Đưa vào" if eligible else "Không đưa vào"
        return Eligibility(bool(eligible), "override", f"{verb} theo quyết định của quản trị: {reason}".strip())
    return eligible_by_level(level)


# --------------------------------------------------------------------------- the year (Art. 8, 9)


@dataclass(frozen=True)
class Calendar:
    """One year's dates: the evaluation window and the deadlines of the school's cycle."""

    year: int
    start: date  # 16/11 of the previous year
    end: date  # 15/11
    register_due: date  # end of Q1 (31/03)
    assessment_on: date  # evidence closes and the disqualifier check runs
    meeting_due: date  # the self-assessment meeting is held by the end of the window
    submit_due: date  # the dossier reaches the city police before 20/11

    def at(self, day: date, hour: time = time(17, 0)) -> str:
        return datetime.combine(day, hour, VN_TZ).isoformat()

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def calendar(year: int) -> Calendar:
    """Art. 8(2)(b): institutions are evaluated from 16 November of the previous year to 15 November."""
    return Calendar(
        year=year,
        start=date(year - 1, 11, 16),
        end=date(year, 11, 15),
        register_due=date(year, 3, 31),
        assessment_on=date(year, 11, 1),
        meeting_due=date(year, 11, 15),
        submit_due=date(year, 11, 19),
    )


FIRST_YEAR = 2022  # the Circular is in force from 10/02/2022


def scheduled_year(today: date) -> int:
    """The year the yearly 16/11 start opens: the one whose window begins that day (16/11/2022 opens 2023)."""
    return today.year + 1 if (today.month, today.day) >= (11, 16) else today.year


def openable_year(year: int, today: date) -> bool:
    """A year can be opened from the Circular's first year up to next year (opened ahead once the current
    window closes on 15/11)."""
    return FIRST_YEAR <= year <= today.year + 1


# Evidence, and files attached to it, can be added until the recognition dossier is sent (then it is as sent).
EVIDENCE_OPEN_STATUSES = frozenset({"open", "registered", "assessed"})
MAX_FILES_PER_EVIDENCE = 10


def submitted_in_time(year: int, at: datetime) -> bool:
    """ "Trước ngày 20 tháng 11": before 20/11 00:00 Vietnam time."""
    return at < datetime.combine(date(year, 11, 20), time(0, 0), VN_TZ)


def registered_in_time(year: int, at: datetime) -> bool:
    """Q1: on or before 31/03 (the whole day, Vietnam time)."""
    return at < datetime.combine(date(year, 3, 31) + timedelta(days=1), time(0, 0), VN_TZ)


# --------------------------------------------------------------------------- the six criteria (Art. 7)

CRITERIA: dict[int, tuple[str, str]] = {
    1: (
        "Trong Quý I: nghị quyết của tổ chức Đảng (nếu có), kế hoạch bảo đảm ANTT, đăng ký phấn đấu; nội quy, quy "
        "chế được ban hành và phổ biến đến 100% cán bộ, giáo viên, người học; có ít nhất một mô hình phong trào "
        "toàn dân bảo vệ an ninh Tổ quốc hoạt động hiệu quả",
        "In Q1: Party resolution (if any), ANTT plan, registration; rules issued and briefed to 100%; at least one "
        "effective movement model",
    ),
    2: (
        "Thực hiện đầy đủ chủ trương, chính sách, pháp luật; quy chế phối hợp với Công an; hình thức phối hợp quản lý "
        "học sinh với Ban đại diện cha mẹ học sinh",
        "Implements policy and law, the coordination rules with the police, and joint student management with the "
        "parents' board",
    ),
    3: (
        "Không để xảy ra các vụ việc quy định tại Điều 6 khoản 3 (tôn giáo trái phép, khiếu kiện đông người, tội "
        "phạm nghiêm trọng không được phát hiện và báo cáo kịp thời, lộ bí mật nhà nước, cháy nổ, tai nạn nghiêm "
        "trọng)",
        "None of the Art. 6(3) events (illegal religion, mass complaints, unreported serious crime, state secrets, "
        "serious fire or accident)",
    ),
    4: (
        "Không để xảy ra bạo lực học đường; không có cán bộ, giáo viên, nhân viên, người học phạm tội hoặc mắc tệ "
        "nạn xã hội bị xử lý kỷ luật từ hình thức cảnh cáo trở lên",
        "No school violence; no member who committed a crime or was disciplined at warning level or above",
    ),
    5: (
        "Lực lượng bảo vệ (nếu có) đạt danh hiệu Tập thể lao động tiên tiến hoặc Hoàn thành tốt nhiệm vụ trở lên; "
        "không có thành viên bị kỷ luật từ cảnh cáo trở lên",
        "The security force (if any) rated 'completed tasks well' or better; no member disciplined",
    ),
    6: (
        "Có từ 70% tổ, bộ phận trở lên đạt danh hiệu Tập thể lao động tiên tiến hoặc Hoàn thành tốt nhiệm vụ trở lên; "
        "không có cá nhân bị kỷ luật từ cảnh cáo trở lên",
        "At least 70% of sub-units rated 'completed tasks well' or better; nobody disciplined",
    ),
}


def criterion_short(number: int) -> str:
    return f"Tiêu chí {number}"


# --------------------------------------------------------------------------- disqualifiers (primer §2.2)

# code → (Vietnamese, English, criterion)
DISQUALIFIERS: dict[str, tuple[str, str, int]] = {
    "no_registration": ("Không đăng ký phấn đấu trong Quý I", "Not registered in Q1", 1),
    "no_plan": ("Không có kế hoạch bảo đảm an ninh, trật tự", "No ANTT plan", 1),
    "no_party_resolution": (
        "Tổ chức Đảng chưa có nghị quyết về công tác bảo đảm an ninh, trật tự",
        "The Party cell adopted no ANTT resolution",
        1,
    ),
    "rules_missing": ("Chưa ban hành nội quy, quy chế bảo vệ cơ quan", "Internal rules not issued", 1),
    "briefing_below_100": (
        "Chưa phổ biến nội quy, tiêu chí đến 100% cán bộ, giáo viên, người học",
        "Briefing coverage below 100%",
        1,
    ),
    "no_movement_model": (
        "Không có mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc hoạt động hiệu quả",
        "No effective movement model",
        1,
    ),
    "art6_event": (
        "Xảy ra vụ việc thuộc Điều 6 khoản 3 (a, b, c, e, g)",
        "An Art. 6(3) a/b/c/e/g event occurred",
        3,
    ),
    "serious_crime_unreported": (
        "Tội phạm nghiêm trọng không được phát hiện, báo cáo kịp thời",
        "Serious crime not promptly handled and reported",
        3,
    ),
    "school_violence": ("Để xảy ra bạo lực học đường", "School violence occurred", 4),
    "member_crime_or_discipline": (
        "Cán bộ, giáo viên, nhân viên, người học phạm tội hoặc bị kỷ luật từ cảnh cáo trở lên",
        "A member committed a crime or was disciplined at warning level or above",
        4,
    ),
    "security_force_disciplined": (
        "Thành viên lực lượng bảo vệ bị kỷ luật từ cảnh cáo trở lên",
        "A security-force member was disciplined",
        5,
    ),
    "subunits_below_70": (
        "Dưới 70% tổ, bộ phận đạt danh hiệu Hoàn thành tốt nhiệm vụ trở lên",
        "Fewer than 70% of sub-units rated well",
        6,
    ),
}

SERIOUS = ("serious", "very_serious", "fatal")
# Incident categories (engine/incidents/rules.py) that count against the school: category → (disqualifier, rule).
# rule "fail": disqualifies outright; "serious": disqualifies when serious or worse, otherwise to be reviewed;
# "review": a person must judge (e.g. was the member the offender? was the discipline a warning or above?).
INCIDENT_RULES: dict[str, tuple[str, str]] = {
    "school_violence": ("school_violence", "fail"),
    "mass_gathering_incitement": ("art6_event", "fail"),  # Art. 6(3)(c)
    "info_security_secret": ("art6_event", "fail"),  # Art. 6(3)(e)
    "fire_explosion": ("art6_event", "serious"),  # Art. 6(3)(g)
    "food_poisoning": ("art6_event", "serious"),  # Art. 6(3)(g)
    "crime_by_or_against_member": ("member_crime_or_discipline", "review"),
    "staff_misconduct": ("member_crime_or_discipline", "review"),
}
DISQUALIFYING_CATEGORIES = tuple(INCIDENT_RULES)


@dataclass(frozen=True)
class Finding:
    """One line of the checklist: a disqualifier that is met ("fail") or needs a person's judgement
    ("review"), with where it came from."""

    code: str
    verdict: str  # fail | review
    detail: str
    source: str  # registration | incident | meeting
    incident_id: int | None = None

    @property
    def label(self) -> str:
        return DISQUALIFIERS[self.code][0]

    @property
    def criterion(self) -> int:
        return DISQUALIFIERS[self.code][2]

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "criterion": self.criterion,
            "verdict": self.verdict,
            "detail": self.detail,
            "source": self.source,
            "incident_id": self.incident_id,
        }


def registration_findings(registration: Mapping | None, on_time: bool | None) -> list[Finding]:
    """Criterion 1 from the registration form (Bản đăng ký phấn đấu and what the school declared with it)."""
    if not registration:
        return [Finding("no_registration", "fail", "Chưa đăng ký phấn đấu", "registration")]
    out = []
    if not on_time:
        out.append(Finding("no_registration", "fail", "Đăng ký sau ngày 31/3 (ngoài Quý I)", "registration"))
    if not str(registration.get("so_ke_hoach") or "").strip():
        out.append(Finding("no_plan", "fail", "Không khai báo số kế hoạch", "registration"))
    if registration.get("co_to_chuc_dang") and not str(registration.get("so_nghi_quyet") or "").strip():
        out.append(Finding("no_party_resolution", "fail", "Có tổ chức Đảng nhưng chưa có nghị quyết", "registration"))
    if not registration.get("xac_nhan_dang_ky"):
        out.append(Finding("no_registration", "fail", "Chưa xác nhận Bản đăng ký phấn đấu", "registration"))
    if not registration.get("noi_quy"):
        out.append(Finding("rules_missing", "fail", "Chưa ban hành nội quy, quy chế", "registration"))
    if not registration.get("pho_bien_100"):
        out.append(Finding("briefing_below_100", "fail", "Chưa phổ biến đến 100%", "registration"))
    if not str(registration.get("mo_hinh") or "").strip():
        out.append(Finding("no_movement_model", "fail", "Chưa có mô hình phong trào", "registration"))
    return out


def incident_findings(incidents: Iterable[Mapping]) -> list[Finding]:
    """Findings from the incidents Cascade recorded in the window: each {"id", "category", "severity",
    "occurred_at" (datetime or ISO text), "label"}."""
    out = []
    for incident in incidents:
        rule = INCIDENT_RULES.get(incident["category"])
        if rule is None:
            continue
        code, kind = rule
        verdict = "fail" if kind == "fail" or (kind == "serious" and incident["severity"] in SERIOUS) else "review"
        when = incident.get("occurred_at")
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        day = when.astimezone(VN_TZ).strftime("%d/%m/%Y") if isinstance(when, datetime) else "?"
        out.append(
            Finding(
                code,
                verdict,
                f"{incident.get('label') or incident['category']} ngày {day} (sự việc #{incident['id']})",
                "incident",
                int(incident["id"]),
            )
        )
    return out


def meeting_findings(meeting: Mapping) -> list[Finding]:
    """Criteria 5 and 6 as the self-assessment meeting found them."""
    out = []
    rate = meeting.get("ty_le_to_dat")
    if rate is not None and int(rate) < 70:
        out.append(Finding("subunits_below_70", "fail", f"{int(rate)}% tổ, bộ phận đạt", "meeting"))
    if meeting.get("bao_ve_bi_ky_luat"):
        out.append(Finding("security_force_disciplined", "fail", "Có thành viên bị kỷ luật", "meeting"))
    return out


def disqualified(findings: Iterable[Finding]) -> bool:
    return any(f.verdict == "fail" for f in findings)


def missing_evidence(criteria_with_evidence: Iterable[int]) -> list[int]:
    have = set(criteria_with_evidence)
    return [n for n in CRITERIA if n not in have]


# --------------------------------------------------------------------------- roll-ups (Art. 5(4))

WARD_REGISTERED_RATE = 100
WARD_RECOGNISED_RATE = 70


def ward_condition(total: int, registered: int, recognised: int) -> bool | None:
    """A ward reaches the standard only if 100% of its institutions registered and ≥ 70% were recognised
    (Art. 5(4)). None when it has no eligible institution (no condition to meet)."""
    if total <= 0:
        return None
    return registered * 100 >= WARD_REGISTERED_RATE * total and recognised * 100 >= WARD_RECOGNISED_RATE * total


def _rate(part: int, total: int) -> float | None:
    return round(100 * part / total, 1) if total else None


def rollup(rows: Iterable[Mapping], key: str) -> dict[str, dict]:
    """Group eligible schools by `key` ("ward", "level" or "year"): counts, rates and the ward condition.

    Each row: {"ward", "level", "year", "eligible", "registered", "registered_on_time", "recognised"}.
    Excluded schools are counted apart and never in the rates.
    """
    out: dict[str, dict] = {}
    for row in rows:
        group = out.setdefault(
            str(row.get(key) or "—"),
            {"total": 0, "excluded": 0, "registered": 0, "registered_on_time": 0, "recognised": 0},
        )
        if not row.get("eligible"):
            group["excluded"] += 1
            continue
        group["total"] += 1
        group["registered"] += bool(row.get("registered"))
        group["registered_on_time"] += bool(row.get("registered_on_time"))
        group["recognised"] += bool(row.get("recognised"))
    for group in out.values():
        group["registered_rate"] = _rate(group["registered"], group["total"])
        group["recognised_rate"] = _rate(group["recognised"], group["total"])
        group["condition_met"] = ward_condition(group["total"], group["registered"], group["recognised"])
    return dict(sorted(out.items()))


STATUSES: dict[str, tuple[str, str]] = {
    "excluded": ("Không thuộc diện", "Not eligible"),
    "open": ("Chưa đăng ký", "Not registered yet"),
    "registered": ("Đã đăng ký", "Registered"),
    "not_registered": ("Không đăng ký", "Did not register"),
    "disqualified": ("Không đủ điều kiện (vi phạm tiêu chí)", "Disqualified"),
    "assessed": ("Đang họp đánh giá", "Self-assessment"),
    "not_achieved": ("Tự đánh giá không đạt", "Did not meet the standard"),
    "withdrawn": ("Không đề nghị công nhận", "Withdrawn"),
    "submitted": ("Đã gửi hồ sơ đề nghị", "Dossier submitted"),
    "appraised": ("Công an TP đã thẩm định", "Appraised by the city police"),
    "rejected": ("Thẩm định không đạt", "Appraisal refused"),
    "recognised": ("Được công nhận", "Recognised"),
    "under_review": ("Được công nhận — cần xem xét lại", "Recognised — to be reviewed"),
    "not_recognised": ("Không được công nhận", "Not recognised"),
}
