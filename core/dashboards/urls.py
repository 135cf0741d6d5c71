"""Learner and mentor dashboards, and the actions their buttons post to."""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.learner_dashboard, name="learner"),
    path("dashboard/mentor/", views.mentor_dashboard, name="mentor"),
    path("dashboard/bookings/<int:pk>/cancel/", views.cancel_booking, name="cancel_booking"),
    path("dashboard/bookings/<int:pk>/reschedule/", views.reschedule_booking, name="reschedule_booking"),
    path("dashboard/sessions/<int:pk>/cancel/", views.cancel_session, name="cancel_session"),
    path("dashboard/sessions/<int:pk>/start/", views.start_session, name="start_session"),
]
