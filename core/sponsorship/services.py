"""Campaigns: creating them (checked), choosing who may fill a sponsored slot, counting views and clicks.

Spend is counted per day under a row lock: a slot is only shown (and its
impression recorded) when the day's spend stays within the daily budget, so
concurrent views can never overspend. Price per day is charged on the day's
first impression; price per 1,000 impressions is charged per impression
(rounded up to whole minor units of the running total).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from core.scheduling.currency import MoneyError, normalise_currency, to_minor
from core.subscriptions.benefits import may_sponsor

from .errors import CampaignError, CampaignNotAllowed
from .models import Campaign, CampaignDay, SponsoredImpression

MAX_DAYS_AHEAD = 365
MAX_LENGTH_DAYS = 180


def _money(raw: Any, currency: str, field: str) -> int:
    if raw in (None, ""):
        raise CampaignError(gettext("Give an amount."), code="required", field=field)
    try:
        minor = to_minor(str(raw), currency)
    except MoneyError as exc:
        raise CampaignError(exc.message.replace("price", "amount"), code="bad_amount", field=field) from None
    if minor <= 0:
        raise CampaignError(gettext("The amount must be more than 0."), code="not_positive", field=field)
    return minor


def _date(raw: Any, field: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or ""))
    except ValueError:
        raise CampaignError(gettext("Give a date as YYYY-MM-DD."), code="bad_date", field=field) from None


def create_campaign(by, data: Mapping[str, Any], *, mentor=None) -> Campaign:
    """A campaign for ``mentor`` (default: ``by``) from raw input; refuses bad input and writes nothing.

    A mentor may run one for themselves while their plan allows sponsored
    placements; an editor (staff) may run one for any mentor.
    """
    from core.taxonomy.models import Skill

    mentor = mentor or by
    if not getattr(by, "is_staff", False):
        if mentor.pk != by.pk:
            raise CampaignNotAllowed(gettext("You can only sponsor yourself."), code="not_yours")
        if not may_sponsor(by):
            raise CampaignNotAllowed(
                gettext("Sponsored placements come with a premium plan that includes them."), code="no_plan"
            )
    if not getattr(mentor, "is_mentor", False):
        raise CampaignError(gettext("Only mentors can be sponsored."), code="not_a_mentor", field="mentor")
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        raise CampaignError(gettext("Give the campaign a name (up to 120 characters)."), code="required", field="name")
    try:
        currency = normalise_currency(str(data.get("currency") or "EUR"))
    except MoneyError as exc:
        raise CampaignError(exc.message, code="bad_currency", field="currency") from None
    pricing = str(data.get("pricing") or "")
    if pricing not in dict(Campaign.PRICING_CHOICES):
        raise CampaignError(gettext("Choose per_day or per_mille pricing."), code="bad_pricing", field="pricing")
    price = _money(data.get("price"), currency, "price")
    budget = _money(data.get("daily_budget"), currency, "daily_budget")
    if pricing == Campaign.PER_DAY and price > budget:
        raise CampaignError(
            gettext("A day costs more than the daily budget."), code="over_budget", field="daily_budget"
        )
    today = timezone.localdate()
    starts, ends = _date(data.get("starts_on"), "starts_on"), _date(data.get("ends_on"), "ends_on")
    if starts < today:
        raise CampaignError(gettext("The campaign cannot start in the past."), code="past_date", field="starts_on")
    if starts > today + timedelta(days=MAX_DAYS_AHEAD):
        raise CampaignError(
            gettext("Start within %(MAX_DAYS_AHEAD)s days.") % {"MAX_DAYS_AHEAD": MAX_DAYS_AHEAD},
            code="too_far",
            field="starts_on",
        )
    if ends < starts:
        raise CampaignError(gettext("The end is before the start."), code="reversed_dates", field="ends_on")
    if (ends - starts).days >= MAX_LENGTH_DAYS:
        raise CampaignError(
            gettext("A campaign runs at most %(MAX_LENGTH_DAYS)s days.") % {"MAX_LENGTH_DAYS": MAX_LENGTH_DAYS},
            code="too_long",
            field="ends_on",
        )
    slugs = [s for s in (data.get("skills") or []) if str(s).strip()]
    if isinstance(slugs, str):
        slugs = [s.strip() for s in slugs.split(",") if s.strip()]
    skills = list(Skill.objects.filter(slug__in=slugs))
    unknown = sorted(set(map(str, slugs)) - {s.slug for s in skills})
    if unknown:
        raise CampaignError(
            gettext("Unknown skill: %(join)s.") % {"join": ", ".join(unknown)}, code="unknown_skill", field="skills"
        )
    topics = str(data.get("topics") or "").strip()[:255]
    with transaction.atomic():
        campaign = Campaign.objects.create(
            mentor=mentor,
            name=name,
            topics=topics,
            starts_on=starts,
            ends_on=ends,
            pricing=pricing,
            price_minor=price,
            daily_budget_minor=budget,
            currency=currency,
            created_by=by,
        )
        campaign.skills.set(skills)
    return campaign


def running(today: date | None = None):
    """Active campaigns whose dates include ``today``."""
    today = today or timezone.localdate()
    return (
        Campaign.objects.filter(status=Campaign.ACTIVE, starts_on__lte=today, ends_on__gte=today)
        .select_related("mentor", "created_by")
        .prefetch_related("skills")
    )


def allowed(campaign: Campaign) -> bool:
    """Made by an editor, or the mentor's plan still includes sponsored placements."""
    if campaign.created_by is not None and campaign.created_by.is_staff:
        return True
    return may_sponsor(campaign.mentor)


