from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "core.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from . import signals  # noqa: F401
