"""Site (HTML) URLs of core.analytics, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("analytics/mentor/", views.mentor_insights, name="mentor"),
    path("analytics/learning-path/", views.learning_path_page, name="learning_path"),
]
