"""Editors issue, block and follow gift cards under Snippets > Gift cards."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import GiftCard


class MoneyColumn(Column):
    def __init__(self, name: str, label: str) -> None:
        super().__init__(name, label=label)

    def get_value(self, instance: GiftCard) -> str:
        return f"{getattr(instance, self.name) / 100:.2f} {instance.currency}"


class GiftCardViewSet(SnippetViewSet):
    model = GiftCard
    icon = "tag"
    menu_label = _("Gift cards")
    menu_name = "gift-cards"
    menu_order = 285
    add_to_admin_menu = True
    list_display = [
        "code",
        MoneyColumn("initial_minor", "Value"),
        MoneyColumn("balance_minor", "Balance"),
        "active",
        "expires_at",
        "note",
    ]
    list_filter = ["active", "currency"]
    search_fields = ["code", "note"]
    ordering = ["-created_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("code"),
            FieldRowPanel([FieldPanel("currency"), FieldPanel("initial_minor")]),
            FieldRowPanel([FieldPanel("active"), FieldPanel("expires_at")]),
            FieldPanel("note"),
        ]
    )


register_snippet(GiftCardViewSet)
