"""A learner books a 6-week series from a picked slot (dates previewed first), then moves one session.

Runs the real ASGI application under daphne like test_booking_flow.py, against its
own migrated and seeded SQLite file, in Debian's Chromium.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_booking_flow import PASSWORD, manage, serve_site, server_env, signed_in_page

LEARNER_ZONE = "Asia/Kolkata"
MENTOR_ZONE = "America/New_York"

SEED = f"""
from datetime import time
from core.accounts.models import User
from core.scheduling.models import SchedulingProfile, WeeklyRule

mentor = User.objects.create_user(
    "rae@example.org", "{PASSWORD}", display_name="Rae Mentor", is_mentor=True, time_zone="{MENTOR_ZONE}"
)
SchedulingProfile.objects.create(
    mentor=mentor, min_notice_minutes=60, horizon_days=90, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
)
for weekday in range(7):
    WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(9), end_time=time(17))
User.objects.create_user("lin@example.org", "{PASSWORD}", display_name="Lin Learner", time_zone="{LEARNER_ZONE}")
print("seeded", mentor.pk)
"""


@pytest.fixture(scope="module")
def seeded_site(tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp("series-flow")
    env = server_env(folder / "db.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    out = manage(env, "shell", "-c", SEED)
    mentor_id = int(out.split("seeded", 1)[1].split()[0])
    with serve_site(env, folder) as url:
        yield url, mentor_id


def test_six_week_series_booked_and_one_session_moved(browser, seeded_site, results_dir):
    base_url, mentor_id = seeded_site
    context, page = signed_in_page(browser, base_url, "lin@example.org")
    try:
        page.goto(f"/mentors/{mentor_id}/book/")
        slot = page.locator("button[data-start]").first
        start_utc = datetime.fromisoformat(slot.get_attribute("data-start").replace("Z", "+00:00"))
        slot.click()
        # The confirmation page offers to repeat the time; preview six weekly dates first.
        option = page.locator("[data-testid=series-option]")
        assert MENTOR_ZONE in option.inner_text()
        option.locator("[data-testid=series-cadence]").select_option("weekly")
        option.locator("[data-testid=series-count]").fill("6")
        option.locator("[data-testid=series-preview]").click()
        dates = page.locator("[data-testid=series-dates] li")
        assert dates.count() == 6
        assert page.locator("[data-testid=series-dates] li[data-clash='']").count() == 6
        mentor_local = start_utc.astimezone(ZoneInfo(MENTOR_ZONE)).strftime("%H:%M")
        assert all(mentor_local in dates.nth(i).inner_text() for i in range(6)), "same time for the mentor"
        if os.environ.get("PEERLEARN_E2E_SCREENSHOTS") == "1":  # to look at the pages after a change
            results_dir.mkdir(exist_ok=True)
            page.screenshot(path=str(results_dir / "series-flow-preview.png"), full_page=True)
        page.locator("[data-testid=series-book]").click()

        # The series page: six confirmed sessions.
        page.wait_for_selector("[data-testid=series-occurrences]")
        items = page.locator("[data-testid=series-occurrences] > li")
        assert items.count() == 6
        assert page.locator("[data-testid=series-occurrences] > li[data-status=confirmed]").count() == 6

        # Move session 3 one day later, same time.
        third = page.locator("[data-testid=series-occurrences] > li[data-index='3']")
        third.locator("[data-testid=occurrence-change]").click()
        current = third.locator("[data-testid=move-start]").input_value()
        moved_to = datetime.fromisoformat(current) + timedelta(days=1)
        third.locator("[data-testid=move-start]").fill(moved_to.strftime("%Y-%m-%dT%H:%M"))
        third.locator("[data-testid=move-submit]").click()
        page.wait_for_selector("text=Moved 1 session(s)")
        third = page.locator("[data-testid=series-occurrences] > li[data-index='3']")
        assert "moved" in third.inner_text()
        assert moved_to.strftime("%a %-d %b %Y, %H:%M") in third.locator("[data-testid=occurrence-when]").inner_text()
        others = page.locator("[data-testid=series-occurrences] > li:not([data-index='3'])")
        assert all("moved" not in others.nth(i).inner_text() for i in range(5))

        # The learner's dashboard groups the series.
        page.goto("/dashboard/")
        overview = page.locator("[data-testid=series-overview]")
        assert "Rae Mentor" in overview.inner_text() and "6 still ahead" in overview.inner_text()
        if os.environ.get("PEERLEARN_E2E_SCREENSHOTS") == "1":
            page.screenshot(path=str(results_dir / "series-flow-dashboard.png"), full_page=True)
            page.goto(overview.locator("a").first.get_attribute("href"))
            page.screenshot(path=str(results_dir / "series-flow-series.png"), full_page=True)
    except Exception:
        results_dir.mkdir(exist_ok=True)
        page.screenshot(path=str(results_dir / "series-flow.png"), full_page=True)
        raise
    finally:
        context.close()
