from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("schedule/questions/", views.questions_editor, name="questions"),
    path("schedule/requests/", views.requests_page, name="requests"),
    path("schedule/requests/<int:pk>/approve/", views.approve, name="approve"),
    path("schedule/requests/<int:pk>/decline/", views.decline, name="decline"),
    path("schedule/requests/<int:pk>/propose/", views.propose, name="propose"),
    path("schedule/proposals/<int:pk>/accept/", views.accept, name="accept"),
]
