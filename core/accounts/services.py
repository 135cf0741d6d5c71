"""Account operations shared by the site's forms and the REST API."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.account.utils import setup_user_email
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from core.taxonomy.models import Skill

from .models import User


@transaction.atomic
def register_user(
    request: HttpRequest,
    *,
    email: str,
    password: str,
    display_name: str,
    time_zone: str = "UTC",
    roles: Iterable[str] = ("learner",),
    interests: Iterable[Skill] = (),
) -> User:
    """Create an account the way allauth's sign-up does, and send the verification mail."""
    user = User.objects.create_user(email=email, password=password, display_name=display_name, time_zone=time_zone)
    user.set_roles(list(roles))
    user.save(update_fields=["is_learner", "is_mentor"])
    user.interests.set(list(interests))
    setup_user_email(request, user, [])
    address = EmailAddress.objects.get_primary(user)
    if address is not None and settings.ACCOUNT_EMAIL_VERIFICATION != "none":
        transaction.on_commit(lambda: send_verification(request, address))
    return user


def request_registration(request: HttpRequest, *, email: str, password: str, **profile) -> None:
    """Register ``email``, or mail its owner that the account exists: the caller cannot tell which.

    The API answers the same either way, so it never reveals who has an account;
    the mail to an existing address explains and links to sign-in and password reset
    (allauth's "account already exists" mail, as its sign-up form does).
    """
    if not User.objects.filter(email__iexact=email).exists():
        try:
            with transaction.atomic():
                register_user(request, email=email, password=password, **profile)
            return
        except IntegrityError:
            pass  # registered by a concurrent request a moment ago: an existing account now
    make_password(password)  # the time a new account's hash takes, so timing does not tell either
    transaction.on_commit(lambda: send_account_exists(request, email))


def send_account_exists(request: HttpRequest, email: str) -> None:
    with allauth_context.request_context(request):
        get_adapter(request).send_account_already_exists_mail(email)


def send_verification(request: HttpRequest, address: EmailAddress) -> None:
    # allauth's adapter reads the request (for the link's host) from its context.
    with allauth_context.request_context(request):
        address.send_confirmation(request, signup=True)


def email_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def login_blocked_reason(user: User) -> str | None:
    """Why ``user`` may not log in yet, or None."""
    if not user.is_active:
        return gettext("This account is inactive.")
    if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not email_verified(user):
        return gettext("Verify your email address first: we sent you a link.")
    return None
