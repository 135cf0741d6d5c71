"""The extension points of PeerLearn: the contract between the core and plugins.

Every hook receives ``config``, the calling plugin's own settings for the
current Wagtail site (:class:`~core.plugins.meta.PluginConfig`). The core never
calls these hooks through pluggy's hook relay directly: it calls each enabled
plugin's implementation on its own through :class:`core.plugins.manager.PluginManager`,
which bounds its time, checks the returned value against the annotation
below, logs and records failures under the plugin's name and opens a circuit
breaker on a plugin that keeps failing. How the results of several plugins
are combined is said on each hook.
"""

from __future__ import annotations

from collections.abc import Sequence

from .contracts.calendars import CalendarProvider
from .contracts.events import DomainEvent
from .contracts.health import HealthCheck
from .contracts.payments import PaymentGateway
from .contracts.recommenders import Recommender
from .contracts.video import IceServer, Participant, VideoBackend
from .markers import hookspec
from .meta import PluginConfig

# --- Recommenders -----------------------------------------------------------


@hookspec
def peerlearn_recommenders(config: PluginConfig) -> Sequence[Recommender]:
    """Return the recommenders this plugin provides, configured from ``config``.

    Called when models are fitted (a Celery beat task, or on demand from the
    admin) and when fitted models are loaded for serving. Results of all
    enabled plugins are concatenated; each recommender's ``family`` decides
    which blend weight of the site it gets: a built-in family or one a loaded
    plugin declares in ``PluginMeta.families``
    (:class:`~core.plugins.contracts.recommenders.RecommenderFamily`, checked at
    load; editors weigh it beside the built-in ones). A recommender naming any
    other family is left out and charged to its plugin. ``fit`` and ``score`` are called
    through the manager as well, so a recommender that raises or is slow is
    left out of a list and the list still comes back.

    Serving never fits: each recommender is fitted by the refit task, its
    ``dumps()`` stored, and every process ``loads()`` a fresh instance from
    this hook. ``score`` gets the user's live history in
    ``UserFeatures.history`` and must score all candidates in one call: it
    receives a :class:`~core.plugins.contracts.recommenders.Candidates`
    sequence (the same object for every request until the catalogue changes)
    and returns ``RecommenderScores.scores`` as a NumPy array aligned with it,
    NaN where it has no score. ``Candidates.take(index, values)`` aligns
    values computed over the recommender's own items, remembering the
    look-ups per index mapping, so per-request work stays in NumPy.
    """


# --- Payments ---------------------------------------------------------------


@hookspec
def peerlearn_payment_gateways(config: PluginConfig) -> Sequence[PaymentGateway]:
    """Return the payment gateways this plugin provides, configured from ``config``.

    Called when a learner chooses how to pay and when a webhook arrives at
    ``/payments/webhooks/<identifier>/``. Results are concatenated and routed
    by ``identifier`` (which must be unique across plugins; a later duplicate
    is ignored and logged). Return no gateway when required settings (API
    keys) are missing, so the checkout never offers a gateway that cannot work.

    The learner is offered the gateways of enabled plugins whose ``supports``
    accepts the session's currency. Each gateway method (``start_payment``,
    ``parse_webhook``, ``verify_return``, ``refund``, ``lookup``,
    ``checkout_html``) is called through the manager with a time budget.
    Unlike every other extension point, a gateway error fails the payment
    *closed*: the core reports it (a :class:`~core.plugins.contracts.payments.GatewayError`
    message is shown as is) and never marks money as received or refunded.
    See :mod:`core.plugins.contracts.payments` for what the core guarantees
    a gateway (idempotent retries, deduplicated events, checked amounts).

    Optional capability: a gateway that also subclasses
    :class:`~core.plugins.contracts.subscriptions.SubscriptionGateway` declares
    that it bills recurring plans, and only such gateways are offered for
    premium mentor plans; their subscription events arrive at
    ``/subscriptions/webhooks/<identifier>/``. Other gateways are unaffected.
    """


# --- Video ------------------------------------------------------------------


@hookspec
def peerlearn_video_backends(config: PluginConfig) -> Sequence[VideoBackend]:
    """Return the video backends this plugin provides, configured from ``config``.

    Called when a room page is opened and when a participant connects to the
    core's signalling endpoint. Results of all enabled plugins are
    concatenated. The site setting (*Settings > Rooms*) names the backend to
    use by ``identifier``; when it is empty, unknown or failing, the first
    working backend whose ``max_participants`` fits the session (mentor plus
    capacity) is used, and failing that the one with the most room.
    ``room_for`` is then called through the manager as well.

    Optional capability: a backend that also subclasses
    :class:`~core.plugins.contracts.recording.BrowserRecording` or
    :class:`~core.plugins.contracts.recording.ServerRecording` declares that
    its rooms can be recorded, with every participant's consent: the mentor
    may then start and stop a recording from the room. Browser recording
    needs no method (the core's room page records each consenting person and
    uploads); server recording's methods (``sync_recording``,
    ``stop_recording``, ``export_recording``, ``discard_recording``) are
    called through the manager, ``export_recording`` from a Celery task with
    a longer budget. Backends without it are unaffected and offer no
    recording.
    """


@hookspec
def peerlearn_ice_servers(config: PluginConfig, participant: Participant) -> Sequence[IceServer]:
    """Return STUN/TURN servers for ``participant`` (credentials short-lived).

    Called when a participant opens a room page and again each time its
    signalling socket joins (so a reconnect gets fresh TURN credentials).
    Lists from all enabled plugins are concatenated and given to the
    browser's ``RTCPeerConnection``; an empty list is fine on a LAN.
    """


# --- Calendars --------------------------------------------------------------


@hookspec
def peerlearn_calendar_providers(config: PluginConfig) -> Sequence[CalendarProvider]:
    """Return the kinds of calendar a mentor can connect, configured from ``config``.

    Called when a mentor opens their calendar page and whenever the core
    talks to a connected calendar. Results are concatenated and routed by
    ``identifier`` (unique across plugins; a later duplicate is ignored and
    logged); each connection names the provider it was made with, and one
    whose provider is gone or disabled is shown to the mentor as such.

    The mentor's own credentials are not plugin settings: they are the
    provider's ``connection_fields``, stored per mentor (secrets encrypted
    at rest) and passed to each method as a
    :class:`~core.plugins.contracts.calendars.CalendarAccount`; ``config``
    holds what an editor decides for the whole site (timeouts, which servers
    mentors may use). Each method (``list_calendars``, ``busy_times``,
    ``write_event``, ``move_event``, ``delete_event``) is called through the
    manager with a time budget. A provider that fails, hangs or keeps
    failing is isolated: the last busy times it gave stay in force, the
    availability the core serves is flagged ``stale``, and pages stay up.
    Writes run in Celery tasks only. See :mod:`core.plugins.contracts.calendars`.
    """


# --- Health -----------------------------------------------------------------


@hookspec
def peerlearn_health(config: PluginConfig) -> Sequence[HealthCheck]:
    """Check the services this plugin depends on (a media server, a remote API) for ``config``'s site.

    Called when an editor opens the Plugins admin page, for enabled plugins
    only, through the manager (time-bounded: a server that does not answer
    shows as the call's failure). Return one :class:`HealthCheck` per service;
    an empty list when there is nothing to check yet (not configured).
    """


# --- Domain events ----------------------------------------------------------


@hookspec
def peerlearn_event(config: PluginConfig, event: DomainEvent) -> None:
    """Be told that ``event`` happened (after its transaction committed).

    Every enabled plugin is called; return values are ignored and a failing
    listener never affects the action that caused the event.
    """
