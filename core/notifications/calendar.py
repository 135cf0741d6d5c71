"""Calendar events of sessions: invitation attachments and the private per-user feed.

One session is one calendar event everywhere (emails and feeds) with the UID
``session-<id>@<domain>``; its SEQUENCE lives in :class:`CalendarSequence` and
is increased on every change a calendar has to apply over an older copy.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from core.accounts.language import speaking_to
from core.scheduling.models import Booking, Session

from . import ical, links
from .models import CalendarFeed, CalendarSequence, new_feed_token

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=366)
FEED_REFRESH = timedelta(minutes=30)
FEED_ALARM = timedelta(minutes=15)


# --- identity -----------------------------------------------------------------
def uid_domain() -> str:
    """The right-hand side of event UIDs; keep it fixed for a deployment."""
    configured = getattr(settings, "PEERLEARN_CALENDAR_UID_DOMAIN", "")
    if configured:
        return configured
    host = urlsplit(links.base_url()).hostname
    return host or "peerlearn.local"


def session_uid(session_id: int) -> str:
    return f"session-{session_id}@{uid_domain()}"


def organizer_for(session: Session) -> ical.Person:
    """The site's sender address, named after the mentor: no one's private email leaks."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = gettext("%(mentor)s via PeerLearn") % {"mentor": session.mentor}
    return ical.Person(name=name, email=address or "no-reply@peerlearn.local")


# --- sequence -----------------------------------------------------------------
def current_sequence(session_id: int) -> int:
    return CalendarSequence.objects.filter(session_id=session_id).values_list("sequence", flat=True).first() or 0


def bump_sequence(session_id: int) -> int:
    """Increase the session's SEQUENCE by one, atomically, and return the new value.

    One upsert statement (PostgreSQL and SQLite both have ``ON CONFLICT ... RETURNING``), not a
    locked read, an update and a read back in a transaction: every booking and cancellation
    calls this.
    """
    table = connection.ops.quote_name(CalendarSequence._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (session_id, sequence, updated) VALUES (%s, 1, %s)"  # noqa: S608 - our table name
            f" ON CONFLICT (session_id) DO UPDATE SET sequence = {table}.sequence + 1, updated = excluded.updated"
            " RETURNING sequence",
            [session_id, now],
        )
        return cursor.fetchone()[0]


# --- events -------------------------------------------------------------------
def session_event(
    session: Session,
    *,
    recipient=None,
    sequence: int | None = None,
    status: str = ical.STATUS_CONFIRMED,
    root: str | None = None,
    alarm: bool = False,
) -> ical.CalendarEvent:
    """The calendar event of ``session`` as ``recipient`` should see it."""
    root = root or links.base_url()
    room = urljoin(root, session.room_url.lstrip("/"))
    page = urljoin(root, links.session_page(session).lstrip("/"))
    is_mentor = recipient is not None and recipient.pk == session.mentor_id
    lines = [gettext("You are the mentor") if is_mentor else gettext("With %(mentor)s") % {"mentor": session.mentor}]
    if session.description:
        lines += ["", session.description]
    lines += ["", gettext("Join: %(url)s") % {"url": room}, gettext("Details: %(url)s") % {"url": page}]
    attendees: tuple[ical.Person, ...] = ()
    if recipient is not None and recipient.email:
        attendees = (ical.Person(name=str(recipient), email=recipient.email),)
    return ical.CalendarEvent(
        uid=session_uid(session.pk),
        start=session.starts_at,
        end=session.ends_at,
        summary=session.title,
        description="\n".join(lines),
        url=page,
        location=room,
        sequence=current_sequence(session.pk) if sequence is None else sequence,
        status=status,
        organizer=organizer_for(session),
        attendees=attendees,
        last_modified=session.updated_at,
        alarm_before=FEED_ALARM if alarm else None,
    )


def invitation(session: Session, recipient, *, method: str, sequence: int | None = None) -> str:
    """A METHOD:REQUEST or METHOD:CANCEL calendar for one email recipient, in their language."""
    with speaking_to(recipient):
        event = session_event(session, recipient=recipient, sequence=sequence)
    return ical.render_calendar([event], method=method)


# --- the private feed ---------------------------------------------------------
def feed_of(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def regenerate_feed(user) -> CalendarFeed:
    """Create the user's feed, or replace its token so the old address stops working."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = new_feed_token()
        feed.created = timezone.now()
        feed.last_fetched = None
        feed.save(update_fields=["token", "created", "last_fetched"])
    return feed


def revoke_feed(user) -> bool:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def user_for_token(token: str):
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched=timezone.now())
    return feed.user


def feed_sessions(user, now=None) -> list[tuple[Session, str]]:
    """The sessions of ``user``'s feed with their event status, by start.

    Recent and upcoming sessions the user mentors, or holds a seat in (a
    pending payment shows as tentative). Cancelled ones are left out: a
    subscribed calendar then drops them.
    """
    now = now or timezone.now()
    window = Q(starts_at__gte=now - FEED_PAST, starts_at__lte=now + FEED_FUTURE)
    found: dict[int, tuple[Session, str]] = {}
    mentored = Session.objects.filter(window, mentor=user).exclude(status=Session.CANCELLED).select_related("mentor")
    for session in mentored:
        found[session.pk] = (session, ical.STATUS_CONFIRMED)
    bookings = (
        Booking.objects.filter(
            learner=user,
            status__in=[Booking.PENDING_PAYMENT, Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW],
            session__starts_at__gte=now - FEED_PAST,
            session__starts_at__lte=now + FEED_FUTURE,
        )
        .exclude(session__status=Session.CANCELLED)
        .select_related("session", "session__mentor")
    )
    for booking in bookings:
        status = ical.STATUS_TENTATIVE if booking.status == Booking.PENDING_PAYMENT else ical.STATUS_CONFIRMED
        current = found.get(booking.session_id)
        if current is None or current[1] == ical.STATUS_TENTATIVE:
            found[booking.session_id] = (booking.session, status)
    return sorted(found.values(), key=lambda item: (item[0].starts_at, item[0].pk))


def render_feed(user, *, root: str | None = None) -> str:
    """The whole subscription feed of ``user`` (METHOD:PUBLISH), in their language."""
    with speaking_to(user):
        return _render_feed(user, root=root)


def _render_feed(user, *, root: str | None = None) -> str:
    root = root or links.base_url()
    items = feed_sessions(user)
    sequences = dict(
        CalendarSequence.objects.filter(session_id__in=[s.pk for s, _ in items]).values_list("session_id", "sequence")
    )
    events = [
        session_event(
            session, recipient=user, sequence=sequences.get(session.pk, 0), status=status, root=root, alarm=True
        )
        for session, status in items
    ]
    name = gettext("PeerLearn sessions")
    return ical.render_calendar(events, method=ical.METHOD_PUBLISH, name=name, refresh=FEED_REFRESH)
