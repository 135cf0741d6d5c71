from django.apps import AppConfig


class GiftCardConfig(AppConfig):
    name = "plugins.payments.giftcard"
    label = "giftcard"
    verbose_name = "Gift cards"
    default_auto_field = "django.db.models.BigAutoField"
