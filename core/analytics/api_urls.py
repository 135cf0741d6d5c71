"""REST endpoints of core.analytics, included under /api/ by core.api.urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("analytics/metrics/", api.MetricsView.as_view(), name="api-analytics-metrics"),
    path("analytics/live/", api.LiveTilesView.as_view(), name="api-analytics-live"),
    path("analytics/price-suggestion/", api.PriceSuggestionView.as_view(), name="api-analytics-price-suggestion"),
    path(
        "analytics/bookings/<int:pk>/success/", api.BookingSuccessView.as_view(), name="api-analytics-booking-success"
    ),
    path("analytics/learning-path/", api.LearningPathView.as_view(), name="api-analytics-learning-path"),
    path("analytics/at-risk/", api.AtRiskView.as_view(), name="api-analytics-at-risk"),
]
