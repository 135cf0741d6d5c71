"""REST endpoints of recordings: status and consent in the room, start/stop, listing, uploads, deletion."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import parsers, serializers
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.parsers import PayloadTooLarge, _content_length

from . import services
from .models import ConsentDecision, Recording, RecordingFile

#: Described here, given the shared Error body by the schema (core/api/schema.py).
ERROR = OpenApiResponse(description='{"detail": ..., "code": ...}')


class RecordingError(APIException):
    """A :class:`services.RecordingRefused` as ``{"detail", "code"}`` with its status."""

    def __init__(self, refused: services.RecordingRefused) -> None:
        super().__init__(detail=refused.message, code=refused.code)
        self.status_code = refused.status


class RecordingFileSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RecordingFile
        fields = [
            "id",
            "user_id",
            "display_name",
            "content_type",
            "size",
            "offset_seconds",
            "duration_seconds",
            "has_audio",
            "has_video",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, part: RecordingFile) -> str:
        return reverse("recordings:download", args=[part.pk])


class RecordingSerializer(serializers.ModelSerializer):
    files = serializers.SerializerMethodField()
    playback_url = serializers.SerializerMethodField()

    class Meta:
        model = Recording
        fields = [
            "id",
            "session",
            "state",
            "location",
            "backend",
            "started_by_name",
            "started_at",
            "stopped_at",
            "expires_at",
            "playback_url",
            "files",
        ]
        read_only_fields = fields

    def get_files(self, recording: Recording) -> list[dict]:
        parts = [part for part in recording.files.all() if part.complete and part.file]
        return RecordingFileSerializer(parts, many=True).data

    def get_playback_url(self, recording: Recording) -> str:
        return reverse("recordings:playback", args=[recording.pk])


STATUS = inline_serializer(
    "RecordingStatus",
    fields={
        "recording": inline_serializer(
            "LiveRecording",
            fields={
                "id": serializers.IntegerField(),
                "started_by": serializers.CharField(),
                "started_at": serializers.DateTimeField(),
                "location": serializers.ChoiceField(choices=["browser", "server"]),
                "upload_url": serializers.CharField(help_text="Where a consenting page uploads (browser recording)."),
            },
            allow_null=True,
        ),
        "can_record": serializers.BooleanField(help_text="The room's video backend can record."),
        "location": serializers.CharField(),
        "your_decision": serializers.ChoiceField(choices=ConsentDecision.DECISION_CHOICES, allow_blank=True),
        "recorded": serializers.ListField(child=serializers.CharField(), help_text="Who consented."),
        "declined": serializers.ListField(child=serializers.CharField()),
    },
)


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except services.RecordingRefused as refused:
        raise RecordingError(refused) from None


class SessionRecordingsView(APIView):
    """A session's recordings (participants and editors); the mentor starts one with POST."""

    @extend_schema(
        operation_id="session_recordings",
        summary="List a session's recordings",
        responses={200: RecordingSerializer(many=True), 404: ERROR},
        tags=["recordings"],
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = _run(services.viewable_session, session_id, request.user)
        rows = Recording.objects.filter(session=session).prefetch_related("files")
        return Response(RecordingSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="session_recording_start",
        summary="Start recording the room (the mentor)",
        description="Only people who consented are recorded. 409 `not_supported` when the room's video backend "
        "cannot record, `already_recording` when a recording runs.",
        request=None,
        responses={201: RecordingSerializer, 403: ERROR, 404: ERROR, 409: ERROR, 410: ERROR, 425: ERROR},
        tags=["recordings"],
    )
    def post(self, request: Request, session_id: int) -> Response:
        recording = _run(services.start, session_id, request.user, host=request.get_host())
        return Response(RecordingSerializer(recording).data, status=201)


class StopRecordingView(APIView):
    @extend_schema(
        operation_id="session_recording_stop",
        summary="Stop the session's live recording (the mentor)",
        request=None,
        responses={200: RecordingSerializer, 403: ERROR, 409: ERROR},
        tags=["recordings"],
    )
    def post(self, request: Request, session_id: int) -> Response:
        recording = _run(services.stop, session_id, request.user)
        return Response(RecordingSerializer(recording).data)


class ConsentInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ConsentDecision.DECISION_CHOICES)


