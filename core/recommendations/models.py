"""Fitted recommender models, the ranking settings of a site, and the feedback log."""

from __future__ import annotations

import math
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .panels import DeclaredFamilyWeightsPanel
from .ranker import Weights
from .weight_forms import RecommendationSettingsForm


class RecommenderModel(models.Model):
    """The stored, fitted state of one recommender for one site.

    The blob lives in the default file storage (shared by every process, or a
    bucket in a multi-host deployment); processes load it when ``fitted_at``
    changes. A failed refit keeps the previous blob and records the error.
    """

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="recommender_models")
    key = models.CharField(max_length=64, help_text=_("The recommender's key, unique across plugins."))
    plugin = models.CharField(max_length=100, help_text=_("The plugin (entry-point name) that provides it."))
    family = models.CharField(max_length=20)
    label = models.CharField(max_length=200, blank=True)
    blob = models.FileField(upload_to="recommenders/", max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    fitted_at = models.DateTimeField(null=True, blank=True)
    fit_seconds = models.FloatField(default=0.0)
    n_interactions = models.PositiveIntegerField(default=0)
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    data_from = models.DateTimeField(null=True, blank=True, help_text=_("Oldest interaction it was fitted on."))
    data_to = models.DateTimeField(null=True, blank=True, help_text=_("Newest interaction it was fitted on."))
    config = models.JSONField(default=dict, blank=True, help_text=_("The plugin settings it was fitted with."))
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["site", "family", "key"]
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="recommendermodel_one_per_site_key")]
        verbose_name = _("fitted recommender")

    def __str__(self) -> str:
        return f"{self.key} ({self.site})"

    @property
    def is_fitted(self) -> bool:
        return bool(self.blob) and self.fitted_at is not None


def _weight_field(default: float, family: str) -> models.FloatField:
    return models.FloatField(
        default=default,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
        help_text=f"Blend weight of the {family} recommenders (only the ratios between weights matter).",
    )


@register_setting(icon="pick")
class RecommendationSettings(BaseSiteSetting):
    """How a site blends, filters, diversifies and explores its recommendations."""

    weight_content = _weight_field(0.4, "content")
    weight_collaborative = _weight_field(0.3, "collaborative")
    weight_popularity = _weight_field(0.2, "popularity")
    weight_trending = _weight_field(0.1, "trending")
    family_weights = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Blend weights of the families recommender plugins declare, by family name. "
            "A family whose plugin is disabled or removed keeps its weight here for when it returns."
        ),
    )
    diversity_lambda = models.FloatField(
        _("MMR relevance weight (lambda)"),
        default=0.7,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("1 keeps the blended order; lower values trade relevance for variety among the top items."),
    )
    exploration_share = models.FloatField(
        default=0.1,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text=_("Share of each list given to new mentors and their sessions (0 turns exploration off)."),
    )
    new_mentor_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A mentor counts as new for this many days after their page is first published."),
    )
    availability_horizon_days = models.PositiveIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A mentor is recommended only with free time within this many days."),
    )
    dismiss_days = models.PositiveIntegerField(
        default=90,
        validators=[MaxValueValidator(3650)],
        help_text=_("An item a learner dismissed stays out of their lists this many days."),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("weight_content"), FieldPanel("weight_collaborative")]),
                FieldRowPanel([FieldPanel("weight_popularity"), FieldPanel("weight_trending")]),
            ],
            heading=gettext_lazy("Blend weights"),
        ),
        DeclaredFamilyWeightsPanel(
            heading=gettext_lazy("Blend weights of families declared by plugins"),
            help_text=_("Families that enabled recommender plugins add; only the ratios between all weights matter."),
        ),
        MultiFieldPanel(
            [FieldPanel("diversity_lambda"), FieldPanel("exploration_share"), FieldPanel("new_mentor_days")],
            heading=gettext_lazy("Diversity and exploration"),
        ),
        MultiFieldPanel(
            [FieldPanel("availability_horizon_days"), FieldPanel("dismiss_days")], heading=gettext_lazy("Filtering")
        ),
    ]

    base_form_class = RecommendationSettingsForm

    class Meta:
        verbose_name = _("recommendations")

    @property
    def weights(self) -> Weights:
        """The built-in families' weights (``declared_weights`` adds the site's declared families)."""
        return Weights(
            content=self.weight_content,
            collaborative=self.weight_collaborative,
            popularity=self.weight_popularity,
            trending=self.weight_trending,
        )

    def declared_weights(self) -> Weights:
        """Every family's weight on this site: built-in ones and those of its enabled plugins."""
        from . import families

        return families.site_weights(self.weights, self.family_weights, self.site_id)

    def clean(self) -> None:
        super().clean()
        values = [self.weight_content, self.weight_collaborative, self.weight_popularity, self.weight_trending]
        if any(v is None or not math.isfinite(v) for v in values):
            return  # the fields report their own errors
        if not isinstance(self.family_weights, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100 and math.isfinite(v)
            for v in self.family_weights.values()
        ):
            raise ValidationError({"family_weights": "Each family weight must be a number from 0 to 100."})
        if sum(values) + sum(self.family_weights.values()) <= 0:
            raise ValidationError({"weight_content": gettext_lazy("At least one blend weight must be above zero.")})


