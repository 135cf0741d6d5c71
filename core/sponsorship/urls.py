from django.urls import path

from . import views

app_name = "sponsorship"
urlpatterns = [
    path("sponsored/click/<uuid:impression_id>/", views.click, name="click"),
    path("sponsored/campaigns/", views.campaigns, name="campaigns"),
    path("sponsored/campaigns/<int:campaign_id>/", views.campaign_report, name="report"),
]
