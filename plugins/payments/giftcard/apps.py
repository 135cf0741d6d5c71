from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftCardConfig(AppConfig):
    name = "plugins.payments.giftcard"
    label = "giftcard"
    verbose_name = _("Gift cards")
    default_auto_field = "django.db.models.BigAutoField"
