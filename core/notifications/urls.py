from django.urls import path, re_path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="read"),
    path("calendar/", views.calendar_settings, name="calendar"),
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="calendar_feed"),
]
