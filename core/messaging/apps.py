from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "core.messaging"
    label = "messaging"
    verbose_name = "Messages"
