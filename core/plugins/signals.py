"""Signals of the plugin host, and the receiver that keeps plugin configuration caches fresh.

* ``domain_event_emitted(sender=DomainEvent, event, delivered_to)``: a domain
  event was handed to the plugins' ``peerlearn_event`` listeners, after the
  transaction that caused it committed. ``delivered_to`` names the plugins whose
  listener ran without failing (empty when none listens). It is for the core's
  own apps (analytics); plugins hear events through their hook, so it is not
  part of the public ``core.plugins`` API (this module imports the models).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .config import invalidate
from .models import PluginConfiguration

domain_event_emitted = Signal()


@receiver([post_save, post_delete], sender=PluginConfiguration)
def _configuration_changed(sender, instance: PluginConfiguration, **kwargs) -> None:
    """Invalidate the cached plugin configuration when an editor changes it."""
    invalidate(instance.site_id)
