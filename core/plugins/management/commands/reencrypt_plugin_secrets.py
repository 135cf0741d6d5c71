"""``manage.py reencrypt_plugin_secrets``: seal every stored plugin secret with the current key.

Run it after rotating ``SECRET_KEY`` (or ``PEERLEARN_SECRETS_KEY``) with the old
value in the fallbacks; once it reports nothing unreadable, the old key can go.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F

from core.plugins import config, encryption
from core.plugins.models import PluginConfiguration


class Command(BaseCommand):
    help = "Re-encrypt stored plugin secrets with the current PEERLEARN_SECRETS_KEY/SECRET_KEY."

    def handle(self, *args, **options) -> None:
        sealed = ExpressionWrapper(F("secrets"), output_field=models.JSONField())
        resealed, unreadable, sites = 0, [], set()
        with transaction.atomic():
            rows = PluginConfiguration.objects.select_for_update().annotate(sealed_secrets=sealed).order_by("pk")
            for row in rows:
                stored = row.sealed_secrets or {}
                stale = [name for name, value in stored.items() if encryption.needs_reencryption(value)]
                lost = [name for name, value in row.secrets.items() if isinstance(value, encryption.SealedSecret)]
                unreadable += [f"{row.plugin} on site {row.site_id}: {name}" for name in lost]
                if set(stale) - set(lost):
                    # The field seals plain values with the current key and writes unreadable ones back as they were.
                    PluginConfiguration.objects.filter(pk=row.pk).update(secrets=row.secrets)
                    resealed += 1
                    sites.add(row.site_id)
        for site_id in sites:
            config.invalidate(site_id)
        self.stdout.write(f"{resealed} plugin configuration(s) re-encrypted with the current key.")
        if unreadable:
            raise CommandError(
                "These secrets cannot be decrypted with the current key or its fallbacks; enter them again in "
                "Settings > Plugins: " + "; ".join(unreadable)
            )
