"""The forms of the messaging pages; the rules themselves live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .models import BODY_MAX, MessagingPreference
from .services import REPORT_REASON_MAX


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        strip=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": gettext_lazy("Write a message…"), "class": "input"}),
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attach a file"),
        required=False,
        help_text=gettext_lazy("An image (PNG, JPEG, GIF, WebP), a PDF or a text file, up to 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"}
        ),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is wrong with this message?"),
        max_length=REPORT_REASON_MAX,
        widget=forms.TextInput(attrs={"class": "input"}),
    )


class PreferenceForm(forms.Form):
    first_contact = forms.ChoiceField(
        label=gettext_lazy("Who may write to me first"),
        choices=MessagingPreference.FIRST_CONTACT_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    email_digest = forms.BooleanField(label=gettext_lazy("Email me about messages I have not read"), required=False)
