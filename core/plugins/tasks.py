from celery import shared_task
from django.conf import settings

from .models import PluginError


@shared_task
def prune_plugin_errors() -> int:
    """Keep only the newest ERRORS_KEPT failures per plugin."""
    kept = settings.PEERLEARN_PLUGINS["ERRORS_KEPT"]
    removed = 0
    for plugin in PluginError.objects.values_list("plugin", flat=True).distinct():
        ids = PluginError.objects.filter(plugin=plugin).values_list("id", flat=True)[kept:]
        removed += PluginError.objects.filter(id__in=list(ids)).delete()[0]
    return removed
