"""Site (HTML) URLs of core.scheduling, included at the root by peerlearn.urls.

``/sessions/<id>/room/`` is the room's (core.rooms); ``/mentors/`` and the mentor
pages are the catalogue's. Only ``/mentors/<id>/book/`` is ours there.
"""

from django.urls import path

from . import series_views, views

app_name = "scheduling"
urlpatterns = [
    path("schedule/availability/", views.availability_editor, name="availability"),
    path("schedule/sessions/new/", views.session_new, name="session_new"),
    path("schedule/bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("schedule/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("schedule/bookings/<int:pk>/reschedule/", views.booking_reschedule, name="booking_reschedule"),
    path("mentors/<int:pk>/book/", views.slot_picker, name="slot_picker"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/book/", views.session_book, name="session_book"),
    path("sessions/<int:pk>/waitlist/", views.session_waitlist, name="session_waitlist"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/start/", views.session_start, name="session_start"),
    path("waitlist/<int:pk>/accept/", views.waitlist_accept, name="waitlist_accept"),
    path("mentors/<int:pk>/series/", series_views.series_new, name="series_new"),
    path("schedule/series/<int:pk>/", series_views.series_detail, name="series_detail"),
    path("schedule/series/<int:pk>/invite.ics", series_views.series_ics, name="series_ics"),
    path("schedule/series/<int:pk>/<int:index>/cancel/", series_views.series_cancel, name="series_cancel"),
    path("schedule/series/<int:pk>/<int:index>/reschedule/", series_views.series_reschedule, name="series_reschedule"),
]
