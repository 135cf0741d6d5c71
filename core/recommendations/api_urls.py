"""REST endpoints of core.recommendations, included under /api/ by core.api.urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("recommendations/", api.RecommendationsView.as_view(), name="api-recommendations"),
    path("recommendations/mentors/", api.MentorRecommendationsView.as_view(), name="api-recommendations-mentors"),
    path("recommendations/trending/", api.TrendingView.as_view(), name="api-recommendations-trending"),
    path("recommendations/feedback/", api.FeedbackView.as_view(), name="api-recommendations-feedback"),
]
