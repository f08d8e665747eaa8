"""A whole reporting period for every seeded school, over the JSON API: most on time, some late, one
returned and resubmitted, one extended; the compiled figures equal the sums of the accepted reports."""

from __future__ import annotations

import time as timer
from datetime import date

from engine.reporting.rules import add_working_days, window
from tests.support.reporting_walk import (  # noqa: F401 - the helpers other tests import from here
    figures_for,
    instance_of,
    people,
    prefilled,
    run_full_period,
    token_actor,
)


def test_windows_and_working_day_deadlines():
    assert window("monthly", 2022, 1).start == date(2021, 12, 15)
    assert window("quarterly", 2022, 3).start == date(2022, 6, 15) and window("quarterly", 2022, 3).end == date(
        2022, 9, 14
    )
    assert window("half_year", 2022, 2).end == date(2022, 12, 14)
    assert window("annual", 2022).start == date(2021, 12, 15)
    # Wed 14/9/2022 + 2 working days = Fri 16/9; Fri 2/9 (holiday) after Wed 31/8 + 1 → Mon 5/9
    assert add_working_days(date(2022, 9, 14), 2) == date(2022, 9, 16)
    assert add_working_days(date(2022, 8, 31), 1, [date(2022, 9, 1), date(2022, 9, 2)]) == date(2022, 9, 5)


def test_a_whole_period_for_every_school(app):
    started = timer.perf_counter()
    with app.app_context():
        walked = run_full_period(app)
        print(f"\nfull period for {len(walked.schools)} schools: {timer.perf_counter() - started:.1f} s")
