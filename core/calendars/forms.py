"""The mentor's calendar connection form, built from the provider's ``connection_fields``.

Fields come from :func:`core.plugins.forms.field_for`, the same builder as
plugin settings in the admin: a secret (the password) is a write-only field
whose stored value is never sent back; left empty, the stored one is kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext

from core.plugins import CalendarProvider
from core.plugins.forms import field_for

from .models import CalendarConnection


class ConnectionForm(forms.Form):
    def __init__(self, provider: CalendarProvider, existing: CalendarConnection | None, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        same = existing is not None and existing.provider == provider.identifier
        for setting in provider.connection_fields:
            stored = existing.secrets.get(setting.name) if same and setting.is_secret else None
            field = field_for(setting, stored)
            # Providers give English labels marked for the catalogue; shown in the mentor's language.
            field.label = gettext(str(setting.label))
            if setting.help_text:
                field.help_text = gettext(str(setting.help_text))
            if same and not setting.is_secret:
                field.initial = existing.settings.get(setting.name) or setting.initial()
            self.fields[setting.name] = field

    def values(self) -> dict[str, Any]:
        return {setting.name: self.cleaned_data.get(setting.name) for setting in self.provider.connection_fields}
