"""Site (HTML) URLs of core.catalogue, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("mentors/", views.mentor_search, name="mentor_search"),
    path("mentors/<int:user_id>/", views.mentor_by_user, name="mentor_by_user"),
    path("mentor/profile/edit/", views.profile_edit, name="profile_edit"),
    path("mentor/profile/preview/", views.profile_preview, name="profile_preview"),
]
