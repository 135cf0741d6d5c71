from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "core.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import admin_access, session_person, signals  # noqa: F401  (signals connects the receivers)

        admin_access.connect(self.get_model("User"))
        session_person.connect(self.get_model("User"))
