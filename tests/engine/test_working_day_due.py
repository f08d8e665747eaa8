"""Due dates from durations land on working days (issue 13): whole days count working days, 24 hours or more
move past weekends and holidays, shorter urgencies stay exact; the holiday calendar comes from the application."""

from __future__ import annotations

from datetime import date, datetime

from engine.core.clock import VN_TZ
from engine.core.runtime import Runtime, due_from_value

FRI = datetime(2022, 7, 29, 10, 0, tzinfo=VN_TZ)  # the Friday the demo's clock stands on
NATIONAL_DAY = frozenset({date(2022, 9, 1), date(2022, 9, 2)})


def test_whole_days_count_working_days():
    assert due_from_value("P1D", FRI) == datetime(2022, 8, 1, 10, 0, tzinfo=VN_TZ)  # Monday, not Saturday
    assert due_from_value("P2D", FRI) == datetime(2022, 8, 2, 10, 0, tzinfo=VN_TZ)
    assert due_from_value("P1W", FRI) == datetime(2022, 8, 5, 10, 0, tzinfo=VN_TZ)  # five working days


def test_a_day_or_more_in_hours_moves_past_days_off_and_short_ones_stay():
    assert due_from_value("PT24H", FRI) == datetime(2022, 8, 1, 10, 0, tzinfo=VN_TZ)  # Sat 30/07 → Mon 01/08
    assert due_from_value("PT12H", FRI) == datetime(2022, 7, 29, 22, 0, tzinfo=VN_TZ)  # an incident's urgency
    assert due_from_value("PT1H", FRI) == datetime(2022, 7, 29, 11, 0, tzinfo=VN_TZ)


def test_holidays_from_the_source_are_skipped_and_read_once_per_ttl():
    runtime, asked = Runtime(), []
    runtime.holiday_source = lambda: asked.append(1) or NATIONAL_DAY
    wed = datetime(2022, 8, 31, 9, 0, tzinfo=VN_TZ)
    assert runtime.due_at("P1D", {}, wed) == datetime(2022, 9, 5, 9, 0, tzinfo=VN_TZ)  # Thu–Fri holidays, weekend
    assert runtime.due_at("P2D", {}, wed) == datetime(2022, 9, 6, 9, 0, tzinfo=VN_TZ)
    assert runtime.due_at("PT24H", {}, wed) == datetime(2022, 9, 5, 9, 0, tzinfo=VN_TZ)
    assert len(asked) == 1
    assert runtime.due_at("2022-09-03", {}, wed).date() == date(2022, 9, 3)  # an explicit date is kept as given
