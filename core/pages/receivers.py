"""What makes visitors' cached pages stale (``core.pages.cache``): each change bumps the tags it touches.

Bumps wait for the transaction to commit, so a page rendered meanwhile cannot
be stored from the old rows under the new version.

* ``site`` (every page): publishing, unpublishing, moving or deleting a page;
  sites, skills, exchange rates, any site or generic setting
  (theme, policies), a person's public details.
* ``listings`` (every Wagtail page: search, home, topics, directories) and
  ``mentor:<id>``: availability, reviews, a mentor's sessions.
* ``session:<id>``, ``mentor:<id>`` and ``sessions`` (topic pages, the session
  list API): a booking that takes or frees a seat, a waitlist offer, a session
  created or changed.
* ``person:<id>`` (a signed-in person's cached parts, :func:`~.cache.cached_part`):
  their bookings and reviews, the sessions they mentor or hold a seat in, their
  interests and skills.
* ``taste:<id>`` (a person's kept recommendations): their interests, skills and
  reviews, with ``person:<id>``, but not their bookings (the seats they hold are
  left out of each answer as it is read).
* ``paths``: a learning-path model fitted.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from .cache import bump, bump_on_commit
from .live_parts import refresh_seats

#: A save of only these fields of a person changes nothing a visitor sees.
PRIVATE_USER_FIELDS = frozenset({"last_login", "password"})


def site_changed(sender, **kwargs) -> None:
    bump_on_commit("site")


def person_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= PRIVATE_USER_FIELDS:
        return
    bump_on_commit("site")


def mentor_schedule_changed(sender, instance, **kwargs) -> None:
    bump_on_commit(f"mentor:{instance.mentor_id}", "listings")


def review_changed(sender, instance, **kwargs) -> None:
    """The mentor's page shows it; the learner's dashboard stops inviting a rating."""
    learner = instance.learner_id
    bump_on_commit(f"mentor:{instance.mentor_id}", f"person:{learner}", f"taste:{learner}", "listings")


def session_saved(sender, instance, **kwargs) -> None:
    """Its page and lists; its mentor's parts and those of everyone holding a seat (started, moved, cancelled)."""
    from core.scheduling.models import Booking

    session_id, mentor = instance.pk, instance.mentor_id

    def stale() -> None:
        seats = Booking.objects.filter(session_id=session_id).values_list("learner_id", flat=True).distinct()
        learners = [f"person:{pk}" for pk in seats]
        refresh_seats([session_id])  # a new capacity
        bump(f"session:{session_id}", f"mentor:{mentor}", f"person:{mentor}", "sessions", "listings", *learners)

    transaction.on_commit(stale, robust=True)


def booking_saved(sender, instance, **kwargs) -> None:
    """The learner's parts; pages and lists keep showing the session, its seats live (``seats`` for filters)."""
    session_id, learner_id = instance.session_id, instance.learner_id

    def stale() -> None:
        refresh_seats([session_id])
        bump(f"person:{learner_id}", "seats")

    transaction.on_commit(stale, robust=True)


def waitlist_changed(sender, instance, **kwargs) -> None:
    """An offer holds a seat: the seats left of the session change."""
    session_id = instance.session_id

    def stale() -> None:
        refresh_seats([session_id])
        bump("seats")

    transaction.on_commit(stale, robust=True)


def person_skills_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    """Interests and taught skills: the person's learning path and recommendations (and, for skills, their
    public page)."""
    if not action.startswith("post_"):
        return
    people = (pk_set or set()) if reverse else {instance.pk}
    tags = [tag for pk in people for tag in (f"person:{pk}", f"taste:{pk}")]
    if sender is _user_skills_through():
        tags.append("site")
    bump_on_commit(*tags)


def _user_skills_through():
    return apps.get_model("accounts.User").skills.through


def model_fitted(sender, instance, **kwargs) -> None:
    bump_on_commit("paths")


def connect() -> None:
    """Called once from ``PagesConfig.ready``."""
    uid = "pages-cache-"
    page_published.connect(site_changed, dispatch_uid=uid + "published")
    page_unpublished.connect(site_changed, dispatch_uid=uid + "unpublished")
    post_page_move.connect(site_changed, dispatch_uid=uid + "moved")
    for model in apps.get_models():
        if issubclass(model, Page):  # published changes come through the signals above; deletions here
            post_delete.connect(site_changed, sender=model, dispatch_uid=f"{uid}delete-{model._meta.label}")
    everywhere = [
        "wagtailcore.Site",
        "taxonomy.Skill",
        "catalogue.ExchangeRate",
    ]
    models = [apps.get_model(label) for label in everywhere]
    models += [m for m in apps.get_models() if issubclass(m, BaseSiteSetting | BaseGenericSetting)]
    for model in models:
        post_save.connect(site_changed, sender=model, dispatch_uid=f"{uid}save-{model._meta.label}")
        post_delete.connect(site_changed, sender=model, dispatch_uid=f"{uid}delete-{model._meta.label}")
    user = apps.get_model("accounts.User")
    post_save.connect(person_saved, sender=user, dispatch_uid=uid + "user")
    for field in ("interests", "skills"):
        m2m_changed.connect(
            person_skills_changed, sender=getattr(user, field).through, dispatch_uid=f"{uid}user-{field}"
        )
    for signal in (post_save, post_delete):
        signal.connect(
            waitlist_changed, sender=apps.get_model("scheduling.WaitlistEntry"), dispatch_uid=uid + "waitlist"
        )
        signal.connect(
            model_fitted, sender=apps.get_model("analytics.PredictionModel"), dispatch_uid=uid + "prediction-model"
        )
    for label in ("scheduling.WeeklyRule", "scheduling.DateOverride", "scheduling.SchedulingProfile"):
        for signal in (post_save, post_delete):
            signal.connect(mentor_schedule_changed, sender=apps.get_model(label), dispatch_uid=f"{uid}{label}")
    for signal in (post_save, post_delete):
        signal.connect(review_changed, sender=apps.get_model("catalogue.Review"), dispatch_uid=uid + "review")
        signal.connect(session_saved, sender=apps.get_model("scheduling.Session"), dispatch_uid=uid + "session")
        signal.connect(booking_saved, sender=apps.get_model("scheduling.Booking"), dispatch_uid=uid + "booking")
