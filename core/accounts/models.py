"""People on PeerLearn: one account, the roles learner and/or mentor, a profile."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.taxonomy.models import Skill

from .validators import language_name, validate_language_codes, validate_photo, validate_time_zone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """An account signed in by email. ``username`` is dropped."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)

    display_name = models.CharField(max_length=80)
    is_learner = models.BooleanField(_("learner"), default=True)
    is_mentor = models.BooleanField(_("mentor"), default=False)
    bio = models.TextField(blank=True, max_length=4000)
    photo = models.ImageField(upload_to="profile-photos/", blank=True, validators=[validate_photo])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_("ISO 639-1 codes, e.g. ['en', 'hi']"),
    )
    # The language the site, emails and notifications speak to this person; empty: the browser's.
    preferred_language = models.CharField(
        _("site language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of these pages and of your emails. Leave empty to follow your browser."),
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="skilled_users", help_text=_("What this person can teach")
    )
    interests = models.ManyToManyField(
        Skill, blank=True, related_name="interested_users", help_text=_("What this person wants to learn")
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def roles(self) -> list[str]:
        return [role for role, flag in (("learner", self.is_learner), ("mentor", self.is_mentor)) if flag]

    @property
    def language_names(self) -> list[str]:
        return [language_name(code) for code in self.languages or []]

    def set_roles(self, roles: list[str]) -> None:
        self.is_learner = "learner" in roles
        self.is_mentor = "mentor" in roles
