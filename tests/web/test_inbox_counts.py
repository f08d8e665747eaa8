"""The inbox's counts stay cheap (issue 13): the default page counts at most FACET_CAP tasks; past it the total
reads "hơn …" and the choices carry no counts, while a filter still counts its own matches exactly."""

from __future__ import annotations

import importlib

from tests.web.test_web import start_office_plan

listing = importlib.import_module("web.inbox.listing")  # the module (web.inbox exports a function of that name)


def test_counts_stop_at_the_cap_and_filters_still_count(app, browser, monkeypatch):
    with app.app_context():
        for _ in range(3):
            start_office_plan(browser)
        cttt = browser("pgddt.cttt")
        page = cttt.get("/").get_data(as_text=True)
        assert "facet-note" not in page and "hơn" not in page.split("</h1>")[0]
        monkeypatch.setattr(listing, "FACET_CAP", 2)
        monkeypatch.setattr(listing, "PAGE_SIZE", 2)
        capped = cttt.get("/").get_data(as_text=True)
        assert "(hơn 2)" in capped.split("</h1>")[0] and "facet-note" in capped
        filtered = cttt.get("/?process=directive_plan").get_data(as_text=True)
        total = int(filtered.split('class="muted count-total">(')[1].split(")")[0])
        assert total >= 3 and 'class="next"' in filtered