def targets(campaign: Campaign, skill_slugs: set[str], categories: set[str]) -> bool:
    """An untargeted campaign fits anywhere; a targeted one needs a shared skill or topic."""
    wanted_skills = {s.slug for s in campaign.skills.all()}
    wanted_topics = set(campaign.topic_list)
    if not wanted_skills and not wanted_topics:
        return True
    return bool(wanted_skills & skill_slugs) or bool(wanted_topics & {c.lower() for c in categories})


#: The tag of :func:`any_running`'s kept answer (``core.pages.cache``): bumped when a campaign is saved or deleted.
CAMPAIGNS_TAG = "campaigns"


def any_running(today: date | None = None) -> bool:
    """Whether any campaign runs today: kept per day until a campaign changes, so pages skip the slot step when none do.

    Most sites run no campaign most days; without this, every recommendation
    block and search page paid three queries to find that out.
    """
    from core.pages.cache import cached_part

    today = today or timezone.localdate()
    return cached_part(
        "campaigns-running", [today.isoformat()], [CAMPAIGNS_TAG], lambda: running(today).exists(), in_process=True
    )


def candidates(skill_slugs: set[str], categories: set[str], exclude_user_ids: Iterable[int]) -> list[Campaign]:
    """Running, allowed, targeted campaigns, least shown today first (one per mentor)."""
    today = timezone.localdate()
    if not any_running(today):
        return []
    excluded = set(exclude_user_ids)
    shown = dict(CampaignDay.objects.filter(day=today).values_list("campaign_id", "impressions"))
    chosen: dict[int, Campaign] = {}
    for campaign in sorted(running(today), key=lambda c: (shown.get(c.pk, 0), c.pk)):
        if campaign.mentor_id in excluded or campaign.mentor_id in chosen:
            continue
        if allowed(campaign) and targets(campaign, skill_slugs, categories):
            chosen[campaign.mentor_id] = campaign
    return list(chosen.values())


def _cost_after(campaign: Campaign, day: CampaignDay) -> int:
    """The day's spend once one more impression is shown."""
    if campaign.pricing == Campaign.PER_DAY:
        return campaign.price_minor
    return -(-(day.impressions + 1) * campaign.price_minor // 1000)  # ceil


def record_impression(campaign: Campaign, *, surface: str, viewer=None, position: int = 0) -> uuid.UUID | None:
    """Count one view of a sponsored slot; ``None`` (not shown) when the daily budget is spent."""
    today = timezone.localdate()
    with transaction.atomic():
        try:
            with transaction.atomic():
                CampaignDay.objects.get_or_create(campaign=campaign, day=today)
        except IntegrityError:
            pass
        day = CampaignDay.objects.select_for_update().get(campaign=campaign, day=today)
        spend = _cost_after(campaign, day)
        if spend > campaign.daily_budget_minor:
            return None
        CampaignDay.objects.filter(pk=day.pk).update(impressions=F("impressions") + 1, spend_minor=spend)
        impression = SponsoredImpression.objects.create(
            campaign=campaign,
            surface=surface[:32],
            viewer=viewer if getattr(viewer, "is_authenticated", False) else None,
            position=position,
        )
    return impression.impression_id


def record_click(impression_id: uuid.UUID) -> SponsoredImpression | None:
    """Count a click once per impression; returns the impression (``None`` if unknown)."""
    with transaction.atomic():
        impression = (
            SponsoredImpression.objects.select_for_update()
            .select_related("campaign")
            .filter(impression_id=impression_id)
            .first()
        )
        if impression is None:
            return None
        if impression.clicked_at is None:
            impression.clicked_at = timezone.now()
            impression.save(update_fields=["clicked_at"])
            CampaignDay.objects.filter(
                campaign=impression.campaign, day=timezone.localdate(impression.shown_at)
            ).update(clicks=F("clicks") + 1)
    return impression


@dataclass(frozen=True)
class Report:
    campaign: Campaign
    days: list[CampaignDay]
    impressions: int
    clicks: int
    spend_minor: int

    @property
    def click_rate(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0


def report(campaign: Campaign) -> Report:
    days = list(campaign.days.all())
    return Report(
        campaign,
        days,
        sum(d.impressions for d in days),
        sum(d.clicks for d in days),
        sum(d.spend_minor for d in days),
    )
