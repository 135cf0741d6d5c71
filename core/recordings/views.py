"""Recording pages: a session's recordings, one recording's playback, and the download of a file.

Every view checks that the viewer is one of the session's participants or an
editor; anyone else gets 404, so a stranger cannot even learn a recording
exists. Files are always served as attachments with ``nosniff``: a stored
upload can never be rendered by the browser as a page of this site (a
``<video>`` element still plays it).
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import services
from .models import Recording

#: What a stored recording may be served as; anything else goes out as a plain download.
MEDIA_TYPES = frozenset({"video/webm", "audio/webm", "video/mp4", "audio/ogg", "video/x-matroska"})


def _or_404(fn, *args):
    try:
        return fn(*args)
    except services.RecordingRefused as refused:
        raise Http404(refused.message) from None


@login_required
@require_GET
def session_recordings(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _or_404(services.viewable_session, session_id, request.user)
    recordings = Recording.objects.filter(session=session).prefetch_related("files")
    return render(
        request,
        "recordings/session.html",
        {"session": session, "recordings": recordings, "can_delete": services.can_delete},
    )


@login_required
@require_GET
def playback(request: HttpRequest, recording_id: int) -> HttpResponse:
    recording = _or_404(services.viewable_recording, recording_id, request.user)
    files = [part for part in recording.files.all() if part.complete and part.file]
    response = render(
        request,
        "recordings/playback.html",
        {
            "recording": recording,
            "session": recording.session,
            "files": files,
            "may_delete": services.can_delete(recording, request.user),
            "own_files": [part for part in files if part.user_id == request.user.pk],
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def download(request: HttpRequest, file_id: int) -> FileResponse:
    part = _or_404(services.viewable_file, file_id, request.user)
    content_type = part.content_type.split(";")[0].strip().lower()
    if content_type not in MEDIA_TYPES:
        content_type = "application/octet-stream"
    extension = mimetypes.guess_extension(content_type) or ".bin"
    name = f"session-{part.recording.session_id}-recording-{part.recording_id}-{part.pk}{extension}"
    response = FileResponse(part.file.open("rb"), as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def delete(request: HttpRequest, recording_id: int) -> HttpResponse:
    """The mentor or an editor deletes the whole recording; a participant deletes their own media."""
    recording = _or_404(services.viewable_recording, recording_id, request.user)
    session_id = recording.session_id
    try:
        if request.POST.get("what") == "mine":
            services.delete_own_media(recording_id, request.user)
            messages.success(request, _("Your media was deleted from this recording."))
            return redirect("recordings:playback", recording_id)
        services.delete_recording(recording_id, request.user)
    except services.RecordingRefused as refused:
        messages.error(request, refused.message)
        return redirect("recordings:playback", recording_id)
    messages.success(request, _("The recording was deleted."))
    return redirect("recordings:session", session_id)
