"""Clicks reported through the recommendation feedback API count for sponsored slots too (once per impression)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from core.recommendations.models import RecommendationEvent


@receiver(post_save, sender=RecommendationEvent, dispatch_uid="sponsorship-click-feedback")
def count_sponsored_click(sender, instance: RecommendationEvent, created: bool, **kwargs) -> None:
    if created and instance.kind == RecommendationEvent.CLICK:
        from .services import record_click

        record_click(instance.impression_id)
