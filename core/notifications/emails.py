"""Emails about sessions, each with an iCalendar invitation or cancellation attached.

An email is rendered in its reader's own time zone (the zone is named in the
text) from three templates: ``notifications/email/<name>_subject.txt``,
``<name>.txt`` and ``<name>.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from core.accounts.language import speaking_to

from . import calendar, links


@dataclass(frozen=True)
class Invitation:
    """One ``.ics`` part: the session, the iTIP method and the SEQUENCE it carries."""

    session: object
    method: str
    sequence: int
    filename: str = "invite.ics"


def calendar_part(recipient, invitation: Invitation) -> MIMEText:
    """A ``text/calendar; method=...`` MIME part that mail clients offer to add to a calendar."""
    text = calendar.invitation(invitation.session, recipient, method=invitation.method, sequence=invitation.sequence)
    part = MIMEText(text, "calendar", "utf-8")
    part.set_param("method", invitation.method)
    part.add_header("Content-Disposition", "attachment", filename=invitation.filename)
    return part


def session_context(session, recipient) -> dict:
    return {
        "recipient": recipient,
        "session": session,
        "mentor": session.mentor,
        "when": links.when(session.starts_at, recipient, session.ends_at),
        "zone": links.zone_of(recipient).key,
        "join_url": links.absolute(links.room(session)),
        "page_url": links.absolute(links.session_page(session)),
        "dashboard_url": links.absolute(
            links.mentor_dashboard() if recipient.pk == session.mentor_id else links.learner_dashboard()
        ),
        "calendar_url": links.absolute("/calendar/"),
        "site_name": "PeerLearn",
    }


def send(name: str, recipient, context: dict, invitations: list[Invitation] | tuple = ()) -> int:
    """Render and send one email to ``recipient``; returns 1 when sent, 0 without an address."""
    if not recipient.email or not recipient.is_active:
        return 0
    with timezone.override(links.zone_of(recipient)), speaking_to(recipient):
        subject = render_to_string(f"notifications/email/{name}_subject.txt", context).strip()
        text = render_to_string(f"notifications/email/{name}.txt", context)
        html = render_to_string(f"notifications/email/{name}.html", context)
    subject = " ".join(subject.split())  # a header must be one line
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    message = EmailMultiAlternatives(
        subject=f"{prefix}{subject}", body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient.email]
    )
    message.attach_alternative(html, "text/html")
    for invitation in invitations:
        message.attach(calendar_part(recipient, invitation))
    return message.send()
