"""Site (HTML) URLs of core.catalogue, included at the root by peerlearn.urls.

``mentors/<id>/book/`` belongs to core.scheduling.
"""

from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("mentors/", views.mentor_search, name="mentor_search"),
    path("mentors/<int:user_id>/", views.mentor_by_user, name="mentor_by_user"),
    path("mentor/profile/edit/", views.profile_edit, name="profile_edit"),
    path("mentor/profile/preview/", views.profile_preview, name="profile_preview"),
    path("reviews/", views.my_reviews, name="my_reviews"),
    path("reviews/new/<int:booking_id>/", views.review_new, name="review_new"),
]
