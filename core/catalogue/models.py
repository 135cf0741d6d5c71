"""The catalogue as Wagtail pages: mentors, topics and the skills directory.

A mentor's public profile is a ``MentorPage`` under the ``MentorIndexPage``. Mentors edit it from the
site; each save is a new revision that goes through the moderation workflow, so the live page always
shows the last version an editor approved. Ratings are derived data (from approved reviews) and are
never taken from a revision: see ``MentorPage.with_content_json``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from core.accounts.validators import validate_language_codes


def default_currency() -> str:
    """The currency a new mentor page starts with (setting ``PEERLEARN_DEFAULT_CURRENCY``, else USD)."""
    return getattr(settings, "PEERLEARN_DEFAULT_CURRENCY", "USD")


def validate_currency(value: str) -> None:
    """Only active ISO 4217 codes, written in capitals, are prices' currencies."""
    from core.scheduling.currency import MINOR_UNITS

    if value not in MINOR_UNITS:
        raise ValidationError(
            "“%(value)s” is not an ISO 4217 currency code (e.g. USD, EUR, INR).",
            code="invalid_currency",
            params={"value": value},
        )


class BioBlock(blocks.StreamBlock):
    """What a mentor's bio is made of: plain paragraphs from the site form, richer blocks from editors."""

    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"], icon="pilcrow")
    heading = blocks.CharBlock(max_length=120, icon="title", template="catalogue/blocks/heading.html")
    quote = blocks.BlockQuoteBlock(icon="openquote")


class MentorIndexPage(Page):
    """The mentor search page (``/mentors/``): its children are the mentors' pages."""

    intro = models.TextField(blank=True, help_text=_("Shown above the search form"))
    per_page = models.PositiveSmallIntegerField(default=12, validators=[MinValueValidator(1), MaxValueValidator(100)])

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("per_page")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    subpage_types = ["catalogue.MentorPage"]
    template = "catalogue/mentor_index_page.html"

    class Meta:
        verbose_name = _("mentor index page")

    def get_context(self, request, *args, **kwargs):
        from .views import search_context

        context = super().get_context(request, *args, **kwargs)
        context.update(search_context(request, index_page=self))
        return context

    def serve(self, request, *args, **kwargs):
        from core.sponsorship.placement import mark_uncacheable

        from .views import remember_price_currency

        response = remember_price_currency(request, super().serve(request, *args, **kwargs))
        placed = (getattr(response, "context_data", None) or {}).get("placed") or []
        return mark_uncacheable(response, placed)


class MentorPage(Page):
    """One mentor's public profile, owned by that mentor's account."""

    # Nullable only for Wagtail's tree: deleting an account deletes its page first (see signals).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="mentor_page",
        help_text=_("The mentor this page presents; time zone and display name come from the account"),
    )
    headline = models.CharField(max_length=140, blank=True, help_text=_("One line: what you teach and to whom"))
    bio = StreamField(BioBlock(), blank=True, use_json_field=True)
    skills = ParentalManyToManyField("taxonomy.Skill", blank=True, related_name="mentor_pages")
    languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_("ISO 639-1 codes, e.g. ['en', 'hi']"),
    )
    hourly_rate_minor = models.PositiveIntegerField(
        default=0, help_text=_("Price of one hour in the currency's minor unit (cents, paise...); 0 = not priced yet")
    )
    currency = models.CharField(max_length=3, default=default_currency, validators=[validate_currency])
    photo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.00"), editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)

    content_panels = Page.content_panels + [
        FieldPanel("user"),
        FieldPanel("headline"),
        FieldPanel("photo"),
        FieldPanel("bio"),
        FieldPanel("skills"),
        FieldPanel("languages"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("hourly_rate_minor"), FieldPanel("currency")])],
            heading=gettext_lazy("Hourly rate"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("headline", boost=2),
        index.SearchField("bio"),
        index.AutocompleteField("headline"),
        index.RelatedFields("skills", [index.SearchField("name", boost=2), index.AutocompleteField("name")]),
        index.RelatedFields(
            "user", [index.SearchField("display_name", boost=3), index.AutocompleteField("display_name")]
        ),
        index.FilterField("hourly_rate_minor"),
        index.FilterField("currency"),
        index.FilterField("rating_average"),
        index.FilterField("user"),
    ]

    parent_page_types = ["catalogue.MentorIndexPage"]
    subpage_types: list[str] = []
    template = "catalogue/mentor_page.html"

    # Fields a revision must never bring back: ratings follow approved reviews, which change
    # the live row directly, so publishing an older draft must not restore an older rating.
    DERIVED_FIELDS = ("rating_average", "rating_count")

    class Meta:
        verbose_name = _("mentor page")

    def with_content_json(self, content):
        obj = super().with_content_json(content)
        for name in self.DERIVED_FIELDS:
            setattr(obj, name, getattr(self, name))
        return obj

    @property
    def display_name(self) -> str:
        return self.user.display_name or self.title

    @property
    def time_zone(self) -> str:
        return self.user.time_zone

    @property
    def hourly_rate_label(self) -> str:
        from .services import rate_label

        return rate_label(self.hourly_rate_minor, self.currency)

    def get_context(self, request, *args, **kwargs):
        from core.pages.cache import cache_page_for_visitors

        from .reviews import approved_reviews
        from .services import upcoming_sessions

        context = super().get_context(request, *args, **kwargs)
        cache_page_for_visitors(request, f"mentor:{self.user_id}")
        context["upcoming_sessions"] = upcoming_sessions(mentor_ids=[self.user_id], limit=10)
        context["reviews"] = approved_reviews(self.user_id)[:20]
        context["is_owner"] = request.user.is_authenticated and request.user.pk == self.user_id
        return context


