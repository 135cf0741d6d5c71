"""A booking with questions that needs the mentor's approval, approved, in the browser.

The learner answers the mentor's questions on the booking page and asks for a time; the
mentor's open dashboard hears it live, the requests page shows the answers, one click
approves, and the learner's booking page then says Confirmed. Same server set-up as
``test_booking_flow.py``: daphne (HTTP + WebSockets) over a seeded SQLite file.
"""

from __future__ import annotations

import os

import pytest

from .test_booking_flow import PASSWORD, manage, serve_site, server_env, signed_in_page

SEED = f"""
from datetime import time
from core.accounts.models import User
from core.intake.services import approval, questions
from core.scheduling.models import SchedulingProfile, WeeklyRule

mentor = User.objects.create_user(
    "ada@example.org", "{PASSWORD}", display_name="Ada Approves", is_mentor=True, time_zone="Europe/Paris"
)
SchedulingProfile.objects.create(
    mentor=mentor, min_notice_minutes=60, horizon_days=30, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
)
for weekday in range(7):
    WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(9), end_time=time(17))
questions.set_questions(mentor, [
    questions.QuestionSpec(label="What do you want to work on?", kind="short_text", required=True, max_length=80),
    questions.QuestionSpec(label="Tell me more", kind="long_text", max_length=500),
    questions.QuestionSpec(label="Your level", kind="choice", required=True, choices=("Beginner", "Advanced")),
])
approval.save_settings(mentor, "always")
User.objects.create_user("lee@example.org", "{PASSWORD}", display_name="Lee Learner", time_zone="Asia/Kolkata")
print("seeded", mentor.pk)
"""


@pytest.fixture(scope="module")
def approval_site(tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp("approval-flow")
    env = server_env(folder / "db.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    seeded = manage(env, "shell", "-c", SEED)
    assert "seeded" in seeded
    mentor_id = int(seeded.split("seeded", 1)[1].split()[0])
    with serve_site(env, folder) as url:
        yield url, mentor_id


def test_a_booking_with_questions_is_requested_and_approved(browser, approval_site, results_dir):
    site_url, mentor_id = approval_site
    mentor_context, mentor_page = signed_in_page(browser, site_url, "ada@example.org")
    learner_context, learner_page = signed_in_page(browser, site_url, "lee@example.org")
    try:
        mentor_page.goto("/dashboard/mentor/")
        mentor_page.wait_for_selector("html[data-notifications=open]", state="attached")

        # The learner picks a slot; the confirmation asks the mentor's questions and says approval comes first.
        learner_page.goto(f"/mentors/{mentor_id}/book/")
        learner_page.locator("button[data-start]").first.click()
        assert "approves this booking first" in learner_page.inner_text("[data-testid=approval-note]")
        form = learner_page.locator("[data-testid=booking-questions]")
        assert "What do you want to work on?" in form.inner_text()
        learner_page.get_by_label("What do you want to work on?").fill("Async Python and testing")
        learner_page.get_by_label("Tell me more").fill("I maintain a Django site.")
        learner_page.get_by_label("Your level").select_option("Advanced")
        learner_page.get_by_role("button", name="Request this time").click()
        assert learner_page.inner_text("[data-testid=booking-status]").strip() == "Awaiting the mentor's approval"
        assert "Async Python and testing" in learner_page.inner_text("[data-testid=booking-answers]")

        # The mentor hears it live and sees the answers on the requests page.
        toast = mentor_page.locator("[data-notification-toast]")
        toast.wait_for()
        assert "Approve a booking: Lee Learner" in toast.inner_text()
        mentor_page.goto("/schedule/requests/")
        request = mentor_page.locator("[data-request]").first
        text = request.inner_text()
        assert "Async Python and testing" in text and "I maintain a Django site." in text and "Advanced" in text
        if os.environ.get("PEERLEARN_E2E_SCREENSHOTS") == "1":  # to look at the pages after a change
            results_dir.mkdir(exist_ok=True)
            mentor_page.screenshot(path=str(results_dir / "approval-flow-requests.png"), full_page=True)
        request.locator("[data-approve]").click()
        mentor_page.wait_for_selector("[data-empty]")

        # The learner's booking is confirmed.
        learner_page.reload()
        assert learner_page.inner_text("[data-testid=booking-status]").strip() == "Confirmed"
        assert "Approved" in learner_page.inner_text("[data-testid=approval-state]")
        if os.environ.get("PEERLEARN_E2E_SCREENSHOTS") == "1":
            results_dir.mkdir(exist_ok=True)
            learner_page.screenshot(path=str(results_dir / "approval-flow-learner.png"), full_page=True)
    except Exception:
        results_dir.mkdir(exist_ok=True)
        for name, page in (("mentor", mentor_page), ("learner", learner_page)):
            page.screenshot(path=str(results_dir / f"approval-flow-{name}.png"), full_page=True)
        raise
    finally:
        mentor_context.close()
        learner_context.close()
