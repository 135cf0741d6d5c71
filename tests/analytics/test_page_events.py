"""Mentor page views and mentor searches served by Wagtail are logged (the searches feed conversion)."""

from __future__ import annotations

from core.analytics.models import Event
from core.analytics.services.events import flush


def test_mentor_page_view_and_search_are_logged(
    client, user_factory, mentor, mentor_page, skills, django_capture_on_commit_callbacks
):
    page = mentor_page(mentor, skills=[skills["python"]], rate=3000)
    visitor = user_factory()
    client.force_login(visitor)
    index_url = page.get_parent().url
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(page.url).status_code == 200
        assert client.get(index_url, {"skill": "python", "q": "django"}).status_code == 200
        assert client.get(index_url).status_code == 200  # browsing without a filter is not a search
        assert client.get(index_url, {"min_price": "abc"}).status_code == 200  # a refused filter is not a search
    flush()
    viewed = Event.objects.get(name="mentor.viewed")
    assert (viewed.user_id, viewed.mentor_id, viewed.skill_ids) == (visitor.pk, mentor.pk, [skills["python"].pk])
    search = Event.objects.get(name="search.performed")
    assert (search.user_id, search.skill_ids, search.data["q"], search.data["via"]) == (
        visitor.pk,
        [skills["python"].pk],
        "django",
        "site",
    )
