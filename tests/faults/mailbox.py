"""A mail backend for fault tests: one file per message, named after its recipient and subject."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class FileMailbox(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        delay = float(os.environ.get("PEERLEARN_FAULT_MAIL_DELAY", "0"))
        for message in email_messages:
            time.sleep(delay)
            name = f"{uuid.uuid4().hex}.txt"
            (folder / f"{name}.part").write_text(f"{','.join(message.to)}\n{message.subject}\n")
            os.replace(folder / f"{name}.part", folder / name)  # whole or absent, even under SIGKILL
        return len(email_messages)


def read_mailbox(folder: Path) -> list[tuple[str, str]]:
    """(recipients, subject) of every message written to ``folder``."""
    found = []
    for path in sorted(folder.glob("*.txt")):
        to, subject = path.read_text().split("\n")[:2]
        found.append((to, subject))
    return found
