"""Forms of the scheduling pages. They parse; the services validate the domain and save."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.forms.fields import BaseTemporalField
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, ngettext

from core.accounts.widgets import ChipsSelectMultiple
from core.taxonomy.models import Skill

from . import currency as money
from .models import DateOverride
from .services.sessions import MAX_CAPACITY, MAX_DURATION, MIN_DURATION


def _minutes(n: int) -> str:
    return ngettext("%(count)d minute", "%(count)d minutes", n) % {"count": n}


def _every(n: int) -> str:
    return ngettext("Every %(count)d minute", "Every %(count)d minutes", n) % {"count": n}


# Choice labels made lazily: read in the language of the page that shows them.
minutes_label = lazy(_minutes, str)
every_label = lazy(_every, str)
LENGTH_CHOICES = [(n, minutes_label(n)) for n in (15, 30, 45, 60, 90, 120)]
STEP_CHOICES = [(15, every_label(15)), (30, every_label(30)), (60, gettext_lazy("Every hour"))]
DURATION_CHOICES = [(n, minutes_label(n)) for n in (30, 45, 60, 90, 120, 180)]


class SchedulingProfileForm(forms.Form):
    min_notice_hours = forms.IntegerField(
        label=gettext_lazy("Minimum notice (hours)"),
        min_value=0,
        max_value=24 * 30,
        help_text=gettext_lazy("How soon before a slot learners can book it."),
    )
    horizon_days = forms.IntegerField(
        label=gettext_lazy("Book ahead (days)"),
        min_value=1,
        max_value=366,
        help_text=gettext_lazy("How far ahead your slots are offered."),
    )
    buffer_minutes = forms.IntegerField(
        label=gettext_lazy("Break between sessions (minutes)"), min_value=0, max_value=240
    )
    slot_lengths = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Session lengths you offer"),
        choices=LENGTH_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    slot_step_minutes = forms.TypedChoiceField(label=gettext_lazy("Slots start"), choices=STEP_CHOICES, coerce=int)

    @classmethod
    def initial_for(cls, profile) -> dict:
        return {
            "min_notice_hours": profile.min_notice_minutes // 60,
            "horizon_days": profile.horizon_days,
            "buffer_minutes": profile.buffer_minutes,
            "slot_lengths": profile.slot_lengths or [60],
            "slot_step_minutes": profile.slot_step_minutes,
        }

    def profile_values(self) -> dict:
        data = self.cleaned_data
        return {
            "min_notice_minutes": data["min_notice_hours"] * 60,
            "horizon_days": data["horizon_days"],
            "buffer_minutes": data["buffer_minutes"],
            "slot_lengths": data["slot_lengths"],
            "slot_step_minutes": data["slot_step_minutes"],
        }


class OverrideForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Date"))
    kind = forms.ChoiceField(
        choices=DateOverride.KIND_CHOICES, widget=forms.RadioSelect, initial="unavailable", label=gettext_lazy("Kind")
    )
    start_time = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), label=gettext_lazy("From")
    )
    end_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        label=gettext_lazy("To"),
        help_text=gettext_lazy("Leave both empty for the whole day off. 00:00 as the end means midnight."),
    )
    note = forms.CharField(required=False, max_length=120, label=gettext_lazy("Note (only you see it)"))


def parse_local(value: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time typed by a person in ``zone``; refuses times the clock skips, picks
    the first of a repeated hour (and says so through ``fold``)."""
    naive = value.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
        if back != naive:
            raise forms.ValidationError(
                gettext("That time does not exist in %(zone)s: the clocks skip it for daylight saving."),
                params={"zone": str(zone)},
                code="nonexistent_time",
            )
    return first


class LocalDateTimeField(forms.DateTimeField):
    """A naive wall-clock date-time; the form decides its zone (Django's own would use the active one
    and refuse both skipped and repeated times)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return BaseTemporalField.to_python(self, value)


class SessionForm(forms.Form):
    title = forms.CharField(max_length=140, label=gettext_lazy("Title"))
    description = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 5}), label=gettext_lazy("Description")
    )
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"),
        required=False,
        label=gettext_lazy("Skills"),
        widget=ChipsSelectMultiple(placeholder=gettext_lazy("Type a skill this session teaches")),
    )
    start = LocalDateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.TypedChoiceField(
        label=gettext_lazy("Length"), choices=DURATION_CHOICES, coerce=int, initial=60
    )
    capacity = forms.IntegerField(
        min_value=1,
        max_value=MAX_CAPACITY,
        initial=6,
        label=gettext_lazy("Capacity"),
        help_text=gettext_lazy("1 makes it a one-to-one session."),
    )
    price = forms.CharField(
        max_length=32,
        initial="0",
        label=gettext_lazy("Price"),
        help_text=gettext_lazy("Per seat, in the currency below. 0 makes it free."),
    )
    currency = forms.ChoiceField(choices=money.CURRENCY_CHOICES, initial="EUR", label=gettext_lazy("Currency"))

    def __init__(self, *args, zone: ZoneInfo, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["start"].help_text = gettext("In your time zone, %(zone)s.") % {"zone": zone}

    def clean_start(self) -> datetime:
        value = self.cleaned_data["start"]
        if not 1970 <= value.year <= 2999:
            raise forms.ValidationError(gettext("That date is out of range."), code="out_of_range")
        return parse_local(value, self.zone)

    def clean_duration_minutes(self) -> int:
        value = self.cleaned_data["duration_minutes"]
        if not MIN_DURATION <= value <= MAX_DURATION:
            raise forms.ValidationError(gettext("Choose one of the lengths offered."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        if "price" in data and "currency" in data:
            try:
                data["price_minor"] = money.to_minor(data["price"], data["currency"])
            except money.MoneyError as exc:
                self.add_error("price", exc.message)
        return data
