from django.urls import path

from . import api

urlpatterns = [path("sponsored/campaigns/", api.CampaignListView.as_view(), name="api-sponsored-campaigns")]
