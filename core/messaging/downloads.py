"""Serving an attachment: always a download, with the type read from its content and no sniffing."""

from __future__ import annotations

from django.http import FileResponse

from .models import Message


def attachment_response(message: Message) -> FileResponse:
    """``message``'s file as ``Content-Disposition: attachment``; a browser never renders it as a page."""
    content_type = message.attachment_type or "application/octet-stream"
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        message.attachment.open("rb"),
        as_attachment=True,
        filename=message.attachment_name or "attachment",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened anyway (a PDF viewer, a direct navigation): no scripts, no plugins, no same-origin access.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
