"""The mentor's profile form and the search form of the site."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_lazy, ngettext
from wagtail.images.fields import WagtailImageField

from core.accounts.forms import language_choices
from core.accounts.widgets import ChipsSelectMultiple
from core.taxonomy.models import Skill


def _search_language_choices() -> list[tuple[str, str]]:
    return [("", gettext("Any language")), *language_choices()]


def _rating_choices() -> list[tuple[str, str]]:
    above = [("4.5", 4.5), ("4", 4), ("3", 3)]
    return [("", gettext("Any rating"))] + [
        (value, gettext("%(rating)s and up") % {"rating": number}) for value, number in above
    ]


def _free_time_choices() -> list[tuple[str, str]]:
    return [
        ("", gettext("Any time")),
        ("1", ngettext("In the next %(count)d hour", "In the next %(count)d hours", 24) % {"count": 24}),
        ("3", ngettext("In the next %(count)d day", "In the next %(count)d days", 3) % {"count": 3}),
        ("7", gettext("This week")),
        ("14", ngettext("In the next %(count)d week", "In the next %(count)d weeks", 2) % {"count": 2}),
        ("30", ngettext("In the next %(count)d day", "In the next %(count)d days", 30) % {"count": 30}),
    ]


class SkillChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Skill) -> str:
        return f"{obj.name} ({obj.category})" if obj.category else obj.name


class MentorProfileForm(forms.Form):
    """What a mentor may change on their public page; the result goes to the editors for approval."""

    headline = forms.CharField(
        max_length=140,
        required=False,
        label=gettext_lazy("Headline"),
        help_text=gettext_lazy("One line: what you teach and to whom (140 characters)."),
    )
    bio = forms.CharField(
        label=gettext_lazy("Bio"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=6000,
        required=False,
        help_text=gettext_lazy("Plain text; leave an empty line between paragraphs."),
    )
    skills = SkillChoiceField(
        label=gettext_lazy("Skills"),
        queryset=Skill.objects.order_by("category", "name"),
        widget=ChipsSelectMultiple(placeholder=gettext_lazy("Type a skill, e.g. Python")),
        required=False,
        help_text=gettext_lazy("What you teach: learners find you by these."),
    )
    languages = forms.MultipleChoiceField(
        choices=language_choices,
        required=False,
        label=gettext_lazy("Languages"),
        widget=ChipsSelectMultiple(placeholder=gettext_lazy("Type a language, e.g. Hindi")),
        help_text=gettext_lazy("The languages you can teach in."),
    )
    hourly_rate = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=4,
        label=gettext_lazy("Hourly rate"),
        help_text=gettext_lazy("Price of one hour, e.g. 25 or 25.50. 0 means not priced yet."),
    )
    currency = forms.ChoiceField(
        choices=(), label=gettext_lazy("Currency"), help_text=gettext_lazy("ISO 4217 code, e.g. USD, EUR, INR, GBP.")
    )
    photo = WagtailImageField(
        required=False, label=gettext_lazy("Photo"), help_text=gettext_lazy("A clear photo of you (JPEG, PNG or WebP).")
    )
    remove_photo = forms.BooleanField(required=False, label=gettext_lazy("Remove the current photo"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from core.scheduling.currency import CURRENCY_CHOICES

        super().__init__(*args, **kwargs)
        # Wagtail words the photo's limits when the form class is made: say them in the reader's language.
        photo = self.fields["photo"]
        photo.help_text = gettext(
            "Supported formats: %(supported_formats)s. Maximum filesize: %(max_upload_size)s."
        ) % {
            "supported_formats": photo.supported_formats_text,
            "max_upload_size": filesizeformat(photo.max_upload_size),
        }
        self.fields["currency"].choices = CURRENCY_CHOICES

    def clean(self) -> dict[str, Any]:
        from core.scheduling.currency import MoneyError, to_minor

        data = super().clean()
        rate, currency = data.get("hourly_rate"), data.get("currency")
        if rate is not None and currency:
            try:
                data["hourly_rate_minor"] = to_minor(rate.normalize(), currency)
            except MoneyError as exc:
                self.add_error("hourly_rate", exc.message)
            else:
                if data["hourly_rate_minor"] > 2**31 - 1:
                    self.add_error("hourly_rate", gettext("The hourly rate is too large."))
        return data


class MentorSearchForm(forms.Form):
    """The filters of the search page; validation itself is :func:`core.catalogue.search.parse_filters`.

    ``currencies`` are those prices can be compared in (the reference and every currency with a rate).
    """

    q = forms.CharField(required=False, label=gettext_lazy("Search"), max_length=200)
    skill = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("category", "name"),
        to_field_name="slug",
        required=False,
        label=gettext_lazy("Skills"),
        widget=ChipsSelectMultiple(placeholder=gettext_lazy("Type a skill")),
    )
    # Choices are callables: named in the reader's language each time a form is made.
    language = forms.ChoiceField(choices=_search_language_choices, required=False, label=gettext_lazy("Language"))
    min_price = forms.DecimalField(required=False, min_value=0, label=gettext_lazy("Min price / hour"))
    max_price = forms.DecimalField(required=False, min_value=0, label=gettext_lazy("Max price / hour"))
    price_currency = forms.ChoiceField(required=False, label=gettext_lazy("Prices in"), choices=())
    min_rating = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Rating"),
        choices=_rating_choices,
    )
    free_within_days = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Free time"),
        choices=_free_time_choices,
    )

    def __init__(self, *args: Any, currencies: list[str] | None = None, **kwargs: Any) -> None:
        from .exchange import reference_currency

        super().__init__(*args, **kwargs)
        codes = currencies or [reference_currency()]
        self.fields["price_currency"].choices = [(code, code) for code in codes]
        self.fields["price_currency"].initial = reference_currency()


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (5, gettext_lazy("5 - Excellent")),
            (4, gettext_lazy("4 - Good")),
            (3, gettext_lazy("3 - OK")),
            (2, gettext_lazy("2 - Poor")),
            (1, gettext_lazy("1 - Bad")),
        ],
        widget=forms.RadioSelect,
        help_text=gettext_lazy("How was the session?"),
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "Optional. What went well, what could be better? Shown on the mentor's page once approved."
        ),
    )
