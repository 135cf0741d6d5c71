"""Fixtures of the messaging tests: a mentor, a learner, a booking between them, files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def mentor(user_factory):
    return user_factory(is_mentor=True, display_name="Maya Mentor")


@pytest.fixture
def learner(user_factory):
    return user_factory(display_name="Lee Learner")


@pytest.fixture
def book():
    """``book(mentor, learner)``: a real booking of a free session of the mentor."""
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    def make(mentor, learner):
        start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        session = create_session(mentor, title="Python clinic", start=start, duration_minutes=60, capacity=1)
        return book_session(session, learner)

    return make


@pytest.fixture
def png():
    return lambda name="picture.png": SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def elf_as_png():
    return SimpleUploadedFile("holiday.png", ELF, content_type="image/png")


def big_file(size: int, name: str = "big.png") -> SimpleUploadedFile:
    """A PNG-looking file of ``size`` bytes (a real upload of that size)."""
    return SimpleUploadedFile(name, PNG + b"\x00" * (size - len(PNG)), content_type="image/png")


@pytest.fixture
def text_file():
    return lambda content=b"notes\n", name="notes.txt": SimpleUploadedFile(name, content, content_type="text/plain")
