"""Wagtail admin: editors run campaigns for any mentor and read every campaign's report."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Campaign


class CampaignViewSet(SnippetViewSet):
    model = Campaign
    icon = "doc-full"
    menu_label = _("Sponsored campaigns")
    add_to_admin_menu = True
    menu_order = 350
    list_display = ["name", "mentor", "status", "starts_on", "ends_on", "impressions_shown", "clicks_made", "spent"]
    list_filter = ["status", "pricing"]

    def get_queryset(self, request):
        return Campaign.objects.select_related("mentor").prefetch_related("days")


register_snippet(CampaignViewSet)