class RecommendationEvent(models.Model):
    """What a user did with a recommended (or any catalogue) item: the interaction log.

    The API hands out an ``impression_id`` with every recommended item; the
    client reports what happened to it. One event per impression and kind, so
    replays are harmless. Clicks, views and bookings feed the implicit models;
    a dismissal hides the item and is a negative signal.
    """

    IMPRESSION = "impression"
    CLICK = "click"
    DISMISS = "dismiss"
    BOOK = "book"
    VIEW = "view"
    KIND_CHOICES = [
        (IMPRESSION, gettext_lazy("Shown")),
        (CLICK, gettext_lazy("Clicked")),
        (DISMISS, gettext_lazy("Dismissed")),
        (BOOK, gettext_lazy("Booked")),
        (VIEW, gettext_lazy("Viewed")),
    ]

    impression_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendation_events")
    item = models.CharField(max_length=64, help_text=_('Item key, e.g. "mentor:12" or "session:7".'))
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    surface = models.CharField(max_length=32, blank=True, help_text=_("Where it was shown: home, dashboard, api..."))
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    site = models.ForeignKey("wagtailcore.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    experiment = models.ForeignKey(
        "recommendations.Experiment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        help_text=_("The A/B experiment the user was in when this happened."),
    )
    variant = models.CharField(
        max_length=64, blank=True, help_text=_('The variant of that experiment ("control" outside the split).')
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["impression_id", "kind"], name="recommendationevent_once_per_impression")
        ]
        indexes = [
            models.Index(fields=["user", "kind", "created_at"]),
            models.Index(fields=["item", "kind"]),
            models.Index(fields=["experiment", "kind"]),
        ]
        verbose_name = _("recommendation event")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.item}"


CONTROL = "control"


class Experiment(ClusterableModel):
    """An A/B test of ranking: variants with a traffic share each; everyone else is the control.

    Users are assigned by a hash of the experiment id and their user id, so a
    person keeps their variant on every request and every process. At most
    one experiment per site is active at a time.
    """

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="recommendation_experiments")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text=_("What is being tried, and why."))
    active = models.BooleanField(
        default=False, help_text=_("Assign users and log their events now (one active experiment per site).")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"], condition=models.Q(active=True), name="experiment_one_active_per_site"
            )
        ]
        verbose_name = _("recommendation experiment")

    def __str__(self) -> str:
        return f"{self.name} ({'active' if self.active else 'stopped'})"


class ExperimentVariant(models.Model):
    """One arm of an experiment: a traffic share, and blend weights and/or the recommenders it uses."""

    experiment = ParentalKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    sort_order = models.PositiveIntegerField(default=0, editable=False)
    name = models.CharField(max_length=64)
    traffic_share = models.FloatField(
        _("traffic share (%)"),
        validators=[MinValueValidator(0.01), MaxValueValidator(100.0)],
        help_text=_("Percent of users in this variant; the shares of all variants add up to 100 at most."),
    )
    weight_content = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    weight_collaborative = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    weight_popularity = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    weight_trending = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    family_weights = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Weights of families declared by plugins, by name (part of the weight set)."),
    )
    recommenders = models.CharField(
        _("enabled recommenders"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated recommender keys (see Recommender models); empty: all enabled ones."),
    )

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="experimentvariant_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.traffic_share:g} %)"

    @property
    def declared_weight_values(self) -> dict[str, float | None]:
        """The weights this variant gives families declared by plugins (entries left empty are ``None``)."""
        stored = self.family_weights if isinstance(self.family_weights, dict) else {}
        return {str(k): v for k, v in stored.items()}

    @property
    def weight_values(self) -> list[float | None]:
        builtin = [self.weight_content, self.weight_collaborative, self.weight_popularity, self.weight_trending]
        return builtin + list(self.declared_weight_values.values())

    @property
    def weights(self) -> Weights | None:
        """The variant's weight set, or ``None`` when it uses the site's; a family it leaves empty weighs 0."""
        values = self.weight_values
        if all(v is None for v in values):
            return None
        c, co, p, t = (float(v or 0.0) for v in values[:4])
        declared = {k: float(v) for k, v in self.declared_weight_values.items() if v is not None}
        return Weights(content=c, collaborative=co, popularity=p, trending=t, declared=declared)

    @property
    def recommender_keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.recommenders.split(",") if k.strip())

    def clean(self) -> None:
        super().clean()
        from .experiments import variant_errors

        errors = variant_errors(self.name, self.weight_values, self.recommender_keys)
        if errors:
            raise ValidationError(errors)
