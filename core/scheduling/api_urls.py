"""REST endpoints of core.scheduling, included under /api/ by core.api.urls.

``bookings/<id>/`` itself belongs to payments (a booking with its payments);
the booking serializer lives in :mod:`core.scheduling.serializers` for reuse.
"""

from django.urls import path

from . import api, series_api

urlpatterns = [
    path("sessions/", api.SessionListView.as_view(), name="api-sessions"),
    path("sessions/create/", api.SessionCreateView.as_view(), name="api-session-create"),
    path("sessions/<int:pk>/", api.SessionDetailView.as_view(), name="api-session"),
    path("sessions/<int:pk>/book/", api.SessionBookView.as_view(), name="api-session-book"),
    path("sessions/<int:pk>/start/", api.SessionStartView.as_view(), name="api-session-start"),
    path("sessions/<int:pk>/end/", api.SessionEndView.as_view(), name="api-session-end"),
    path("sessions/<int:pk>/cancel/", api.SessionCancelView.as_view(), name="api-session-cancel"),
    path("sessions/<int:pk>/waitlist/", api.WaitlistJoinView.as_view(), name="api-session-waitlist"),
    path("mentors/<int:pk>/availability/", api.MentorAvailabilityView.as_view(), name="api-mentor-availability"),
    path("mentors/<int:pk>/book/", api.MentorBookView.as_view(), name="api-mentor-book"),
    path("bookings/", api.BookingListView.as_view(), name="api-bookings"),
    path("bookings/<int:pk>/reschedule/", api.BookingRescheduleView.as_view(), name="api-booking-reschedule"),
    path("bookings/<int:pk>/no-show/", api.BookingNoShowView.as_view(), name="api-booking-no-show"),
    path("waitlist/", api.WaitlistListView.as_view(), name="api-waitlist"),
    path("schedule/availability/", api.MyAvailabilityView.as_view(), name="api-my-availability"),
    path("schedule/overrides/", api.MyOverridesView.as_view(), name="api-my-overrides"),
    path("schedule/overrides/<int:pk>/", api.MyOverrideDeleteView.as_view(), name="api-my-override"),
    path("waitlist/<int:pk>/accept/", api.WaitlistAcceptView.as_view(), name="api-waitlist-accept"),
    path("series/", series_api.SeriesListView.as_view(), name="api-series"),
    path("series/preview/", series_api.SeriesPreviewView.as_view(), name="api-series-preview"),
    path("series/<int:pk>/", series_api.SeriesDetailView.as_view(), name="api-series-detail"),
    path(
        "series/<int:pk>/occurrences/<int:index>/cancel/",
        series_api.OccurrenceCancelView.as_view(),
        name="api-series-occurrence-cancel",
    ),
    path(
        "series/<int:pk>/occurrences/<int:index>/reschedule/",
        series_api.OccurrenceRescheduleView.as_view(),
        name="api-series-occurrence-reschedule",
    ),
]
