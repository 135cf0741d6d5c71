"""Invalidate the cached plugin configuration when an editor changes it."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .config import invalidate
from .models import PluginConfiguration


@receiver([post_save, post_delete], sender=PluginConfiguration)
def _configuration_changed(sender, instance: PluginConfiguration, **kwargs) -> None:
    invalidate(instance.site_id)
