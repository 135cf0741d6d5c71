"""REST endpoints of accounts: register, token login/logout, profile."""

from __future__ import annotations

from allauth.account.forms import LoginForm
from allauth.core import context as allauth_context
from django.contrib.auth import logout as session_logout
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.security.client_ip import client_ip
from core.taxonomy.models import Skill

from . import services
from .models import User
from .validators import validate_language_codes, validate_time_zone

ROLE_CHOICES = [("learner", gettext_lazy("Learner")), ("mentor", gettext_lazy("Mentor"))]


def _django_validator(validator):
    def run(value):
        try:
            validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    return run


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "slug", "category"]


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES), read_only=True)
    skills = SkillSerializer(many=True, read_only=True)
    interests = SkillSerializer(many=True, read_only=True)
    email_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "display_name",
            "roles",
            "bio",
            "photo",
            "time_zone",
            "languages",
            "preferred_language",
            "skills",
            "interests",
            "date_joined",
        ]
        read_only_fields = fields

    def get_email_verified(self, user: User) -> bool:
        return services.email_verified(user)


#: The longest address the database stores (and RFC 5321 allows); longer is refused as bad input.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    display_name = serializers.CharField(max_length=80)
    time_zone = serializers.CharField(default="UTC", validators=[_django_validator(validate_time_zone)])
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ROLE_CHOICES), default=["learner"], allow_empty=False
    )
    interests = serializers.SlugRelatedField(slug_field="slug", queryset=Skill.objects.all(), many=True, required=False)

    def validate_email(self, value: str) -> str:
        # No "already registered" error: that would tell anyone who has an account.
        return value.lower()

    def validate(self, attrs: dict) -> dict:
        candidate = User(email=attrs["email"], display_name=attrs["display_name"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class ProfileUpdateSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ROLE_CHOICES), allow_empty=False, required=False
    )
    time_zone = serializers.CharField(validators=[_django_validator(validate_time_zone)], required=False)
    languages = serializers.ListField(
        child=serializers.CharField(), required=False, validators=[_django_validator(validate_language_codes)]
    )
    skills = serializers.SlugRelatedField(slug_field="slug", queryset=Skill.objects.all(), many=True, required=False)
    interests = serializers.SlugRelatedField(slug_field="slug", queryset=Skill.objects.all(), many=True, required=False)

    class Meta:
        model = User
        fields = [
            "display_name",
            "bio",
            "photo",
            "time_zone",
            "languages",
            "preferred_language",
            "roles",
            "skills",
            "interests",
        ]

    def update(self, instance: User, validated_data: dict) -> User:
        roles = validated_data.pop("roles", None)
        if roles is not None:
            instance.set_roles(roles)
        return super().update(instance, validated_data)


class AuthThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"

    def get_ident(self, request: Request) -> str:
        """Per client behind the trusted proxies, never per proxy nor per forged header."""
        return client_ip(request._request)


class RegistrationAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    email = serializers.EmailField()


REGISTRATION_ACCEPTED = (
    "Check your inbox: we sent a message to {email}. Follow its link to confirm the address, then log in."
)


@extend_schema(tags=["auth"], request=RegisterSerializer, responses={202: RegistrationAcceptedSerializer})
class RegisterView(APIView):
    """Create an account; a verification email is sent to the address.

    The answer is the same whether or not the address already has an account (so
    nobody learns who is registered): an existing owner gets a mail saying so, with
    links to log in and to reset the password. Log in afterwards for a token.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"

    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_registration(request._request, **serializer.validated_data)
        email = serializer.validated_data["email"]
        body = {"detail": REGISTRATION_ACCEPTED.format(email=email), "email": email}
        return Response(body, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["auth"],
    request=LoginSerializer,
    responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField(), "user": UserSerializer()})},
)
class LoginView(APIView):
    """Exchange email and password for a token (``Authorization: Token <key>``).

    Uses allauth's login form, so its login throttling applies here too.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with allauth_context.request_context(request._request):
            form = LoginForm(data={"login": data["email"], "password": data["password"]}, request=request._request)
            valid = form.is_valid()
        if not valid:
            message = " ".join(form.non_field_errors()) or "The email address and/or password are wrong."
            code = "throttled" if "too many" in message.lower() else "invalid_credentials"
            return Response({"detail": message, "code": code}, status=429 if code == "throttled" else 400)
        user = form.user
        blocked = services.login_blocked_reason(user)
        if blocked:
            return Response({"detail": blocked, "code": "login_blocked"}, status=403)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "user": UserSerializer(user, context={"request": request}).data})


@extend_schema(tags=["auth"], request=None, responses={204: None})
class LogoutView(APIView):
    """Revoke the caller's token and end the browser session, if any."""

    def post(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["users"])
class ProfileView(generics.RetrieveAPIView):
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self) -> User:
        return self.request.user


@extend_schema(tags=["users"], responses={200: UserSerializer})
class ProfileUpdateView(generics.UpdateAPIView):
    """Change the caller's profile (JSON, or multipart to upload a photo)."""

    serializer_class = ProfileUpdateSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self) -> User:
        return self.request.user

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        return Response(UserSerializer(user, context={"request": request}).data)
