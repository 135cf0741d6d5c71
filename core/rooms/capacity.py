"""How many seats a session may sell: as many as the site's video backend holds.

A mesh carries a handful of people, an SFU hundreds. Selling a seat the room
cannot hold takes a learner's money for nothing, so publishing a session with
more seats than the backend that will carry it is refused. Which backend
applies is decided as the room decides it (``services.choose_backend``): the
one the site names in *Settings > Rooms*, else the biggest enabled one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext
from wagtail.models import Site

from .models import RoomSettings


@dataclass(frozen=True)
class VideoCapacity:
    """The most people (mentor included) the backend that will carry a site's rooms holds."""

    backend: str  # its display name
    max_participants: int

    @property
    def max_seats(self) -> int:
        return self.max_participants - 1  # the mentor takes one place


def video_capacity(site: Site | None = None) -> VideoCapacity | None:
    """The limit on ``site`` (default: the default site); ``None`` when no video backend is enabled."""
    from core.plugins.manager import get_manager

    from .services import _max_participants

    site = site or Site.objects.filter(is_default_site=True).first()
    site_id = site.pk if site else None
    offered = [
        (backend, size)
        for _, backend in get_manager().providers("peerlearn_video_backends", site_id=site_id)
        if (size := _max_participants(backend))
    ]
    if not offered:
        return None
    wanted = RoomSettings.for_site(site).video_backend.strip() if site else ""
    named = [item for item in offered if wanted and getattr(item[0], "identifier", None) == wanted]
    backend, size = named[0] if named else max(offered, key=lambda item: item[1])
    return VideoCapacity(backend=str(getattr(backend, "display_name", "") or backend.identifier), max_participants=size)


def video_backend_capacity_error(capacity: int, site: Site | None = None) -> str:
    """Why ``capacity`` seats do not fit the site's video backend, or ``""`` when they do."""
    limit = video_capacity(site)
    if limit is None or capacity <= limit.max_seats:
        return ""
    return gettext(
        "The video rooms of this site (%(backend)s) hold at most %(people)s people, mentor included: give "
        "the session at most %(seats)s seats. For bigger groups the site's editors can enable a group "
        "video backend (Settings › Plugins)."
    ) % {"backend": limit.backend, "people": limit.max_participants, "seats": limit.max_seats}
