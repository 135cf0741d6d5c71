from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .forms import ProfileForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {"profile_user": request.user})


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    if request.method == "POST":
        messages.error(request, _("Please correct the errors below; nothing was saved."))
    return render(request, "accounts/profile_edit.html", {"form": form}, status=400 if form.errors else 200)


@csrf_exempt
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's ``set_language`` (cookie, safe redirect), and the profile.

    CSRF-exempt because visitors' pages come from the shared page cache, which never holds a
    CSRF token; a forged post can only change a visitor's language cookie. A signed-in
    person's profile is written only when the post also passes the CSRF check.
    """
    response = i18n_views.set_language(request)
    code = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and code in dict(settings.LANGUAGES) and _csrf_ok(request):
        if user.preferred_language != code:
            user.preferred_language = code
            user.save(update_fields=["preferred_language"])
    return response


def _csrf_ok(request: HttpRequest) -> bool:
    return CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(request, None, (), {}) is None
