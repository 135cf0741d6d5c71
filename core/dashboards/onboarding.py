"""First steps on the dashboards: what a new mentor or learner still has to do, with a link to each step.

A checklist is computed from the data itself (a page, weekly hours, a booking), never from a stored
"done" flag, so it is right for accounts made before it existed and disappears by itself once every
step is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext

TODO, WAITING, DONE = "todo", "waiting", "done"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    url: str
    action: str
    state: str = TODO

    @property
    def done(self) -> bool:
        return self.state == DONE


@dataclass(frozen=True)
class Checklist:
    title: str
    steps: list[Step]

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.steps)

    @property
    def next_key(self) -> str:
        """The first step still to do: the one the page highlights."""
        return next((step.key for step in self.steps if step.state == TODO), "")


def _profile_step(user: Any) -> Step:
    from core.catalogue.profiles import profile_status

    status = profile_status(user)
    url = reverse("catalogue:profile_edit")
    if status.live:
        return Step(
            "profile",
            gettext("Your public mentor page is live"),
            gettext("Learners find you in the search."),
            url,
            gettext("Edit"),
            DONE,
        )
    if status.state == "pending":
        return Step(
            "profile",
            gettext("Your mentor page is waiting for approval"),
            gettext("The editors check new pages before they appear in the search; you get a notification."),
            url,
            gettext("See your page"),
            WAITING,
        )
    if status.state == "changes_requested":
        return Step(
            "profile",
            gettext("The editors asked for changes to your mentor page"),
            status.comment or gettext("Open your page to see what to change, then send it again."),
            url,
            gettext("Make the changes"),
        )
    return Step(
        "profile",
        gettext("Create your public mentor page"),
        gettext("A headline, your skills and languages, and your hourly rate: learners find you by these."),
        url,
        gettext("Create your page"),
    )


def _availability_step(user: Any) -> Step:
    from core.scheduling.models import DateOverride, WeeklyRule

    has_hours = (
        WeeklyRule.objects.filter(mentor=user).exists()
        or DateOverride.objects.filter(mentor=user, kind=DateOverride.AVAILABLE).exists()
    )
    return Step(
        "availability",
        gettext("Set the hours you can teach"),
        gettext("Give your weekly hours in your own time zone; learners only see times that are really free."),
        "/schedule/availability/",
        gettext("Set your hours"),
        DONE if has_hours else TODO,
    )


def _first_session_step(user: Any) -> Step:
    from core.scheduling.models import Booking, Session

    booked = Booking.objects.filter(
        session__mentor=user, status__in=(Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW)
    ).exists()
    published = Session.objects.filter(mentor=user, origin=Session.PUBLISHED).exists()
    return Step(
        "first_session",
        gettext("Get your first session"),
        gettext("Wait for a learner to book one of your hours, or publish a group session anyone can join."),
        reverse("scheduling:session_new"),
        gettext("Publish a group session"),
        DONE if booked or published else TODO,
    )


def mentor_checklist(user: Any) -> Checklist | None:
    """The new mentor's steps (public page, hours, first session), or ``None`` once all are done."""
    if not getattr(user, "is_mentor", False):
        return None
    checklist = Checklist(
        gettext("Get ready to teach"), [_profile_step(user), _availability_step(user), _first_session_step(user)]
    )
    return None if checklist.complete else checklist


def learner_checklist(user: Any) -> Checklist | None:
    """The new learner's steps (interests, first booking), or ``None`` once both are done."""
    from core.scheduling.models import Booking

    if not getattr(user, "is_learner", False):
        return None
    has_interests = user.interests.exists()
    has_booked = Booking.objects.filter(learner=user).exists()
    checklist = Checklist(
        gettext("Get started"),
        [
            Step(
                "interests",
                gettext("Tell us what you want to learn"),
                gettext("Your interests shape the mentors and sessions we suggest for you."),
                reverse("accounts:profile_edit"),
                gettext("Choose interests"),
                DONE if has_interests else TODO,
            ),
            Step(
                "first_booking",
                gettext("Book your first session"),
                gettext("Find a mentor, pick a time that is free in your time zone, and book it."),
                "/mentors/",
                gettext("Find a mentor"),
                DONE if has_booked else TODO,
            ),
        ],
    )
    return None if checklist.complete else checklist


def kept_learner_checklist(user: Any) -> Checklist | None:
    """:func:`learner_checklist`, kept per person and language until their bookings or interests
    change (``person:<id>``) or their roles do (``site``): every dashboard asks, and once both steps
    are done the answer stays ``None``."""
    from django.utils import translation

    from core.pages.cache import cached_part

    if not getattr(user, "is_authenticated", False):
        return learner_checklist(user)
    return cached_part(
        "learner-checklist",
        [user.pk, translation.get_language()],
        [f"person:{user.pk}", "site"],
        lambda: learner_checklist(user),
    )
