"""All REST endpoints under /api/, with the OpenAPI schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.accounts import api as accounts_api

from . import errors

urlpatterns = [
    path("auth/register/", accounts_api.RegisterView.as_view(), name="api-register"),
    path("auth/login/", accounts_api.LoginView.as_view(), name="api-login"),
    path("auth/logout/", accounts_api.LogoutView.as_view(), name="api-logout"),
    path("users/profile/", accounts_api.ProfileView.as_view(), name="api-profile"),
    path("users/profile/update/", accounts_api.ProfileUpdateView.as_view(), name="api-profile-update"),
    path("", include("core.catalogue.api_urls")),
    path("", include("core.scheduling.api_urls")),
    path("", include("core.calendars.api_urls")),
    path("", include("core.intake.api_urls")),
    path("", include("core.payments.api_urls")),
    path("", include("core.subscriptions.api_urls")),
    path("", include("core.sponsorship.api_urls")),
    path("", include("core.pricing.api_urls")),
    path("", include("core.packages.api_urls")),
    path("", include("core.recommendations.api_urls")),
    path("", include("core.rooms.api_urls")),
    path("", include("core.recordings.api_urls")),
    path("", include("core.notifications.api_urls")),
    path("", include("core.messaging.api_urls")),
    path("", include("core.analytics.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Last: anything else under /api/ is a JSON 404, in development too (DEBUG's page lists every URL pattern).
    re_path(r"^(?:.*/)?$", errors.not_found, name="api-not-found"),
]
