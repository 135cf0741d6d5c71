"""Plugin secrets are encrypted at rest: the database, the cache and dumps never hold them in plain text."""

from __future__ import annotations

import importlib
import logging
from io import StringIO

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.models import Value
from django.urls import reverse

from core.plugins import config, encryption
from core.plugins.models import PluginConfiguration

SECRET = "sk_live_encrypt-me-0123456789"
seal_migration = importlib.import_module("core.plugins.migrations.0002_encrypt_plugin_secrets")


def raw_secrets(configuration: PluginConfiguration) -> str:
    """The ``secrets`` column exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secrets FROM {PluginConfiguration._meta.db_table} WHERE id = %s", [configuration.pk])
        return str(cursor.fetchone()[0])


def store_plain(configuration: PluginConfiguration, secrets: dict) -> None:
    """Write ``secrets`` as the code before encryption did: plain JSON."""
    PluginConfiguration.objects.filter(pk=configuration.pk).update(
        secrets=Value(secrets, output_field=models.JSONField())
    )
    config.invalidate(configuration.site_id)


@pytest.fixture
def admin_client(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def stored(test_plugins, enable, default_site):
    enable("test_raises", secrets={"api_key": SECRET})
    return PluginConfiguration.objects.get(plugin="test_raises", site=default_site)


def test_the_database_column_holds_no_secret_and_the_plugin_gets_it(stored, test_plugins, default_site):
    raw = raw_secrets(stored)
    assert SECRET not in raw and "api_key" in raw and encryption.PREFIX in raw
    assert PluginConfiguration.objects.get(pk=stored.pk).secrets == {"api_key": SECRET}
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET
    # The (possibly shared, possibly persisted) cache keeps the sealed form too.
    assert SECRET not in repr(config.stored_for_site(default_site.id))


def test_every_way_of_writing_encrypts(stored, test_plugins):
    PluginConfiguration.objects.filter(pk=stored.pk).update(secrets={"api_key": "via-update-123"})
    assert "via-update-123" not in raw_secrets(stored)
    stored.refresh_from_db()
    stored.secrets = {"api_key": "via-save-456"}
    stored.save()
    assert "via-save-456" not in raw_secrets(stored)
    config.invalidate(stored.site_id)
    assert test_plugins.config_for("test_raises")["api_key"] == "via-save-456"


def test_the_admin_form_stores_the_secret_encrypted(test_plugins, admin_client, default_site):
    url = reverse("plugins_admin:edit", args=["test_raises"])
    assert admin_client.post(url, {"enabled": "on", "setting_api_key": SECRET}).status_code == 302
    configuration = PluginConfiguration.objects.get(plugin="test_raises", site=default_site)
    assert SECRET not in raw_secrets(configuration)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET


def test_values_stored_before_encryption_are_read_and_sealed_by_the_migration(stored, test_plugins):
    store_plain(stored, {"api_key": SECRET})
    assert SECRET in raw_secrets(stored)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET

    seal_migration.seal_plain_values(apps, connection.schema_editor())
    assert SECRET not in raw_secrets(stored)
    config.invalidate(stored.site_id)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET

    seal_migration.write_plain_values(apps, connection.schema_editor())  # migrating back
    assert '"api_key": "sk_live_encrypt-me' in raw_secrets(stored).replace("'", '"')


@pytest.mark.django_db
def test_the_migration_is_the_latest_state():
    call_command("makemigrations", "plugins", "--check", "--dry-run", stdout=StringIO())  # exits 1 if not


def test_rotation_reads_old_values_through_secret_key_fallbacks(stored, test_plugins, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-" + "k" * 60, [old]
    config.invalidate(stored.site_id)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET
    assert test_plugins.is_enabled("test_raises")

    out = StringIO()
    call_command("reencrypt_plugin_secrets", stdout=out)
    assert "1 plugin configuration(s) re-encrypted" in out.getvalue()
    settings.SECRET_KEY_FALLBACKS = []  # the old key can go now
    config.invalidate(stored.site_id)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET
    assert SECRET not in raw_secrets(stored)


def test_a_dedicated_key_keeps_values_sealed_with_secret_key_readable(stored, test_plugins, settings):
    settings.PEERLEARN_SECRETS_KEY = "dedicated-" + "d" * 50
    config.invalidate(stored.site_id)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET
    stored.refresh_from_db()
    stored.save()  # sealed again, now with the dedicated key
    settings.SECRET_KEY = "rotated-" + "r" * 50
    config.invalidate(stored.site_id)
    assert test_plugins.config_for("test_raises")["api_key"] == SECRET


def test_a_value_sealed_with_an_unknown_key_is_logged_and_the_plugin_left_unconfigured(
    test_plugins, enable, default_site, admin_client, participant, settings, caplog
):
    from tests.plugins import sample_plugins

    settings.PEERLEARN_SECRETS_KEY = "lost-" + "l" * 50
    enable("test_raises", secrets={"api_key": SECRET})
    configuration = PluginConfiguration.objects.get(plugin="test_raises", site=default_site)
    sealed = raw_secrets(configuration)
    settings.PEERLEARN_SECRETS_KEY = "other-" + "o" * 50  # the old key is in no fallback
    config.invalidate(default_site.id)
    caplog.set_level(logging.ERROR, logger="peerlearn.plugins")

    assert not test_plugins.is_enabled("test_raises")
    assert "test_raises" in caplog.text and "'api_key'" in caplog.text and "cannot be decrypted" in caplog.text
    assert test_plugins.config_for("test_raises")["api_key"] == ""
    assert test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_raises"]) == []
    assert sample_plugins.raising.calls == 0, "a plugin without its secret is not called"

    url = reverse("plugins_admin:edit", args=["test_raises"])
    page = admin_client.get(url)
    assert page.status_code == 200 and "cannot be decrypted" in page.content.decode()
    index = admin_client.get(reverse("plugins_admin:index"))
    assert index.status_code == 200
    listing = index.content.decode()
    assert "Off: secret unreadable" in listing and "api_key cannot be decrypted" in listing

    # Saving other settings writes the unreadable value back as it was; entering it again repairs the plugin.
    assert admin_client.post(url, {"enabled": "on", "setting_api_key": ""}).status_code == 302
    assert raw_secrets(configuration) == sealed
    assert admin_client.post(url, {"enabled": "on", "setting_api_key": "sk_live_new-9876"}).status_code == 302
    assert test_plugins.is_enabled("test_raises")
    assert test_plugins.config_for("test_raises")["api_key"] == "sk_live_new-9876"


def test_reencrypt_reports_secrets_no_key_opens(stored, settings):
    settings.PEERLEARN_SECRETS_KEY = "unrelated-" + "u" * 50
    settings.SECRET_KEY = "also-new-" + "n" * 50
    with pytest.raises(CommandError, match="test_raises on site .*api_key"):
        call_command("reencrypt_plugin_secrets", stdout=StringIO())


def test_dumpdata_holds_sealed_values_and_loaddata_opens_them(stored):
    dumped = serializers.serialize("json", PluginConfiguration.objects.filter(pk=stored.pk))
    assert SECRET not in dumped and encryption.PREFIX in dumped
    [restored] = serializers.deserialize("json", dumped)
    assert restored.object.secrets == {"api_key": SECRET}
    restored.save()
    stored.refresh_from_db()
    assert stored.secrets == {"api_key": SECRET} and SECRET not in raw_secrets(stored)


def test_tokens_are_random_and_tampering_is_detected():
    first, second = encryption.encrypt(SECRET), encryption.encrypt(SECRET)
    assert first != second and encryption.decrypt(first) == encryption.decrypt(second) == SECRET
    tampered = first[:-6] + ("A" if first[-6] != "A" else "B") + first[-5:]
    with pytest.raises(encryption.SecretDecryptionError):
        encryption.decrypt(tampered)
