"""The public plugin API of PeerLearn.

A plugin is an ordinary Python package that declares an entry point in the
``peerlearn.plugins`` group. The object the entry point names carries a
``peerlearn_meta`` (:class:`PluginMeta`) and implements hooks from
:mod:`core.plugins.hookspecs`, marked with :data:`hookimpl`.

What a plugin may import from PeerLearn is an allowlist, checked by
``lint-imports`` (``.importlinter``): this package (everything below is
re-exported here, so ``from core.plugins import ...`` is the one way) and the
modules it re-exports from: ``hookspecs`` (the extension points),
``contracts`` (the data exchanged), ``meta`` (metadata and settings),
``markers`` (``hookimpl``) and ``rendering`` (``render_template``). Every
other module of ``core`` and ``peerlearn``, ``core.plugins.manager``,
``breaker``, ``bulkhead``, ``config``, ``models`` and ``encryption``
included, is the host's own business and may change at any time. The core, in
turn, never imports a plugin: it reaches them only through
:mod:`core.plugins.manager`.
"""

from .contracts.calendars import (
    BusyInterval,
    CalendarAccount,
    CalendarError,
    CalendarEventData,
    CalendarInfo,
    CalendarProvider,
)
from .contracts.events import EVENT_NAMES, DomainEvent
from .contracts.health import HealthCheck
from .contracts.interactive import (
    CheckoutField,
    CheckoutInputError,
    InteractivePaymentRequest,
    InteractivePayments,
)
from .contracts.payments import (
    CheckoutContext,
    GatewayError,
    PaymentGateway,
    PaymentRequest,
    PaymentReturn,
    PaymentStart,
    PaymentState,
    RefundRequest,
    RefundResult,
    WebhookError,
    WebhookEvent,
)
from .contracts.recommenders import (
    BUILTIN_FAMILIES,
    MAX_FAMILY_WEIGHT,
    SIGNAL_WEIGHTS,
    Candidates,
    Interaction,
    ItemFeatures,
    Reason,
    Recommender,
    RecommenderFamily,
    RecommenderScores,
    TrainingData,
    UserFeatures,
)
from .contracts.recording import (
    BrowserRecording,
    RecordedMedia,
    RecordingRequest,
    ServerRecording,
    recording_location,
)
from .contracts.subscriptions import (
    SUBSCRIPTIONS,
    PriceSpec,
    SubscriptionCheckoutContext,
    SubscriptionEvent,
    SubscriptionGateway,
    SubscriptionRequest,
    SubscriptionSetup,
    SubscriptionSetupRequest,
    SubscriptionState,
    offers_subscriptions,
)
from .contracts.video import IceServer, Participant, RoomInfo, RoomRequest, VideoBackend
from .markers import API_VERSION, ENTRY_POINT_GROUP, PROJECT_NAME, hookimpl, hookspec
from .meta import PluginConfig, PluginMeta, SettingField
from .rendering import render_template

__all__ = [
    "API_VERSION",
    "BUILTIN_FAMILIES",
    "MAX_FAMILY_WEIGHT",
    "ENTRY_POINT_GROUP",
    "EVENT_NAMES",
    "PROJECT_NAME",
    "SIGNAL_WEIGHTS",
    "SUBSCRIPTIONS",
    "BusyInterval",
    "CalendarAccount",
    "CalendarError",
    "CalendarEventData",
    "CalendarInfo",
    "CalendarProvider",
    "Candidates",
    "BrowserRecording",
    "CheckoutContext",
    "CheckoutField",
    "CheckoutInputError",
    "DomainEvent",
    "GatewayError",
    "HealthCheck",
    "IceServer",
    "InteractivePaymentRequest",
    "InteractivePayments",
    "Interaction",
    "ItemFeatures",
    "Participant",
    "PaymentGateway",
    "PaymentRequest",
    "PaymentReturn",
    "PaymentStart",
    "PaymentState",
    "PluginConfig",
    "PluginMeta",
    "PriceSpec",
    "Recommender",
    "Reason",
    "RecommenderFamily",
    "RecommenderScores",
    "RecordedMedia",
    "RecordingRequest",
    "RefundRequest",
    "RefundResult",
    "RoomInfo",
    "RoomRequest",
    "ServerRecording",
    "SettingField",
    "SubscriptionCheckoutContext",
    "SubscriptionEvent",
    "SubscriptionGateway",
    "SubscriptionRequest",
    "SubscriptionSetup",
    "SubscriptionSetupRequest",
    "SubscriptionState",
    "TrainingData",
    "UserFeatures",
    "VideoBackend",
    "WebhookError",
    "WebhookEvent",
    "hookimpl",
    "hookspec",
    "offers_subscriptions",
    "recording_location",
    "render_template",
]
