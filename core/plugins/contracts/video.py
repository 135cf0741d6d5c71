"""The video contract: how a booking's room is joined and with which ICE servers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Participant:
    user_id: int
    display_name: str
    role: Literal["mentor", "learner"]


@dataclass(frozen=True)
class RoomRequest:
    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    participant: Participant
    expected_participants: int


@dataclass(frozen=True)
class RoomInfo:
    """``mode="signalling"``: the page speaks our protocol at ``signalling_path``;
    ``mode="external"``: the page sends the participant to ``external_url``."""

    mode: Literal["signalling", "external"]
    signalling_path: str = ""
    external_url: str = ""
    page_config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str = ""
    credential: str = ""

    def as_browser_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"urls": list(self.urls)}
        if self.username:
            data["username"] = self.username
            data["credential"] = self.credential
        return data


class VideoBackend(ABC):
    identifier: ClassVar[str]
    display_name: ClassVar[str]
    max_participants: ClassVar[int]

    @abstractmethod
    def room_for(self, request: RoomRequest) -> RoomInfo: ...
