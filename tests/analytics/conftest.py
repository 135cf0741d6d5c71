"""Fixtures of the analytics tests: events, sessions, bookings and ledger entries at chosen times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def at(day: str, hhmm: str = "12:00") -> datetime:
    """``at("2026-03-02", "10:00")`` -> an aware UTC datetime."""
    return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=UTC)


@pytest.fixture
def log_event(db):
    """Write one event now, at a chosen time (``at=``), bypassing the buffer."""
    from core.analytics.services.events import build

    def make(name: str, when: datetime, **data):
        event = build(name, occurred_at=when, **data)
        event.save()
        return event

    return make


@pytest.fixture
def skills(db):
    from core.taxonomy.models import Skill

    return {
        "python": Skill.objects.create(name="Python"),
        "sql": Skill.objects.create(name="SQL"),
        "guitar": Skill.objects.create(name="Guitar"),
    }


@pytest.fixture
def mentor(user_factory):
    return user_factory(is_mentor=True, display_name="Mentor Grace", time_zone="UTC")


@pytest.fixture
def make_session(mentor):
    """A session row at a chosen time (no services: no signals, no events)."""
    from core.scheduling.models import Session

    def make(start: datetime, minutes: int = 60, *, skills=(), who=None, price_minor: int = 0, currency="EUR", **kw):
        session = Session.objects.create(
            mentor=who or mentor,
            title=kw.pop("title", "Session"),
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            price_minor=price_minor,
            currency=currency,
            created_at=kw.pop("created_at", start - timedelta(days=3)),
            **kw,
        )
        session.skills.set(list(skills))
        return session

    return make


@pytest.fixture
def make_booking():
    from core.scheduling.models import Booking

    def make(session, learner, status="confirmed", **kw):
        return Booking.objects.create(
            session=session,
            learner=learner,
            status=status,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            price_minor=session.price_minor,
            currency=session.currency,
            created_at=kw.pop("created_at", session.starts_at - timedelta(days=2)),
            **kw,
        )

    return make


@pytest.fixture
def ledger():
    from core.payments.models import LedgerEntry

    def make(kind: str, amount: int, currency: str, when: datetime, booking=None):
        return LedgerEntry.objects.create(
            kind=kind, amount_minor=amount, currency=currency, created_at=when, booking=booking
        )

    return make


@pytest.fixture
def mentor_page(db):
    """A live mentor page for ``user`` under a live mentor index (what catalogue search and pricing read)."""
    from wagtail.models import Site

    from core.catalogue.models import MentorIndexPage, MentorPage

    root = Site.objects.get(is_default_site=True).root_page
    index = MentorIndexPage(title="Mentors", slug="mentors")
    root.add_child(instance=index)

    def make(user, *, skills=(), rate: int = 0, currency: str = "EUR"):
        page = MentorPage(
            title=user.display_name, slug=f"mentor-{user.pk}", user=user, hourly_rate_minor=rate, currency=currency
        )
        page.skills = list(skills)
        index.add_child(instance=page)
        return page

    return make
