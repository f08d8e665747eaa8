"""Reporting regimes (NĐ 09/2019 Art. 12 and the school calendar): data windows, working-day deadlines, and
the compilation of accepted school reports into one level's figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

FREQUENCIES = {
    "monthly": ("Hằng tháng", "Monthly"),
    "quarterly": ("Hằng quý", "Quarterly"),
    "half_year": ("6 tháng", "Six-monthly"),
    "nine_month": ("9 tháng", "Nine months"),
    "annual": ("Hằng năm", "Annual"),
    "semester_1": ("Học kỳ I", "Semester I"),
    "school_year": ("Năm học", "School year"),
}


@dataclass(frozen=True)
class Window:
    """A reporting period: the data window [start, end] (inclusive) and its label."""

    frequency: str
    year: int
    index: int
    start: date
    end: date
    label: str


def _d(year: int, month: int, day: int) -> date:
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, day)


def window(frequency: str, year: int, index: int = 1) -> Window:
    """NĐ 09 windows run from the 15th of the month before to the 14th; school periods follow the school
    year that starts in September of `year` [INF: 05/09 → 14/01 for semester I, 05/09 → 14/05 for the year]."""
    if frequency == "monthly":
        start, end, label = _d(year, index - 1, 15), date(year, index, 14), f"Tháng {index}/{year}"
    elif frequency == "quarterly":
        last = index * 3
        start, end, label = _d(year, last - 3, 15), date(year, last, 14), f"Quý {index}/{year}"
    elif frequency == "half_year":
        if index == 1:
            start, end, label = date(year - 1, 12, 15), date(year, 6, 14), f"6 tháng đầu năm {year}"
        else:
            start, end, label = date(year, 6, 15), date(year, 12, 14), f"6 tháng cuối năm {year}"
    elif frequency == "nine_month":
        start, end, label = date(year - 1, 12, 15), date(year, 9, 14), f"9 tháng năm {year}"
    elif frequency == "annual":
        start, end, label = date(year - 1, 12, 15), date(year, 12, 14), f"Năm {year}"
    elif frequency == "semester_1":
        start, end, label = date(year, 9, 5), date(year + 1, 1, 14), f"Học kỳ I năm học {year}-{year + 1}"
    elif frequency == "school_year":
        start, end, label = date(year, 9, 5), date(year + 1, 5, 14), f"Năm học {year}-{year + 1}"
    else:
        raise ValueError(f"unknown frequency {frequency!r}")
    return Window(frequency, year, index, start, end, label)


def add_working_days(day: date, count: int, holidays: Iterable[date] = ()) -> date:
    """The date `count` working days after `day` (weekends and holidays skipped; count ≥ 1 per NĐ 09)."""
    if count < 1:
        raise ValueError("a deadline is at least one working day after the cut-off")
    off = set(holidays)
    current = day
    while count:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in off:
            count -= 1
    return current


def compile_reports(reports: list[dict], numeric_fields: list[str]) -> dict:
    """Sum every numeric indicator over accepted school reports, with breakdowns per level and ward.

    Each report: {"school_id", "school", "level", "ward", "values": {...}, "status", "on_time", "incidents"}, where
    `incidents` is how many incidents the school raised in the period (not the sum of its section D figures, which
    count students and cases alike).
    """
    totals = {f: 0 for f in numeric_fields}
    by_level: dict[str, dict[str, int]] = {}
    by_ward: dict[str, dict[str, int]] = {}
    with_incidents = []
    for report in reports:
        if report["status"] != "accepted":
            continue
        values = report["values"]
        level = by_level.setdefault(report["level"] or "—", {f: 0 for f in numeric_fields})
        ward = by_ward.setdefault(report["ward"] or "—", {f: 0 for f in numeric_fields})
        for f in numeric_fields:
            v = int(values.get(f) or 0)
            totals[f] += v
            level[f] += v
            ward[f] += v
        incidents = int(report.get("incidents") or 0)
        if incidents:
            with_incidents.append({"school": report["school"], "incidents": incidents})
    on_time = [r["school"] for r in reports if r["status"] == "accepted" and r["on_time"]]
    late = [r["school"] for r in reports if r["status"] == "accepted" and not r["on_time"]]
    missing = [r["school"] for r in reports if r["status"] != "accepted"]
    expected = len(reports)
    return {
        "totals": totals,
        "by_level": by_level,
        "by_ward": by_ward,
        "schools_with_incidents": with_incidents,
        "on_time": on_time,
        "late": late,
        "missing": missing,
        "expected": expected,
        "on_time_rate": round(100 * len(on_time) / expected, 1) if expected else 0.0,
    }


# -- guards against stale tasks (a duplicate instance, an instance that was cancelled or replaced) ------------
ACCEPTED = "Báo cáo kỳ này đã được Phòng GDĐT tiếp nhận; nhiệm vụ này đã cũ, số liệu đã tiếp nhận không bị thay đổi."
CLOSED = "Kỳ báo cáo đã đóng (báo cáo tổng hợp đã được gửi); không thể nộp hoặc sửa báo cáo của kỳ này."
NOT_RUNNING = "Nhiệm vụ thuộc một quy trình báo cáo đã kết thúc, bị hủy hoặc được thay thế; không thể hoàn thành."
UNDER_REVIEW = "Báo cáo kỳ này đã được nộp từ một nhiệm vụ khác và đang chờ Phòng GDĐT xem xét; nhiệm vụ này đã cũ."
NOT_LINKED = "Nhiệm vụ này không thuộc quy trình đang theo dõi báo cáo của trường; không thể ghi kết quả."


def stale_reason(
    *,
    status: str,
    period_closed: bool,
    instance_running: bool,
    linked_instance_id: int | None,
    instance_id: int,
    step: str,
) -> str | None:
    """Why a step of a school's report instance must not touch the submission (None: it may).

    `step` is "fill" (the school fills or signs), "submit" (the principal sends it) or "review" (the office
    accepts or returns it). Once accepted, or once the period is closed, nothing changes the submission; a
    report under review belongs to the instance that sent it; the office reviews only in that instance."""
    if not instance_running:
        return NOT_RUNNING
    if status == "accepted":
        return ACCEPTED
    if period_closed:
        return CLOSED
    other = linked_instance_id is not None and linked_instance_id != instance_id
    if step in ("fill", "submit") and status == "submitted" and other:
        return UNDER_REVIEW
    if step == "review" and other:
        return NOT_LINKED
    return None


def notice_key(event: str, due: date) -> str:
    """One reminder per submission and due event: the diagram step that sends it and the deadline it is about."""
    return f"{event}@{due.isoformat()}"