class TopicPage(Page):
    """A subject (a course, a track): the live mentors and upcoming sessions that teach its skills."""

    intro = models.TextField(blank=True)
    body = StreamField(BioBlock(), blank=True, use_json_field=True)
    skills = ParentalManyToManyField("taxonomy.Skill", blank=True, related_name="topic_pages")
    mentors_shown = models.PositiveSmallIntegerField(default=12, validators=[MaxValueValidator(100)])
    sessions_shown = models.PositiveSmallIntegerField(default=10, validators=[MaxValueValidator(100)])

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("skills"),
        FieldPanel("body"),
        FieldRowPanel([FieldPanel("mentors_shown"), FieldPanel("sessions_shown")]),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.RelatedFields("skills", [index.SearchField("name")]),
    ]
    template = "catalogue/topic_page.html"

    class Meta:
        verbose_name = _("topic page")

    def get_context(self, request, *args, **kwargs):
        from core.pages.cache import cache_page_for_visitors

        from .services import mentors_with_skills, upcoming_sessions

        context = super().get_context(request, *args, **kwargs)
        cache_page_for_visitors(request, "sessions")
        skill_ids = list(self.skills.values_list("id", flat=True))
        context["topic_skills"] = list(self.skills.all())
        context["mentors"] = mentors_with_skills(skill_ids)[: self.mentors_shown] if skill_ids else []
        context["upcoming_sessions"] = (
            upcoming_sessions(skill_ids=skill_ids, limit=self.sessions_shown) if skill_ids else []
        )
        return context


class SkillsDirectoryPage(Page):
    """Every skill, by category, with how many live mentors teach it."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    max_count = 1
    subpage_types: list[str] = []
    template = "catalogue/skills_directory_page.html"

    class Meta:
        verbose_name = _("skills directory page")

    def get_context(self, request, *args, **kwargs):
        from .services import live_topics, skills_by_category

        context = super().get_context(request, *args, **kwargs)
        context["categories"] = skills_by_category()
        context["topics"] = live_topics()
        return context


class Review(models.Model):
    """A learner's rating of a completed booking: one per booking, shown once an editor approves it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    STATUS_CHOICES = [
        (PENDING, gettext_lazy("Pending")),
        (APPROVED, gettext_lazy("Approved")),
        (REJECTED, gettext_lazy("Rejected")),
    ]

    booking = models.OneToOneField("scheduling.Booking", on_delete=models.CASCADE, related_name="review")
    # Copied from the booking so ratings aggregate per mentor with one indexed query.
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_given")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING, db_index=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    moderated_at = models.DateTimeField(null=True, blank=True, editable=False)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    moderation_note = models.CharField(
        max_length=255, blank=True, help_text=_("Why it was rejected (shown to the learner), or an internal note")
    )

    panels = [
        FieldPanel("rating", read_only=True),
        FieldPanel("comment", read_only=True),
        FieldPanel("status", widget=forms.RadioSelect),
        FieldPanel("moderation_note"),
    ]

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["mentor", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.mentor} by {self.learner} ({self.status})"

    @property
    def author_name(self) -> str:
        """How the learner is named publicly: first name and initial of the last ("Ana S.")."""
        parts = (self.learner.display_name or "A learner").split()
        return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else parts[0]


class ExchangeRate(models.Model):
    """What one unit of the reference currency (``PEERLEARN_DEFAULT_CURRENCY``) is worth in another currency.

    Editors keep these in the admin; the mentor search uses them to compare prices across currencies
    ("max 50 EUR" also finds an 800 INR mentor). Money itself is never converted: bookings are paid in
    the mentor's own currency.
    """

    currency = models.CharField(max_length=3, unique=True, validators=[validate_currency])
    per_reference = models.DecimalField(
        _("units per reference unit"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_(
            "How many units of this currency one unit of the site's reference currency buys "
            "(for a USD reference: EUR 0.92, INR 84.10, JPY 150)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [FieldPanel("currency"), FieldPanel("per_reference")]

    class Meta:
        ordering = ["currency"]
        verbose_name = _("exchange rate")

    def __str__(self) -> str:
        return f"1 {default_currency()} = {self.per_reference.normalize():f} {self.currency}"

    def clean(self) -> None:
        self.currency = (self.currency or "").strip().upper()
        if self.currency == default_currency():
            raise ValidationError({"currency": "The reference currency is always worth 1: it needs no rate."})
