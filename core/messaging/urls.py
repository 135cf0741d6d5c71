from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/settings/", views.preferences, name="settings"),
    path("messages/<int:pk>/", views.conversation, name="conversation"),
    path("messages/with/<int:user_id>/", views.start, name="start"),
    path("messages/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("messages/reports/<int:pk>/", views.report, name="report"),
    path("messages/block/<int:user_id>/", views.block, name="block"),
    path("messages/unblock/<int:user_id>/", views.unblock, name="unblock"),
]
