from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "core.scheduling"
    label = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .middleware import hold_changed
        from .models import Booking

        post_save.connect(hold_changed, sender=Booking, dispatch_uid="scheduling-hold-deadline")
        from .services import series  # noqa: F401  (connects the series' hold receiver)
