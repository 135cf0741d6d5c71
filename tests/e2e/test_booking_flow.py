"""A learner finds a mentor by skill, books a slot shown in their own zone, sees it on the dashboard;
the mentor's open dashboard gets the live notification over ``ws/notifications/``.

pytest-django's ``live_server`` speaks WSGI only, so this test runs the real
ASGI application under daphne (HTTP and WebSockets) in a subprocess, on a free
port of 127.0.0.1, against its own SQLite file migrated and seeded for it. The
browser is Debian's Chromium through the package's ``browser`` fixture.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-Strong-pass-123"
LEARNER_ZONE = "Asia/Kolkata"
MENTOR_ZONE = "America/New_York"

SEED = f"""
from datetime import time
from wagtail.models import Site
from core.accounts.models import User
from core.catalogue.models import MentorIndexPage, MentorPage
from core.catalogue.profiles import bio_from_text
from core.scheduling.models import SchedulingProfile, WeeklyRule
from core.taxonomy.models import Skill

python = Skill.objects.create(name="Python", category="Programming")
Skill.objects.create(name="Guitar", category="Music")
root = Site.objects.get(is_default_site=True).root_page.specific
index = MentorIndexPage(title="Mentors", slug="mentors", intro="Find your mentor.")
root.add_child(instance=index)
index.save_revision().publish()

mentor = User.objects.create_user(
    "maya@example.org", "{PASSWORD}", display_name="Maya Mentor", is_mentor=True, time_zone="{MENTOR_ZONE}"
)
page = MentorPage(
    title="Maya Mentor", slug="maya-mentor", user=mentor, headline="Python from scratch",
    bio=bio_from_text("I teach Python."), languages=["en"], hourly_rate_minor=0, currency="EUR",
)
page.skills = [python]
index.add_child(instance=page)
page.save_revision(user=mentor).publish()
SchedulingProfile.objects.create(
    mentor=mentor, min_notice_minutes=60, horizon_days=30, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
)
for weekday in range(7):
    WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(9), end_time=time(17))

other = User.objects.create_user("gus@example.org", "{PASSWORD}", display_name="Gus Guitar", is_mentor=True)
User.objects.create_user("lee@example.org", "{PASSWORD}", display_name="Lee Learner", time_zone="{LEARNER_ZONE}")
print("seeded")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(db_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="peerlearn.settings.test",
        SQLITE_PATH=str(db_path),
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright in this process; the server must not need it
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@contextlib.contextmanager
def serve_site(env: dict[str, str], folder: Path) -> Iterator[str]:
    """Daphne serving the project's ASGI app with ``env`` on a free port; yields its base URL."""
    port = free_port()
    log_path = folder / "daphne.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "peerlearn.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"daphne exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"daphne did not listen within 60 s:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, browser):
    """daphne serving peerlearn.asgi on a free port, over a freshly migrated and seeded SQLite file."""
    folder = tmp_path_factory.mktemp("booking-flow")
    env = server_env(folder / "db.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    assert "seeded" in manage(env, "shell", "-c", SEED)
    with serve_site(env, folder) as url:
        yield url


def signed_in_page(browser, base_url: str, email: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/profile/.*|.*/$"))
    return context, page


def test_learner_books_by_skill_and_the_mentor_is_told_live(browser, site_url, results_dir):
    mentor_context, mentor_page = signed_in_page(browser, site_url, "maya@example.org")
    learner_context, learner_page = signed_in_page(browser, site_url, "lee@example.org")
    try:
        # The mentor keeps their dashboard open; its socket connects.
        mentor_page.goto("/dashboard/mentor/")
        mentor_page.wait_for_selector("html[data-notifications=open]", state="attached")
        assert "America/New_York" in mentor_page.inner_text("[data-viewer-zone]")
        assert "Nothing scheduled" in mentor_page.inner_text("[data-schedule]")

        # The learner finds her by skill.
        learner_page.goto("/mentors/?skill=python")
        cards = learner_page.locator("[data-mentor]")
        assert cards.count() == 1, "only the Python mentor matches"
        assert "Maya Mentor" in cards.first.inner_text()
        cards.first.locator("h3 a").click()
        learner_page.click("[data-book]")

        # Slots are shown in the learner's own zone, named.
        assert LEARNER_ZONE in learner_page.inner_text("[data-testid=zone-note]")
        slot = learner_page.locator("button[data-start]").first
        start_utc = datetime.fromisoformat(slot.get_attribute("data-start").replace("Z", "+00:00"))
        local = start_utc.astimezone(ZoneInfo(LEARNER_ZONE))
        assert slot.inner_text().strip().startswith(local.strftime("%H:%M"))
        mentor_local = start_utc.astimezone(ZoneInfo(MENTOR_ZONE))
        assert 9 <= mentor_local.hour < 17, "inside the mentor's hours, in the mentor's zone"
        slot.click()
        # One more look before booking: the time in her zone, then the confirmation.
        assert local.strftime("%H:%M") in learner_page.inner_text("[data-testid=slot-confirm]")
        learner_page.get_by_role("button", name="Book this time").click()
        assert learner_page.inner_text("[data-testid=booking-status]").strip() == "Confirmed"

        # The mentor's open dashboard hears it at once: a toast, and the schedule refreshed in place.
        toast = mentor_page.locator("[data-notification-toast]")
        toast.wait_for()
        assert "New booking: Lee Learner" in toast.inner_text()
        mentor_page.wait_for_selector("[data-schedule] [data-attendee]:has-text('Lee Learner')")
        assert mentor_local.strftime("%a %-d %b %Y, %H:%M") in mentor_page.inner_text("[data-schedule]"), (
            "mentor's zone"
        )
        badge = mentor_page.locator("[data-notification-bell] [data-notification-count]")
        if badge.count():  # the header bell, where the theme has one
            assert badge.first.inner_text().strip() == "1" and badge.first.is_visible()
        panel = mentor_page.locator("[data-notification-list]").first
        assert "New booking: Lee Learner" in panel.inner_text()

        # The learner sees it on the dashboard, in her zone.
        learner_page.goto("/dashboard/")
        upcoming = learner_page.inner_text("[data-upcoming]")
        assert "with Maya Mentor" in upcoming and "Confirmed" in upcoming
        assert local.strftime("%a %-d %b %Y, %H:%M") in upcoming
        assert LEARNER_ZONE in learner_page.inner_text("[data-viewer-zone]")
        if os.environ.get("PEERLEARN_E2E_SCREENSHOTS") == "1":  # to look at the pages after a change
            results_dir.mkdir(exist_ok=True)
            mentor_page.screenshot(path=str(results_dir / "booking-flow-mentor-live.png"), full_page=True)
            learner_page.screenshot(path=str(results_dir / "booking-flow-learner-dashboard.png"), full_page=True)
    except Exception:
        results_dir.mkdir(exist_ok=True)
        for name, page in (("mentor", mentor_page), ("learner", learner_page)):
            page.screenshot(path=str(results_dir / f"booking-flow-{name}.png"), full_page=True)
        raise
    finally:
        mentor_context.close()
        learner_context.close()
