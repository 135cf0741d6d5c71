"""Sign-up and profile forms of the site (the API shares their validators)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.taxonomy.models import Skill

from .models import User
from .validators import LANGUAGE_NAMES, available_time_zones, language_name
from .widgets import ChipsSelectMultiple

ROLE_CHOICES = [("learner", gettext_lazy("Learn from mentors")), ("mentor", gettext_lazy("Mentor others"))]


def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz.replace("_", " ")) for tz in sorted(available_time_zones())]


def language_choices() -> list[tuple[str, str]]:
    """Every language, named and sorted in the reader's language (a callable: run when a form is made)."""
    return sorted(((code, language_name(code)) for code in LANGUAGE_NAMES), key=lambda item: item[1].casefold())


def language_setting_choices() -> list[tuple[str, str]]:
    """The site's languages, each named in itself, after the choice to follow the browser."""
    return [("", _("Follow my browser"))] + [
        (code, translation.get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
    ]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", ROLE_CHOICES)
        kwargs.setdefault("label", gettext_lazy("I want to"))
        kwargs.setdefault("error_messages", {"required": gettext_lazy("Choose at least one role.")})
        super().__init__(**kwargs)


class ProfileSignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = forms.CharField(max_length=80, label=gettext_lazy("Display name"))
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="UTC",
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("Pre-filled from your browser."),
    )
    roles = RolesField(initial=["learner"])
    interests = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"),
        required=False,
        widget=ChipsSelectMultiple(placeholder=gettext_lazy("Type a skill, e.g. Python or guitar")),
        label=gettext_lazy("What would you like to learn?"),
    )

    field_order = ["email", "password1", "password2", "display_name", "time_zone", "roles", "interests"]

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.set_roles(self.cleaned_data["roles"])
        user.save()
        user.interests.set(self.cleaned_data["interests"])


class ProfileForm(forms.ModelForm):
    roles = RolesField()
    time_zone = forms.ChoiceField(choices=time_zone_choices, label=gettext_lazy("Time zone"))
    languages = forms.MultipleChoiceField(
        choices=language_choices,
        required=False,
        widget=ChipsSelectMultiple(attrs={"size": 6}, placeholder=gettext_lazy("Type a language, e.g. Spanish")),
        label=gettext_lazy("Languages you speak"),
    )

    class Meta:
        model = User
        fields = ["display_name", "bio", "photo", "time_zone", "languages", "preferred_language", "skills", "interests"]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "skills": ChipsSelectMultiple(placeholder=gettext_lazy("Type a skill you teach")),
            "interests": ChipsSelectMultiple(placeholder=gettext_lazy("Type a skill you want to learn")),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/*"}),
        }
        labels = {
            "display_name": gettext_lazy("Display name"),
            "bio": gettext_lazy("Bio"),
            "photo": gettext_lazy("Photo"),
            "skills": gettext_lazy("Skills you can teach"),
            "interests": gettext_lazy("Skills you want to learn"),
        }
        help_texts = {"skills": "", "interests": ""}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].initial = self.instance.roles
        self.fields["preferred_language"].choices = language_setting_choices()
        # A saved zone is the person's choice: the browser must not pre-fill over it.
        self.fields["time_zone"].widget.attrs["data-keep"] = ""
        limit_mb = settings.PROFILE_PHOTO_MAX_BYTES // 1_048_576
        self.fields["photo"].help_text = gettext("JPEG, PNG or WebP, up to %(size)s MB.") % {"size": limit_mb}

    def save(self, commit: bool = True) -> User:
        self.instance.set_roles(self.cleaned_data["roles"])
        return super().save(commit=commit)
