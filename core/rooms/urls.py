from django.urls import path

from . import views

app_name = "rooms"

urlpatterns = [
    path("sessions/<int:session_id>/room/", views.room, name="room"),
]
