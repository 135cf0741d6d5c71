"""The room page: parse, ask the services what this person sees, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.security import csp

from . import services


@login_required
@require_GET
def room(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        page = services.room_page(request.user, session_id, host=request.get_host())
    except services.RoomRefused as refused:
        if refused.http_status == 404:
            raise Http404(refused.message) from None
        return render(
            request,
            "rooms/refused.html",
            {"message": refused.message, "reason": refused.reason},
            status=refused.http_status,
        )
    if page.backend is not None and page.backend.room.connect_sources:
        csp.allow(request, "connect-src", page.backend.room.connect_sources)
    response = render(request, "rooms/room.html", {"page": page, "session": page.session})
    # The page asks for the camera and microphone of this origin only, and is never framed.
    response["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self)"
    response["Cache-Control"] = "no-store"
    return response
