"""The admin form for one plugin on one site, built from its settings schema."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from .encryption import SealedSecret
from .meta import PluginMeta, SettingField
from .models import PluginConfiguration

_UNREADABLE_NOTE = gettext_lazy(
    "The stored value cannot be decrypted with the current keys (SECRET_KEY changed?): enter it again; "
    "until then the plugin is off on this site."
)


def field_for(setting: SettingField, stored_secret: Any) -> forms.Field:
    """A form field for one setting; a secret is write-only (its stored value is never sent back)."""
    unreadable = isinstance(stored_secret, SealedSecret)
    has_stored_secret = bool(stored_secret) and not unreadable
    # A plugin declares its labels and help in English, marked for the catalogue: shown translated.
    label = gettext(setting.label) if setting.label else ""
    help_text = gettext(setting.help_text) if setting.help_text else ""
    common: dict[str, Any] = {
        "label": label,
        "help_text": help_text,
        "required": setting.required and not (setting.is_secret and has_stored_secret),
    }
    if setting.is_secret:
        note = gettext("A value is stored; leave empty to keep it.") if has_stored_secret else gettext("Not set.")
        note = str(_UNREADABLE_NOTE) if unreadable else note
        common["help_text"] = f"{help_text} {note}".strip()
        if setting.kind == "secret_text":  # never given an initial value: the stored one is not sent back
            attrs = {"rows": 6, "autocomplete": "off", "spellcheck": "false"}
            return forms.CharField(widget=forms.Textarea(attrs=attrs), **common)
        # render_value=False: a stored secret is never sent back to the browser.
        return forms.CharField(widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}), **common)
    if setting.kind == "bool":
        common["required"] = False
        return forms.BooleanField(**common)
    if setting.kind == "int":
        return forms.IntegerField(**common)
    if setting.kind == "float":
        return forms.FloatField(**common)
    if setting.kind == "choice":
        return forms.ChoiceField(choices=[(value, gettext(text)) for value, text in setting.choices], **common)
    if setting.kind == "url":
        return forms.URLField(assume_scheme="https", **common)
    if setting.kind == "text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
    return forms.CharField(**common)


class PluginConfigurationForm(forms.Form):
    enabled = forms.BooleanField(required=False, label=gettext_lazy("Enabled on this site"))

    def __init__(self, meta: PluginMeta, configuration: PluginConfiguration, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.meta = meta
        self.configuration = configuration
        self.fields["enabled"].initial = configuration.enabled
        for setting in meta.settings:
            stored = configuration.secrets.get(setting.name) if setting.is_secret else None
            field = field_for(setting, stored)
            if not setting.is_secret:
                value = configuration.settings.get(setting.name)
                field.initial = value if value not in (None, "") else setting.initial()
            self.fields[f"setting_{setting.name}"] = field
            if setting.is_secret:
                self.fields[f"clear_{setting.name}"] = forms.BooleanField(
                    required=False,
                    label=gettext("Remove the stored %(lower)s") % {"lower": gettext(setting.label).lower()},
                )

    def setting_fields(self):
        return [self[name] for name in self.fields if name != "enabled"]

    def save(self) -> PluginConfiguration:
        config = self.configuration
        config.enabled = self.cleaned_data["enabled"]
        values = dict(config.settings)
        secrets = dict(config.secrets)
        for setting in self.meta.settings:
            value = self.cleaned_data.get(f"setting_{setting.name}")
            if setting.is_secret:
                if self.cleaned_data.get(f"clear_{setting.name}"):
                    secrets.pop(setting.name, None)
                elif value:
                    secrets[setting.name] = value
            else:
                values[setting.name] = value
        config.settings, config.secrets = values, secrets
        config.save()
        return config
