"""Wagtail admin: editors define plans (snippets with their prices) and see mentors' subscriptions."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Plan, Subscription


class PlanViewSet(SnippetViewSet):
    model = Plan
    icon = "pick"
    menu_label = _("Plans")
    list_display = ["name", "slug", "active", "trial_days", "commission_percent", "sponsored_placements"]
    list_filter = ["active"]


class SubscriptionViewSet(SnippetViewSet):
    model = Subscription
    icon = "list-ul"
    menu_label = _("Subscriptions")
    list_display = ["mentor", "plan", "status", "gateway", "current_period_end", "grace_until"]
    list_filter = ["status", "plan"]
    inspect_view_enabled = True

    def get_queryset(self, request):
        return Subscription.objects.select_related("mentor", "plan")


class PremiumGroup(SnippetViewSetGroup):
    items = (PlanViewSet, SubscriptionViewSet)
    menu_icon = "pick"
    menu_label = _("Premium plans")
    menu_name = "premium-plans"


register_snippet(PremiumGroup)