class ConsentView(APIView):
    """The room's recording status for the signed-in participant, and their consent."""

    @extend_schema(
        operation_id="session_recording_status",
        summary="Recording status of a room and your decision",
        responses={200: STATUS, 403: ERROR, 404: ERROR, 410: ERROR, 425: ERROR},
        tags=["recordings"],
    )
    def get(self, request: Request, session_id: int) -> Response:
        return Response(_run(services.status, session_id, request.user, host=request.get_host()))

    @extend_schema(
        operation_id="session_recording_consent",
        summary="Consent to (or decline) being recorded in this session",
        description="Once per session; a later decision replaces it and both are logged. Declining keeps you "
        "in the room, unrecorded.",
        request=ConsentInput,
        responses={200: STATUS, 400: ERROR, 403: ERROR, 404: ERROR, 410: ERROR, 425: ERROR},
        tags=["recordings"],
    )
    def post(self, request: Request, session_id: int) -> Response:
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        granted = data.validated_data["decision"] == ConsentDecision.GRANTED
        _run(services.decide, session_id, request.user, granted, host=request.get_host())
        return Response(_run(services.status, session_id, request.user, host=request.get_host()))


class RecordingView(APIView):
    @extend_schema(
        operation_id="recording_detail",
        summary="A recording and its files",
        responses={200: RecordingSerializer, 404: ERROR},
        tags=["recordings"],
    )
    def get(self, request: Request, recording_id: int) -> Response:
        return Response(RecordingSerializer(_run(services.viewable_recording, recording_id, request.user)).data)

    @extend_schema(
        operation_id="recording_delete",
        summary="Delete a recording (the mentor or an editor)",
        responses={204: None, 403: ERROR, 404: ERROR},
        tags=["recordings"],
    )
    def delete(self, request: Request, recording_id: int) -> Response:
        _run(services.delete_recording, recording_id, request.user)
        return Response(status=204)


class OwnMediaView(APIView):
    @extend_schema(
        operation_id="recording_delete_own_media",
        summary="Delete your own media from a recording",
        responses={200: inline_serializer("DeletedFiles", {"deleted": serializers.IntegerField()}), 404: ERROR},
        tags=["recordings"],
    )
    def delete(self, request: Request, recording_id: int) -> Response:
        return Response({"deleted": _run(services.delete_own_media, recording_id, request.user)})


class ChunkParser(parsers.BaseParser):
    """A raw chunk of a browser's ``MediaRecorder`` (read up to the size limit, never more)."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = services.CHUNK_MAX_BYTES
        request = (parser_context or {}).get("request")
        if _content_length(request) > limit:
            raise PayloadTooLarge(f"A chunk may be at most {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"A chunk may be at most {limit} bytes.")
        return raw


class ChunkView(APIView):
    """A consenting participant's page uploads its own recording, in order, one chunk at a time."""

    parser_classes = [ChunkParser]

    @extend_schema(
        operation_id="recording_upload_chunk",
        summary="Upload a chunk of your own recording (browser recording)",
        description="Body: the raw bytes `MediaRecorder` gave (`application/octet-stream`, at most 8 MiB). "
        "`take` names this page's recorder; `index` counts from 0 with no gap; `final=1` on the last one "
        "(which may be empty) assembles the file. Refused (403 `no_consent`) unless you consented.",
        parameters=[
            OpenApiParameter("take", OpenApiTypes.STR, required=True),
            OpenApiParameter("index", OpenApiTypes.INT, required=True),
            OpenApiParameter("final", OpenApiTypes.BOOL),
        ],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={
            201: inline_serializer(
                "UploadedChunk",
                {
                    "file_id": serializers.IntegerField(),
                    "size": serializers.IntegerField(),
                    "complete": serializers.BooleanField(),
                },
            ),
            400: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
            413: ERROR,
        },
        tags=["recordings"],
    )
    def post(self, request: Request, recording_id: int) -> Response:
        index_text = request.query_params.get("index", "")
        if not index_text.isascii() or not index_text.isdigit() or len(index_text) > 7:
            raise RecordingError(services.RecordingRefused(400, "bad_index", "'index' must be a whole number from 0."))
        data = request.data if isinstance(request.data, bytes) else b""
        part = _run(
            services.upload_chunk,
            recording_id,
            request.user,
            take=request.query_params.get("take", ""),
            index=int(index_text),
            data=data,
            final=request.query_params.get("final") in ("1", "true"),
        )
        return Response({"file_id": part.pk, "size": part.size, "complete": part.complete}, status=201)
