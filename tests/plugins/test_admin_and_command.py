"""The Plugins pages of the Wagtail admin and ``manage.py plugins``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.plugins.models import PluginConfiguration, PluginError


@pytest.fixture
def admin_client(client, user_factory):
    admin = user_factory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_plugins_page_lists_metadata_state_and_recent_errors(test_plugins, admin_client, enable, participant):
    enable("test_raises", secrets={"api_key": "hidden-key-123"})
    test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_raises"])
    response = admin_client.get(reverse("plugins_admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "STUN/TURN credentials",
        "turn_credentials",
        "PeerLearn developers",
        "&gt;=0.1,&lt;1",
        "Enabled",
        "Disabled",
        "Not loaded",
        "needs plugin API &gt;=99",
        "RuntimeError",
    ):
        assert text in html, text
    assert "hidden-key-123" not in html


def test_plugins_page_needs_the_permission(test_plugins, client, user_factory):
    editor = user_factory(is_staff=True)
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get(reverse("plugins_admin:index")).status_code in (302, 403)


def test_secrets_are_write_only(test_plugins, admin_client, default_site):
    url = reverse("plugins_admin:edit", args=["test_raises"])
    response = admin_client.post(url, {"enabled": "on", "setting_api_key": "sk_test_abcdef123456"})
    assert response.status_code == 302
    config = PluginConfiguration.objects.get(plugin="test_raises", site=default_site)
    assert config.enabled and config.secrets == {"api_key": "sk_test_abcdef123456"}
    assert "sk_test_abcdef123456" not in repr(test_plugins.config_for("test_raises"))

    page = admin_client.get(url).content.decode()
    assert "sk_test_abcdef123456" not in page
    assert "A value is stored" in page

    # Saving without typing the secret keeps it; the clear box removes it.
    admin_client.post(url, {"enabled": "on", "setting_api_key": ""})
    config.refresh_from_db()
    assert config.secrets == {"api_key": "sk_test_abcdef123456"}
    admin_client.post(url, {"enabled": "on", "setting_api_key": "", "clear_api_key": "on"})
    config.refresh_from_db()
    assert config.secrets == {}


def test_environment_supplies_defaults_for_a_fresh_deployment(test_plugins, monkeypatch):
    monkeypatch.setenv("TEST_PLUGIN_API_KEY", "from-env-key")
    assert test_plugins.config_for("test_raises")["api_key"] == "from-env-key"


def test_invalid_settings_are_refused_with_a_message(test_plugins, admin_client):
    url = reverse("plugins_admin:edit", args=["turn_credentials"])
    response = admin_client.post(url, {"enabled": "on", "setting_ttl_seconds": "soon"})
    assert response.status_code == 400
    assert "Enter a whole number" in response.content.decode()
    assert not PluginConfiguration.objects.filter(plugin="turn_credentials").exists()


def test_disable_and_reset_breaker_from_the_admin(test_plugins, admin_client, default_site):
    from core.plugins import breaker

    url = reverse("plugins_admin:edit", args=["turn_credentials"])
    admin_client.post(url, {"setting_ttl_seconds": "600"})
    assert not test_plugins.is_enabled("turn_credentials", default_site.id)
    for _ in range(3):
        breaker.record_failure("turn_credentials")
    assert breaker.is_open("turn_credentials")
    admin_client.post(url, {"reset_breaker": "1"})
    assert not breaker.is_open("turn_credentials")


def test_unknown_plugin_is_404(test_plugins, admin_client):
    assert admin_client.get(reverse("plugins_admin:edit", args=["nope"])).status_code == 404


def test_plugins_command_lists_every_plugin(test_plugins, enable, participant):
    enable("test_garbage")
    test_plugins.call("peerlearn_ice_servers", participant=participant, only=["test_garbage"])
    out = StringIO()
    call_command("plugins", stdout=out)
    text = out.getvalue()
    assert "turn_credentials" in text and "enabled" in text
    assert "test_incompatible" in text and "needs plugin API >=99" in text
    assert "last error:" in text and "peerlearn_ice_servers (bad_result)" in text
    out = StringIO()
    call_command("plugins", "--json", stdout=out)
    rows = {row["name"]: row for row in json.loads(out.getvalue())}
    assert rows["test_garbage"]["errors"] == 1
    assert rows["test_garbage"]["breaker"] == "closed" and "bad_result" in rows["test_garbage"]["last_error"]
    assert rows["test_good"]["last_error"] == ""
    assert rows["test_good"]["state"] == "disabled"
    assert rows["test_no_meta"]["state"] == "not loaded"
    assert PluginError.objects.filter(plugin="test_garbage").exists()


def test_edit_page_says_when_a_change_takes_effect_and_refits_recommenders(admin_client):
    page = admin_client.get(reverse("plugins_admin:edit", args=["recommender_popularity"])).content.decode()
    assert "after the next refit" in page and "every 3 hours" in page
    assert 'id="refit-now"' in page and f'action="{reverse("recommendations_admin:index")}"' in page
    from django.conf import settings

    refit = admin_client.post(reverse("recommendations_admin:index"), follow=True)
    # Done in the request with Celery eager (embedded default), queued for the worker on the real stack.
    said = "Refitted" if settings.CELERY_TASK_ALWAYS_EAGER else "Refitting has started in the background"
    assert refit.status_code == 200 and said in refit.content.decode()
    video = admin_client.get(reverse("plugins_admin:edit", args=["video_p2p"])).content.decode()
    assert "take effect at once" in video and 'id="refit-now"' not in video


def test_multi_line_secrets_are_encrypted_and_write_only(test_plugins, admin_client, default_site):
    from django.db import connection

    pem = (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----"
    )
    url = reverse("plugins_admin:edit", args=["test_raises"])
    page = admin_client.get(url).content.decode()
    assert '<textarea name="setting_private_key"' in page
    assert admin_client.post(url, {"enabled": "on", "setting_private_key": pem}).status_code == 302
    assert test_plugins.config_for("test_raises")["private_key"] == pem  # newlines kept
    config = PluginConfiguration.objects.get(plugin="test_raises", site=default_site)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secrets FROM {PluginConfiguration._meta.db_table} WHERE id = %s", [config.pk])
        stored = str(cursor.fetchone()[0])
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in stored and "private_key" in stored
    page = admin_client.get(url).content.decode()
    assert "MIIEvQ" not in page and "A value is stored" in page
