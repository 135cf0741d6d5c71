from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "core.subscriptions"
    label = "subscriptions"
    verbose_name = "Premium plans"
