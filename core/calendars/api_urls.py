"""REST endpoints of core.calendars, included under /api/ by core.api.urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("calendar/", api.CalendarConnectionView.as_view(), name="api-calendar"),
    path("calendar/test/", api.CalendarTestView.as_view(), name="api-calendar-test"),
    path("calendar/calendars/", api.CalendarListView.as_view(), name="api-calendar-calendars"),
    path("calendar/refresh/", api.CalendarRefreshView.as_view(), name="api-calendar-refresh"),
]
