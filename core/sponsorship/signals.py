"""Clicks reported through the recommendation feedback API count for sponsored slots too (once per impression);
a saved or deleted campaign makes the kept "any campaign running today?" answer stale."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.pages.cache import bump_on_commit
from core.recommendations.models import RecommendationEvent

from .models import Campaign
from .services import CAMPAIGNS_TAG


@receiver(post_save, sender=Campaign, dispatch_uid="sponsorship-campaign-saved")
@receiver(post_delete, sender=Campaign, dispatch_uid="sponsorship-campaign-deleted")
def campaigns_changed(sender, **kwargs) -> None:
    bump_on_commit(CAMPAIGNS_TAG)


@receiver(post_save, sender=RecommendationEvent, dispatch_uid="sponsorship-click-feedback")
def count_sponsored_click(sender, instance: RecommendationEvent, created: bool, **kwargs) -> None:
    if created and instance.kind == RecommendationEvent.CLICK:
        from .services import record_click

        record_click(instance.impression_id)
