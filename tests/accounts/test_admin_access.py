"""The userbar's question "may this person open the admin?" is kept per person and never stale."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.accounts.admin_access import may_open_admin

pytestmark = pytest.mark.django_db

USERBAR = "<wagtail-userbar"


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def editors():
    group = Group.objects.create(name="Page editors")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return group


def permission_queries(user) -> int:
    user = type(user).objects.get(pk=user.pk)  # no per-object permission memo
    with CaptureQueriesContext(connection) as captured:
        may_open_admin(user)
    return sum("permission" in query["sql"] for query in captured)


def test_a_learner_is_asked_once(user_factory):
    learner = user_factory(display_name="Lee Learner")
    assert permission_queries(learner) == 2
    assert permission_queries(learner) == 0
    assert may_open_admin(learner) is False


def test_joining_and_leaving_the_editors_shows_and_hides_the_userbar(
    user_factory, editors, django_capture_on_commit_callbacks
):
    person = user_factory(display_name="Eddie Editor")
    client = Client()
    client.force_login(person)
    assert USERBAR not in client.get("/dashboard/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        person.groups.add(editors)
    assert USERBAR in client.get("/dashboard/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        editors.permissions.clear()
    assert USERBAR not in client.get("/dashboard/").content.decode()


def test_a_superuser_and_an_inactive_person(user_factory):
    boss = user_factory(display_name="Boss", is_superuser=True)
    assert may_open_admin(boss) is True
    gone = user_factory(display_name="Gone", is_superuser=True, is_active=False)
    assert may_open_admin(gone) is False
