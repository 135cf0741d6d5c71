"""Per-site plugin configuration and the record of plugin failures."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy
from wagtail.models import Site

from . import encryption


class EncryptedSecretsField(models.JSONField):
    """A JSON object whose values are encrypted in the database (see :mod:`core.plugins.encryption`).

    In Python it holds the plain values; whatever writes it (``save``,
    ``update``, a migration, ``dumpdata``) writes ``fernet:`` tokens. A value no
    configured key opens is read as a :class:`~core.plugins.encryption.SealedSecret`
    and written back unchanged.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self._open(super().from_db_value(value, expression, connection))

    def to_python(self, value: Any) -> Any:  # loaddata hands back what value_to_string wrote
        return self._open(super().to_python(value))

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            value = encryption.encrypt_values(value)
        return super().get_prep_value(value)

    def value_to_string(self, obj: models.Model) -> Any:
        value = self.value_from_object(obj)
        return encryption.encrypt_values(value) if isinstance(value, dict) else value

    @staticmethod
    def _open(value: Any) -> Any:
        if isinstance(value, dict):
            return encryption.decrypt_values(value)
        if encryption.is_encrypted(value):  # one key read through a KeyTransform
            return encryption.decrypt_values({"": value})[""]
        return value


class PluginConfiguration(models.Model):
    """Whether a plugin is enabled on a Wagtail site, and its settings there.

    ``secrets`` holds the values of the plugin's secret fields. They are
    write-only in the admin, never serialised by the API and encrypted in the
    database.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="plugin_configurations")
    plugin = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    secrets = EncryptedSecretsField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "plugin"], name="unique_plugin_per_site")]
        ordering = ["plugin"]

    def __str__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"{self.plugin} on {self.site} ({state})"

    def __repr__(self) -> str:  # never show secrets, even in a debugger
        return f"<PluginConfiguration {self.plugin} site={self.site_id} enabled={self.enabled}>"


class PluginErrorQuerySet(models.QuerySet):
    def for_site(self, site_id: int | None) -> PluginErrorQuerySet:
        """Failures on ``site_id`` and those that belong to no site (loading)."""
        return self.filter(models.Q(site_id=site_id) | models.Q(site__isnull=True))


class PluginError(models.Model):
    """One failure of a plugin call, shown on the admin's Plugins page."""

    class Kind(models.TextChoices):
        EXCEPTION = "exception", gettext_lazy("Raised an exception")
        TIMEOUT = "timeout", gettext_lazy("Exceeded its time budget")
        BUSY = "busy", gettext_lazy("Every call slot still taken (hung or slow)")
        BAD_RESULT = "bad_result", gettext_lazy("Returned a malformed answer")
        LOAD = "load", gettext_lazy("Could not be loaded")
        BREAKER = "breaker", gettext_lazy("Circuit breaker opened")

    plugin = models.CharField(max_length=100, db_index=True)
    hook = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.TextField()
    traceback = models.TextField(blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PluginErrorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plugin}.{self.hook}: {self.get_kind_display()}"
