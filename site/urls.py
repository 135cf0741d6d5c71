from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from core.accounts import views as accounts_views
from core.api import errors as api_errors
from core.ops.metrics import metrics_view

urlpatterns = [
    path("metrics", metrics_view, name="metrics"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/", include("core.api.urls")),
    # The language switcher (cookie for visitors, profile for members) and the browser scripts' catalogue.
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("core.accounts.urls")),
    path("", include("core.catalogue.urls")),
    path("", include("core.scheduling.urls")),
    path("", include("core.calendars.urls")),
    path("", include("core.intake.urls")),
    # Before payments: its checkout/<id>/<gateway>/ would take checkout/<id>/coupon/ for a gateway.
    path("", include("core.pricing.urls")),
    path("", include("core.payments.urls")),
    path("", include("core.subscriptions.urls")),
    path("", include("core.packages.urls")),
    path("", include("core.sponsorship.urls")),
    path("", include("core.recommendations.urls")),
    path("", include("core.rooms.urls")),
    path("", include("core.recordings.urls")),
    path("", include("core.notifications.urls")),
    path("", include("core.messaging.urls")),
    path("", include("core.dashboards.urls")),
    path("", include("core.analytics.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

# Under /api/ even a 404, a refused body or a crash answers JSON, never an HTML page.
handler400 = api_errors.handler400
handler403 = api_errors.handler403
handler404 = api_errors.handler404
handler500 = api_errors.handler500
