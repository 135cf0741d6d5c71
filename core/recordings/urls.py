from django.urls import path

from . import views

app_name = "recordings"

urlpatterns = [
    path("sessions/<int:session_id>/recordings/", views.session_recordings, name="session"),
    path("recordings/<int:recording_id>/", views.playback, name="playback"),
    path("recordings/<int:recording_id>/delete/", views.delete, name="delete"),
    path("recordings/files/<int:file_id>/download/", views.download, name="download"),
]
