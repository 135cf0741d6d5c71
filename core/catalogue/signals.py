"""Keep the catalogue consistent with accounts and reviews."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from wagtail.search import index

from .models import MentorPage, Review


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="catalogue-delete-mentor-page")
def delete_mentor_page(sender, instance, **kwargs) -> None:
    """A deleted account takes its page with it, through Wagtail's tree-safe delete."""
    for page in MentorPage.objects.filter(user=instance):
        page.delete()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="catalogue-reindex-mentor")
def reindex_mentor_page(sender, instance, created, **kwargs) -> None:
    """Search finds mentors by name: re-index the live page when the account's name changes."""
    update_fields = kwargs.get("update_fields")
    if created or kwargs.get("raw") or (update_fields is not None and "display_name" not in update_fields):
        return
    page = MentorPage.objects.live().filter(user=instance).first()
    if page is not None:
        index.insert_or_update_object(page)


@receiver(post_delete, sender=Review, dispatch_uid="catalogue-review-deleted")
def review_deleted(sender, instance, **kwargs) -> None:
    """A deleted review leaves the average (the instance's status may be stale: always recompute)."""
    from .reviews import refresh_mentor_rating

    refresh_mentor_rating(instance.mentor_id)
