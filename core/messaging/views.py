"""Pages of messaging: the inbox, a conversation, writing first, attachments, reports, blocks, preferences.

Views parse and render; every rule is in :mod:`core.messaging.services`.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .downloads import attachment_response
from .errors import MessagingRefusal
from .forms import MessageForm, PreferenceForm, ReportForm
from .models import Block, Conversation

User = get_user_model()
PAGE_SIZE = 50


def _not_found(error: MessagingRefusal) -> Http404:
    return Http404(error.message)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.conversations_of(request.user), 30).get_page(request.GET.get("page"))
    rows = [{"conversation": c, "other": c.other(request.user)} for c in page]
    return render(
        request,
        "messaging/inbox.html",
        {"page_obj": page, "rows": rows, "unread_total": services.unread_count(request.user)},
    )


def _thread_context(request: HttpRequest, conversation: Conversation, form: MessageForm) -> dict:
    recent = list(conversation.messages.select_related("sender").order_by("-created_at", "-id")[:PAGE_SIZE])[::-1]
    other = conversation.other(request.user)
    return {
        "conversation": conversation,
        "other": other,
        "thread": recent,
        "form": form,
        "report_form": ReportForm(),
        "i_blocked": Block.objects.filter(blocker=request.user, blocked=other).exists(),
        "blocked": services.is_blocked_between(request.user, other),
        "role": "learner" if request.user.pk == conversation.learner_id else "mentor",
    }


def _send_from_form(request: HttpRequest, send) -> tuple[MessageForm, object | None, int]:
    """The form, the message sent (or None) and the status to answer a refusal with."""
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return form, None, 400
    try:
        message = send(form.cleaned_data.get("body"), form.cleaned_data.get("attachment"))
    except MessagingRefusal as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return form, None, error.status
    return form, message, 200


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        thread = services.conversation_for(request.user, pk)
    except MessagingRefusal as error:
        raise _not_found(error) from error
    if request.method == "POST":
        form, message, status = _send_from_form(
            request, lambda body, upload: services.send(request.user, thread, body, upload)
        )
        if message is not None:
            return redirect(f"{thread.get_absolute_url()}#message-{message.pk}")
        return render(request, "messaging/conversation.html", _thread_context(request, thread, form), status=status)
    services.mark_read(request.user, thread)
    return render(request, "messaging/conversation.html", _thread_context(request, thread, MessageForm()))


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, user_id: int) -> HttpResponse:
    """Write to someone: their existing conversation, or a first message if their rules allow it."""
    recipient = get_object_or_404(User, pk=user_id, is_active=True)
    existing = services.existing_conversation(request.user, recipient)
    if existing is not None:
        return redirect(existing.get_absolute_url())
    refusal = None
    try:
        services.check_may_start(request.user, recipient)
    except MessagingRefusal as error:
        refusal = error.message
    form, status = MessageForm(), 403 if refusal else 200
    if request.method == "POST" and refusal is None:
        form, message, status = _send_from_form(
            request, lambda body, upload: services.start(request.user, recipient, body, upload)
        )
        if message is not None:
            return redirect(message.conversation.get_absolute_url())
    return render(
        request, "messaging/start.html", {"recipient": recipient, "form": form, "refusal": refusal}, status=status
    )


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        message = services.message_for(request.user, pk)
    except MessagingRefusal as error:
        raise _not_found(error) from error
    if not message.attachment:
        raise Http404(gettext("This message has no attachment."))
    return attachment_response(message)


@login_required
@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        message = services.message_for(request.user, pk)
    except MessagingRefusal as error:
        raise _not_found(error) from error
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.report(request.user, message, form.cleaned_data["reason"])
        except MessagingRefusal as error:
            flash.error(request, error.message)
        else:
            flash.success(request, "Thank you: the message was reported and an editor will look at it.")
    else:
        flash.error(request, "Say briefly (up to 500 characters) what is wrong with the message.")
    return redirect(message.conversation.get_absolute_url())


@login_required
@require_POST
def block(request: HttpRequest, user_id: int) -> HttpResponse:
    other = get_object_or_404(User, pk=user_id)
    try:
        services.block(request.user, other)
    except MessagingRefusal as error:
        flash.error(request, error.message)
    else:
        flash.success(request, f"You blocked {other.display_name or 'this person'}: neither of you can write now.")
    return _back(request, other)


@login_required
@require_POST
def unblock(request: HttpRequest, user_id: int) -> HttpResponse:
    other = get_object_or_404(User, pk=user_id)
    services.unblock(request.user, other)
    flash.success(request, f"You unblocked {other.display_name or 'this person'}.")
    return _back(request, other)


def _back(request: HttpRequest, other) -> HttpResponse:
    found = services.existing_conversation(request.user, other)
    return redirect(found.get_absolute_url() if found else "messaging:settings")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    prefs = services.preference(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            first = form.cleaned_data.get("first_contact") or None
            services.set_preferences(
                request.user,
                first_contact=first if request.user.is_mentor else None,
                email_digest=form.cleaned_data["email_digest"],
            )
            flash.success(request, gettext("Your messaging preferences are saved."))
            return redirect("messaging:settings")
    else:
        form = PreferenceForm(initial={"first_contact": prefs.first_contact, "email_digest": prefs.email_digest})
    blocked = Block.objects.filter(blocker=request.user).select_related("blocked").order_by("-created_at")
    return render(request, "messaging/settings.html", {"form": form, "blocked": blocked})
