"""REST endpoints of core.catalogue, included under /api/ by core.api.urls.

``mentors/<id>/availability/`` and ``mentors/<id>/book/`` belong to core.scheduling.
"""

from django.urls import path

from . import api

urlpatterns = [
    path("mentors/", api.MentorListView.as_view(), name="api-mentors"),
    path("mentors/<int:user_id>/", api.MentorDetailView.as_view(), name="api-mentor-detail"),
    path("mentors/<int:user_id>/reviews/", api.MentorReviewsView.as_view(), name="api-mentor-reviews"),
    path("reviews/", api.ReviewCreateView.as_view(), name="api-reviews"),
    path("exchange-rates/", api.ExchangeRatesView.as_view(), name="api-exchange-rates"),
]
