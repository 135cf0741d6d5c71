"""Site (HTML) URLs of core.recommendations, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "recommendations"
urlpatterns = [
    path("recommendations/", views.RecommendationsPage.as_view(), name="index"),
]
