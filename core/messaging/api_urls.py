from django.urls import path

from . import api

urlpatterns = [
    path("conversations/", api.ConversationListView.as_view(), name="api-conversations"),
    path("conversations/<int:pk>/messages/", api.MessageListView.as_view(), name="api-conversation-messages"),
    path("conversations/<int:pk>/read/", api.ConversationReadView.as_view(), name="api-conversation-read"),
    path("messages/<int:pk>/report/", api.MessageReportView.as_view(), name="api-message-report"),
    path("messages/<int:pk>/attachment/", api.MessageAttachmentView.as_view(), name="api-message-attachment"),
    path("users/<int:pk>/block/", api.BlockView.as_view(), name="api-user-block"),
    path("messaging/preferences/", api.PreferenceView.as_view(), name="api-messaging-preferences"),
]
