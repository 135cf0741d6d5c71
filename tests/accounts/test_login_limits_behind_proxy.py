"""Failed-login limits key on the real client behind the proxy, and per account.

Before, every visitor behind the reverse proxy shared its address, so one
person's failures locked everyone out; and a client could dodge the per-address
limit by writing its own X-Forwarded-For.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # what REMOTE_ADDR is for every request that came through the proxy
LOGIN = "/api/auth/login/"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def people(user_factory):
    return user_factory(email="a@example.org", password=PASSWORD), user_factory(
        email="b@example.org", password=PASSWORD
    )


def api_login(api_client, email: str, password: str, *, forwarded: str | None = None, remote: str = PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return api_client.post(LOGIN, {"email": email, "password": password}, format="json", **headers)


def spray(api_client, count: int, **where) -> list[int]:
    """``count`` failed logins on different (unknown) accounts: only the per-address limit sees them all."""
    return [api_login(api_client, f"nobody{i}@example.org", "wrong", **where).status_code for i in range(count)]


def test_behind_one_proxy_a_failing_client_does_not_lock_out_another(settings, api_client, people):
    settings.TRUSTED_PROXY_COUNT = 1
    codes = spray(api_client, 11, forwarded="198.51.100.7")  # person A at X, through the proxy
    assert codes[:10] == [400] * 10 and codes[10] == 429
    # A is locked out, even with the right password...
    assert api_login(api_client, "a@example.org", PASSWORD, forwarded="198.51.100.7").status_code == 429
    # ...and B at Y, through the same proxy (same REMOTE_ADDR), is not.
    response = api_login(api_client, "b@example.org", PASSWORD, forwarded="203.0.113.20")
    assert response.status_code == 200, response.content
    assert response.json()["token"]


def test_the_site_login_form_uses_the_same_address(settings, client, people):
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("account_login")
    for i in range(10):
        client.post(
            url,
            {"login": f"nobody{i}@example.org", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    locked = client.post(
        url, {"login": "a@example.org", "password": PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert locked.status_code == 200 and "too many" in locked.content.decode().lower()
    ok = client.post(
        url, {"login": "b@example.org", "password": PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.20"
    )
    assert ok.status_code == 302


def test_with_no_trusted_proxy_a_forged_header_is_ignored(settings, api_client, people):
    settings.TRUSTED_PROXY_COUNT = 0
    codes = [
        api_login(
            api_client, f"nobody{i}@example.org", "wrong", forwarded=f"192.0.2.{i}", remote="198.51.100.7"
        ).status_code
        for i in range(11)
    ]
    assert codes[10] == 429  # a new forged address each time did not buy a new allowance
    fresh_forgery = api_login(api_client, "a@example.org", PASSWORD, forwarded="192.0.2.250", remote="198.51.100.7")
    assert fresh_forgery.status_code == 429
    assert api_login(api_client, "b@example.org", PASSWORD, remote="203.0.113.20").status_code == 200


def test_a_forged_header_left_of_the_proxys_entry_is_ignored(settings, api_client, people):
    settings.TRUSTED_PROXY_COUNT = 1
    codes = [
        api_login(api_client, f"nobody{i}@example.org", "wrong", forwarded=f"192.0.2.{i}, 198.51.100.7").status_code
        for i in range(11)
    ]
    assert codes[10] == 429


def test_the_per_account_limit_locks_only_that_account(settings, api_client, people):
    """Five failures on A's account, from addresses all over: A is locked everywhere, B nowhere."""
    settings.TRUSTED_PROXY_COUNT = 1
    codes = [api_login(api_client, "a@example.org", "wrong", forwarded=f"198.51.100.{i}").status_code for i in range(6)]
    assert codes[:5] == [400] * 5 and codes[5] == 429
    assert api_login(api_client, "a@example.org", PASSWORD, forwarded="198.51.100.99").status_code == 429
    assert api_login(api_client, "b@example.org", PASSWORD, forwarded="198.51.100.1").status_code == 200


def test_the_register_throttle_is_per_client_behind_the_proxy(settings, api_client, monkeypatch):
    from core.accounts.api import AuthThrottle

    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    body = {"email": "x@example.org", "password": PASSWORD, "display_name": "X"}

    def register(forwarded: str) -> int:
        return api_client.post(
            "/api/auth/register/", body, format="json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    assert [register("198.51.100.7") for _ in range(3)] == [202, 202, 429]
    assert register("203.0.113.20") == 202
