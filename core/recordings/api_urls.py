from django.urls import path

from . import api

urlpatterns = [
    path("sessions/<int:session_id>/recordings/", api.SessionRecordingsView.as_view(), name="api-session-recordings"),
    path(
        "sessions/<int:session_id>/recordings/stop/",
        api.StopRecordingView.as_view(),
        name="api-session-recording-stop",
    ),
    path("sessions/<int:session_id>/recording-consent/", api.ConsentView.as_view(), name="api-recording-consent"),
    path("recordings/<int:recording_id>/", api.RecordingView.as_view(), name="api-recording"),
    path("recordings/<int:recording_id>/my-media/", api.OwnMediaView.as_view(), name="api-recording-own-media"),
    path("recordings/<int:recording_id>/chunks/", api.ChunkView.as_view(), name="api-recording-chunks"),
]
