"""What a message attachment may be, decided by its bytes, never by its name.

A file is accepted only when its first bytes are those of an allowed type
(PNG, JPEG, GIF, WebP, PDF) or it is UTF-8 text without control characters.
The stored extension and the type served come from that reading: an
executable renamed ``.png`` is refused, and an HTML page renamed ``.txt`` is
served as ``text/plain`` and as a download, never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext

from .errors import MessagingRefusal

#: Bytes read to decide the type; text is checked over this many bytes too.
SNIFF_BYTES = 64 * 1024

SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    # (magic, offset, MIME type, extension)
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"GIF87a", 0, "image/gif", ".gif"),
    (b"GIF89a", 0, "image/gif", ".gif"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
)
TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f")


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def max_bytes() -> int:
    return settings.MESSAGE_ATTACHMENT_MAX_BYTES


def sniff(head: bytes) -> Sniffed | None:
    """The allowed type ``head`` (the file's first bytes) starts with, or None."""
    for magic, offset, content_type, extension in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(content_type, extension)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", ".webp")
    if _is_text(head):
        return Sniffed("text/plain", ".txt")
    return None


def _is_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # only a character cut at the sniffing boundary is forgiven
            return False
        text = head[: error.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in TEXT_CONTROLS_ALLOWED or ch == "\x7f" for ch in text)


def safe_display_name(name: str, extension: str) -> str:
    """The uploader's name, stripped of folders and control characters, ending in the sniffed extension."""
    stem = PurePosixPath(name.replace("\\", "/")).stem or "attachment"
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>:|?*')[:80].strip(" .") or "attachment"
    return f"{stem}{extension}"


def check(upload) -> tuple[Sniffed, str]:
    """The sniffed type and display name of ``upload``; raises :class:`MessagingRefusal` for a bad file."""
    limit = max_bytes()
    if upload.size > limit:
        raise MessagingRefusal(
            gettext("The file is %(size).1f MB; attachments may be at most %(limit).0f MB.")
            % {"size": upload.size / 1_048_576, "limit": limit / 1_048_576},
            code="attachment_too_large",
            field="attachment",
            status=413,
        )
    if upload.size == 0:
        raise MessagingRefusal(gettext("The file is empty."), code="attachment_empty", field="attachment")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise MessagingRefusal(
            gettext(
                "This kind of file cannot be sent: attach a PNG, JPEG, GIF or WebP image, a PDF or a plain text file."
            ),
            code="attachment_type",
            field="attachment",
        )
    return found, safe_display_name(upload.name or "", found.extension)
