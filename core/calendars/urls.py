"""Site (HTML) URLs of core.calendars, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "calendars"
urlpatterns = [
    path("schedule/calendar/", views.calendar_page, name="calendar"),
]
