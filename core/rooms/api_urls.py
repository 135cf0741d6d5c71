from django.urls import path

from . import api

urlpatterns = [
    path("sessions/<int:session_id>/room/", api.RoomView.as_view(), name="api-session-room"),
    path("sessions/<int:session_id>/chat/", api.ChatView.as_view(), name="api-session-chat"),
    path("sessions/<int:session_id>/attendance/", api.AttendanceView.as_view(), name="api-session-attendance"),
    path("rooms/protocol/", api.ProtocolView.as_view(), name="api-room-protocol"),
]
