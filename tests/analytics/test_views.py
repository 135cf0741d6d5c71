"""Who can see what: every report page, export and API endpoint; bad filters answer clearly and show nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from core.analytics.models import ChurnScore, PredictionModel

DASHBOARD = "/admin/analytics/"
EXPORT = "/admin/analytics/export.csv"
AT_RISK = "/admin/analytics/at-risk/"
MODELS = "/admin/analytics/models/"
API = "/api/analytics/"


@pytest.fixture
def superuser(user_factory):
    return user_factory(is_staff=True, is_superuser=True, display_name="Admin")


def editor_with(user_factory, *codenames):
    """A Wagtail editor (admin access) holding the given analytics permissions."""
    user = user_factory(display_name="Editor " + "+".join(codenames))
    group = Group.objects.create(name="group " + "+".join(codenames) + str(user.pk))
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for codename in codenames:
        group.permissions.add(Permission.objects.get(content_type__app_label="analytics", codename=codename))
    user.groups.add(group)
    return user


@pytest.fixture
def at_risk_learner(db, user_factory):
    learner = user_factory(display_name="Quiet Learner", email="quiet@example.org")
    ChurnScore.objects.create(learner=learner, probability=0.82, reasons=["No booking for 75 days"])
    return learner


def login(client, user):
    client.force_login(user)
    return client


# --- permissions on every report ---------------------------------------------------------


@pytest.mark.parametrize("url", [DASHBOARD, EXPORT, AT_RISK, MODELS])
def test_anonymous_is_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("url", [DASHBOARD, EXPORT, AT_RISK, MODELS])
def test_editor_without_the_permission_is_refused(client, user_factory, url):
    editor = editor_with(user_factory)  # admin access only
    response = login(client, editor).get(url)
    assert response.status_code in (302, 403)
    assert b"Bookings made" not in response.content


def test_a_learner_without_admin_access_never_sees_the_dashboard(client, user_factory):
    response = login(client, user_factory()).get(DASHBOARD)
    assert response.status_code == 302  # Wagtail sends people without admin access to its login


def test_dashboard_permission_does_not_open_the_at_risk_list(client, user_factory, at_risk_learner):
    editor = editor_with(user_factory, "view_dashboard")
    login(client, editor)
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(EXPORT).status_code == 200
    response = client.get(AT_RISK)
    assert response.status_code in (302, 403) and b"quiet@example.org" not in response.content
    assert client.get(API + "at-risk/").status_code == 403


def test_at_risk_list_for_editors_with_that_permission(client, user_factory, at_risk_learner):
    editor = editor_with(user_factory, "view_learner_risk")
    login(client, editor)
    response = client.get(AT_RISK)
    assert response.status_code == 200
    assert b"Quiet Learner" in response.content and b"82 %" in response.content
    assert b"No booking for 75 days" in response.content
    assert client.get(DASHBOARD).status_code in (302, 403)
    data = client.get(API + "at-risk/").json()
    assert data == [
        {
            "learner": at_risk_learner.pk,
            "name": "Quiet Learner",
            "email": "quiet@example.org",
            "probability": 0.82,
            "reasons": ["No booking for 75 days"],
            "computed_at": data[0]["computed_at"],
        }
    ]


# --- the dashboard and its export ------------------------------------------------------------


def test_dashboard_shows_metrics_charts_tiles_and_tables(client, superuser, log_event, skills):
    today = datetime.now(UTC)
    log_event("booking.created", today - timedelta(days=1), skill_ids=[skills["python"].pk])
    response = login(client, superuser).get(DASHBOARD, {"granularity": "week"})
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Bookings made today", "Sessions in progress", "Revenue today", 'data-tile="bookings_today"'):
        assert text in html
    assert "analytics/vendor/chart.umd.min.js" in html and "cdn" not in html.lower()
    assert 'id="analytics-chart-data"' in html
    assert "Learner retention by sign-up month" in html and "Python" in html
    assert 'data-dashboard-socket="/ws/dashboard/"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "before it starts"),
        ({"skill": "no-such-skill"}, "There is no skill"),
        ({"granularity": "hourly"}, "not one of"),
    ],
)
def test_dashboard_bad_filters_show_an_error_and_no_numbers(client, superuser, params, message):
    response = login(client, superuser).get(DASHBOARD, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Nothing to show" in html
    assert "analytics-chart-data" not in html and "Per period" not in html


def test_csv_export(client, superuser, log_event, ledger):
    when = datetime(2026, 3, 2, 12, tzinfo=UTC)
    log_event("booking.created", when)
    ledger("charge", 1250, "EUR", when)
    ledger("charge", 500, "JPY", when)
    response = login(client, superuser).get(EXPORT, {"start": "2026-03-02", "end": "2026-03-03"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="peerlearn-metrics-20260302-20260303-day.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    header = lines[0].split(",")
    first = dict(zip(header, lines[1].split(","), strict=True))
    second = dict(zip(header, lines[2].split(","), strict=True))
    assert (first["period_start"], first["bookings"], first["revenue_EUR"], first["revenue_JPY"]) == (
        "2026-03-02",
        "1",
        "12.50",
        "500",
    )
    assert (second["bookings"], second["revenue_EUR"], second["completion_rate"]) == ("0", "0.00", "")
    bad = client.get(EXPORT, {"start": "2026-03-05", "end": "2026-03-01"})
    assert bad.status_code == 400 and b"before it starts" in bad.content


def test_models_page_and_refit(client, superuser, user_factory):
    login(client, superuser)
    response = client.get(MODELS)
    assert response.status_code == 200 and b"Never fitted" in response.content
    response = client.post(MODELS, follow=True)
    assert response.status_code == 200
    if settings.CELERY_TASK_ALWAYS_EAGER:
        assert b"Refitted" in response.content and b"Not enough data" in response.content
    else:  # the real stack: a worker will do it
        assert b"started in the background" in response.content
    viewer = editor_with(user_factory, "view_dashboard")
    login(client, viewer)
    assert client.get(MODELS).status_code == 200
    fitted = PredictionModel.objects.count()
    assert client.post(MODELS).status_code in (302, 403)  # Wagtail turns a refusal into a redirect with a message
    assert PredictionModel.objects.count() == fitted, "a viewer cannot refit"


# --- API ---------------------------------------------------------------------------------------


def test_metrics_api_for_staff_only(api_client, user_factory, superuser, log_event):
    url = API + "metrics/"
    assert api_client.get(url).status_code in (401, 403)
    api_client.force_authenticate(user_factory())
    refused = api_client.get(url)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    api_client.force_authenticate(superuser)
    log_event("booking.created", datetime(2026, 3, 2, 9, tzinfo=UTC))
    data = api_client.get(url, {"start": "2026-03-01", "end": "2026-03-03"}).json()
    assert data["series"]["bookings"] == [0, 1, 0]
    assert [p["start"] for p in data["periods"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    bad = api_client.get(url, {"start": "2026-03-03", "end": "2026-03-01"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and "before it starts" in bad.json()["errors"]["end"][0]
    bad = api_client.get(url, {"skill": "nope"})
    assert bad.status_code == 400 and "skill" in bad.json()["errors"]
    assert api_client.get(API + "live/").json()["bookings_today"] == 0


def test_price_suggestion_api(api_client, user_factory, skills):
    url = API + "price-suggestion/"
    api_client.force_authenticate(user_factory())
    assert api_client.get(url).status_code == 403
    api_client.force_authenticate(user_factory(is_mentor=True))
    data = api_client.get(url, {"skills": "python,sql", "duration_minutes": "90"}).json()
    assert data["basis"] == "none" and data["duration_minutes"] == 90 and data["skills"] == ["Python", "SQL"]
    assert data["suggested"] is None and data["reasoning"]
    bad = api_client.get(url, {"skills": "python,klingon"})
    assert bad.status_code == 400 and "klingon" in bad.json()["errors"]["skills"][0]
    bad = api_client.get(url, {"duration_minutes": "ninety"})
    assert bad.status_code == 400 and "duration_minutes" in bad.json()["errors"]
    assert api_client.get(url, {"duration_minutes": "600"}).status_code == 400


def test_booking_success_api_is_for_the_mentor(api_client, user_factory, mentor, make_session, make_booking):
    learner = user_factory()
    booking = make_booking(make_session(datetime.now(UTC) + timedelta(days=2)), learner)
    url = f"{API}bookings/{booking.pk}/success/"
    api_client.force_authenticate(learner)
    assert api_client.get(url).status_code == 403
    api_client.force_authenticate(mentor)
    data = api_client.get(url).json()
    assert (
        data["booking"] == booking.pk and data["probability"] is None and "No session-success model" in data["reason"]
    )
    assert api_client.get(f"{API}bookings/999999/success/").status_code == 404


def test_learning_path_api_and_page(api_client, client, user_factory, skills):
    learner = user_factory()
    api_client.force_authenticate(learner)
    data = api_client.get(API + "learning-path/", {"goal": "python"}).json()
    assert data["goal"] == "python" and data["basis"] == "no_history" and data["steps"][0]["is_goal"]
    missing = api_client.get(API + "learning-path/")
    assert missing.status_code == 400 and "goal" in missing.json()["errors"]
    unknown = api_client.get(API + "learning-path/", {"goal": "astrology"})
    assert unknown.status_code == 400
    login(client, learner)
    page = client.get(reverse("analytics:learning_path"), {"goal": "python"})
    assert page.status_code == 200 and b"No learner on PeerLearn has taken Python yet" in page.content
    bad = client.get(reverse("analytics:learning_path"), {"goal": "astrology"})
    assert bad.status_code == 400 and b"There is no skill" in bad.content


def test_mentor_insights_page(client, user_factory, mentor, mentor_page, skills):
    mentor.skills.add(skills["python"])
    mentor_page(mentor, skills=[skills["python"]], rate=4000)
    assert client.get(reverse("analytics:mentor")).status_code == 302
    login(client, user_factory())
    assert client.get(reverse("analytics:mentor")).status_code == 403
    login(client, mentor)
    response = client.get(reverse("analytics:mentor"))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Earnings", "Utilisation", "Ratings", "Demand for your skills", "Python", "Price check"):
        assert text in html
    bad = client.get(reverse("analytics:mentor"), {"duration_minutes": "5"})
    assert bad.status_code == 400 and "15 to 480 minutes" in bad.content.decode()


def test_api_schema_documents_the_endpoints(api_client, db):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    for path in ("metrics/", "price-suggestion/", "bookings/{id}/success/", "learning-path/", "at-risk/", "live/"):
        assert f"/api/analytics/{path}" in schema["paths"], path


def test_model_facts_read_as_words_not_a_python_dict():
    from core.analytics.templatetags.analytics import facts

    lines = facts(
        {"EUR": {"observations": 12, "price_sensitivity": -0.1234, "sensitivity_measured": True}, "base_rate": 0.25}
    )
    assert lines == [
        ("EUR", "observations 12; price sensitivity -0.123; sensitivity measured yes"),
        ("Base rate", "0.25"),
    ]
    assert not any("{" in text for _, text in lines)
