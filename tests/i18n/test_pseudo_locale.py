"""Pseudo-locale: every page, email, notification, calendar file and API refusal in a made-up
language whose every translated letter is accented, so the English left shows itself.

The catalogue is built from the project's own ``.po`` files (and from the third-party messages that
every site language has) when the tests start (``tests/i18n/pseudo.py``), activated through
``LANGUAGES`` and ``LOCALE_PATHS`` (Django resets its translation caches on those settings), and the
demo is seeded in it (``core.demo.seed``, small). A visitor, a learner, a mentor and an editor then
open the pages they use with the Django test client; what a person reads of each (text, tooltips,
accessible names, placeholders) may hold accented words and people's own data (names, titles,
bios, skills), and nothing else. Each run of plain English words is listed with where it was.

A third-party message that one site language lacks (allauth and Wagtail have no Hindi) stays
English here too, so it is found like one of ours.
"""

from __future__ import annotations

import bisect
import re
import sys
import zoneinfo
from collections import Counter, defaultdict, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.test.utils import override_settings
from wagtail.fields import StreamField

# Autouse here too: on the real stack mail goes through Celery, which these tests run in-process.
from tests.notifications.conftest import _celery_eager  # noqa: F401

from . import pseudo
from .pofiles import read as read_po

#: Plain words a page may show in any language, each with why.
ALLOWED = {
    "PeerLearn": "the product's name",
    "PeerLearn developers": "the byline the bundled plugins are credited under (a plugin's author, like a package's, "
    "is its maker's own name for itself: a third-party plugin's is never translated either)",
    "Peer": "the logo spells PeerLearn in two spans",
    "Learn": "the logo spells PeerLearn in two spans",
    "API": "the footer's link to the API documentation: a technical name, kept in every language",
    "English": "the language switcher names each language in its own tongue",
    "Wagtail": "the admin's name, a brand",
    "Stripe": "a payment gateway's brand",
    "Razorpay": "a payment gateway's brand",
    "CalDAV": "a calendar protocol's name",
    "iCalendar": "a file format's name",
    "PDF": "a file format's name",
    "CSV": "a file format's name",
    "ICS": "a file format's name",
    "AVIF": "an image file format's name",
    "GIF": "an image file format's name",
    "JPG": "an image file format's name",
    "JPEG": "an image file format's name",
    "PNG": "an image file format's name",
    "WebP": "an image file format's name",
    "Ctrl": "a key's name, as printed on keyboards (Wagtail's shortcuts)",
    "Alt": "a key's name, as printed on keyboards (Wagtail's shortcuts)",
    "Shift": "a key's name, as printed on keyboards (Wagtail's shortcuts)",
    "Esc": "a key's name, as printed on keyboards (Wagtail's shortcuts)",
}

#: Tables whose text the product writes (in its reader's language) or that only the framework reads:
#: not people's data, so their words excuse nothing on a page.
NOT_DATA = {
    "notifications.notification", "analytics.event", "recommendations.recommendationevent",
    "auth.permission", "contenttypes.contenttype", "wagtailcore.pagelogentry", "wagtailcore.modellogentry",
    "wagtailcore.revision", "wagtailsearch.indexentry", "wagtailsearch.sqliteftsindexentry",
    "plugins.pluginerror",
}  # fmt: skip

LANGUAGES = [*settings.LANGUAGES, (pseudo.CODE, "Pseudo")]


def _ours(folder: Path) -> bool:
    """A folder of this repository's code (not of an installed package, even in a .venv inside it)."""
    folder = folder.resolve()
    return Path(settings.BASE_DIR).resolve() in folder.parents and Path(sys.prefix).resolve() not in folder.parents


def app_locale_dirs() -> list[Path]:
    return [Path(c.path) / "locale" for c in apps.get_app_configs() if (Path(c.path) / "locale").is_dir()]


def site_locale_dirs() -> list[Path]:
    """The project's catalogues: LOCALE_PATHS and the locale folder of any app or plugin of this repository."""
    return [Path(p) for p in settings.LOCALE_PATHS] + [d for d in app_locale_dirs() if _ours(d)]


def third_party_locale_dirs() -> list[Path]:
    """Django's own catalogues and those of installed apps (allauth, Wagtail, REST framework...)."""
    import django

    return [Path(django.__file__).parent / "conf" / "locale"] + [d for d in app_locale_dirs() if not _ours(d)]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pseudo-locale")
    others = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    for domain in pseudo.DOMAINS:
        messages = pseudo.project_messages(site_locale_dirs(), domain, others)
        messages |= pseudo.translated_everywhere(third_party_locale_dirs(), domain, others)
        pseudo.write_catalogue(messages, folder, domain)
    return folder


class World:
    """The seeded people and objects the pages are opened with."""

    def __init__(self) -> None:
        from core.accounts.models import User
        from core.scheduling.models import Booking

        self.admin = User.objects.get(email="admin@example.org")
        bookings = Booking.objects.select_related("session", "learner", "session__mentor")
        busiest = max(User.objects.filter(is_learner=True, is_mentor=False), key=lambda u: u.bookings.count())
        self.learner = busiest
        self.bookings = {b.status: b for b in bookings.filter(learner=self.learner)}
        for b in bookings:
            self.bookings.setdefault(b.status, b)
        self.mentor = self.bookings["confirmed"].session.mentor


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, catalogue):
    """The demo, seeded once for the module in the pseudo-locale, rolled back at the end."""
    from core.demo.seed import seed_all

    with (
        django_db_blocker.unblock(),
        override_settings(LANGUAGES=LANGUAGES, LOCALE_PATHS=[str(catalogue), *settings.LOCALE_PATHS]),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # Seeded as a site whose own language is the pseudo one: what the product writes while
            # seeding (receipts, ledger lines) is written in it, as it would be for a Hindi site.
            with override_settings(
                LANGUAGE_CODE=pseudo.CODE, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
            ):
                seed_all("admin@example.org", "a-Strong-pass-123", mentors=10, learners=10)
            from core.accounts.models import User

            User.objects.update(preferred_language=pseudo.CODE)
            yield World()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def in_pseudo(world, db, settings, catalogue):
    settings.LANGUAGES = LANGUAGES
    settings.LOCALE_PATHS = [str(catalogue), *settings.LOCALE_PATHS]
    return world


# --- data that excuses English ----------------------------------------------------------------------


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


_SENTENCE_END = re.compile(r"[.!?;:·|]+(?=\s|$)|\n")


def _units(text: str) -> set[str]:
    """The sentences (and clauses before a colon) of ``text``, as lower-case words."""
    return {said for piece in _SENTENCE_END.split(re.sub(r"<[^>]+>", " ", text)) if (said := pseudo.words(piece))}


def data_units() -> set[str]:
    """People's and editors' words in the database, cut into sentences.

    Fields with choices are left out: their values are the product's codes, which a page must
    show translated. Identifiers that are the same in every language are added: time zone names
    and abbreviations (tz database) and ISO 4217 currency codes.
    """
    from babel.numbers import list_currencies

    units: set[str] = set()
    for model in apps.get_models():
        if model._meta.label_lower in NOT_DATA or model._meta.proxy:
            continue
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if not field.choices
            and isinstance(field, (models.CharField, models.TextField, models.JSONField, StreamField))
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if hasattr(value, "raw_data"):  # a StreamField's blocks
                    value = list(value.raw_data)
                for text in _strings(value):
                    units |= _units(text)
    year = datetime.now(UTC).year
    for zone in zoneinfo.available_timezones():
        units.add(pseudo.words(zone.replace("_", " ")))
        for month in (1, 7):
            units.add(pseudo.words(datetime(year, month, 1, tzinfo=zoneinfo.ZoneInfo(zone)).tzname() or ""))
    units |= {code.lower() for code in list_currencies()}
    units.discard("")
    return units


def wagtail_units() -> set[str]:
    """The sentences of Wagtail's own messages: its admin's chrome, which Wagtail's catalogues translate.

    Wagtail has no Hindi catalogue (the README says its chrome stays English there); in the
    languages it has, its chrome is its own business. The project's admin extensions are checked.
    """
    import wagtail

    units: set[str] = set()
    for po in Path(wagtail.__file__).parent.glob("**/locale/en/LC_MESSAGES/*.po"):
        for entry in read_po(po):
            for text in (entry.msgid, entry.msgid_plural):
                # A link or a value inside a message ends a text node: each piece between them is read alone
                # ("Here are the <a>instructions how to enable JavaScript…</a>").
                for piece in re.split(r"%\(\w+\)[sd]|%[sd]|<[^>]+>", text or ""):
                    units |= _units(piece)
    return units


class Findings:
    """The English runs of what a person reads, less people's data and the allowed names."""

    def __init__(self, *, wagtail: bool = False) -> None:
        self.units = data_units() | (wagtail_units() if wagtail else set())
        self.sorted_units = sorted(self.units)
        self.allowed = {pseudo.words(w) for w in ALLOWED}
        self.found: dict[str, list[str]] = defaultdict(list)

    def _known(self, chunk: str, size: int) -> bool:
        if chunk in self.allowed or chunk in self.units:
            return True
        if size < 2:
            return False
        # Two words or more may be the start of a value: "Yusuf G." for "Yusuf Gupta", a bio cut short.
        at = bisect.bisect_left(self.sorted_units, chunk)
        return at < len(self.sorted_units) and self.sorted_units[at].startswith(chunk)

    def excused(self, run: str) -> bool:
        """Whether ``run`` is made of people's data and allowed names only (the longest piece first)."""
        said = pseudo.words(run).split()
        at = 0
        while at < len(said):
            end = next((j for j in range(len(said), at, -1) if self._known(" ".join(said[at:j]), j - at)), None)
            if end is None:
                if len(said[at]) > 1:
                    return False
                end = at + 1  # a lone letter
            at = end
        return True

    def check(self, where: str, texts: list[str]) -> None:
        for text in texts:
            for run in pseudo.english_runs(text):
                if not self.excused(run):
                    snippet = " ".join(text.split())
                    self.found[where].append(f"{run!r} in {snippet[:120]!r}")

    def report(self) -> str:
        return "\n".join(f"{where}:\n  " + "\n  ".join(runs) for where, runs in self.found.items())


#: Never opened: files, the language switcher and script catalogue, the API's documentation (for
#: developers, in English), Django's own admin, signing out, and the probes of the operators.
SKIPPED = re.compile(
    r"^/(?:static|media|documents|jsi18n|i18n|django-admin|metrics|healthz|readyz)/"
    r"|^/api/(?:docs|redoc|schema)/|^/accounts/logout/|^/admin/logout/"
    r"|\.pdf$|/attachments/|/download/|/export\.csv$"
)


def crawl(
    client, findings: Findings, starts: list[str], *, within: tuple[str, ...] = ("/",), limit: int = 150, **headers
) -> list[str]:
    """Open ``starts`` and the site's pages they link to (under ``within``), two of each shape of address.

    A shape is the path with numbers as N and the names of the query's parameters: the tenth
    booking's page says what the second one says.
    """
    seen: set[str] = set()
    shapes: Counter[str] = Counter()
    queue = deque(starts)
    opened: list[str] = []
    while queue and len(opened) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue
        address = parts.path + (f"?{parts.query}" if parts.query else "")
        if address in seen or SKIPPED.search(parts.path):
            continue
        if url not in starts:
            # The admin is crawled only by a test that names parts of it in ``within``.
            admin_named = any(w.startswith("/admin/") for w in within)
            if not parts.path.startswith(within) or (parts.path.startswith("/admin/") and not admin_named):
                continue
            shape = re.sub(r"\d+", "N", parts.path) + "?" + "&".join(sorted(parse_qs(parts.query)))
            if shapes[shape] >= 2:
                continue
            shapes[shape] += 1
        seen.add(address)
        response = client.get(address, **headers)
        if response.status_code in (301, 302, 303, 307, 308):
            queue.appendleft(urljoin(address, response["Location"]))
            continue
        assert response.status_code < 500, f"{address} answered {response.status_code}"
        opened.append(address)
        findings.check(f"{address} ({response.status_code})", pseudo.response_text(response))
        if "html" in response.get("Content-Type", ""):
            queue.extend(urljoin(address, href) for href in pseudo.links(response.content.decode()))
    return opened


# --- the catalogue itself ------------------------------------------------------------------------


def test_the_transform_keeps_placeholders_tags_and_entities():
    text = 'Hello %(name)s, <a href="/x/">%d new</a> &amp; {because} %s %% %H:%M'
    result = pseudo.transform(text)
    assert result.startswith("[Ĥéļļö ") and result.endswith("]")
    for kept in ("%(name)s", '<a href="/x/">', "%d", "</a>", "&amp;", "{because}", "%s", "%%", "%H:%M"):
        assert kept in result
    assert pseudo.transform("Two\n") == "[Ţŵö]\n"
    shown = result.replace("%(name)s", "Asha").replace("%d", "3").replace("{because}", "Ada López")
    shown = shown.replace("%s", "").replace("%%", "%").replace("%H:%M", "10:00")
    assert pseudo.english_runs(re.sub("<[^>]+>", " ", shown)) == ["Asha", "Ada López"]
    assert pseudo.english_runs("[Ƒîñð] Find a mentor [ñöŵ]") == ["Find a mentor"]


def test_the_pseudo_language_is_served(in_pseudo, client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=pseudo.CODE).content.decode()
    assert f'<html lang="{pseudo.CODE}"' in html
    assert pseudo.transform("Find a mentor") in html


# --- the product -----------------------------------------------------------------------------------


def test_a_visitor_meets_no_english(in_pseudo, client):
    findings = Findings()
    starts = [
        "/",
        "/mentors/?q=data&skill=python&language=hi&max_price=80&price_currency=EUR&min_rating=4&free_within_days=7",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/no-such-page/",
    ]
    opened = crawl(client, findings, starts, HTTP_ACCEPT_LANGUAGE=pseudo.CODE)
    assert len(opened) > 20
    assert not findings.found, findings.report()


def test_a_learner_meets_no_english(in_pseudo, client):
    world = in_pseudo
    client.force_login(world.learner)
    findings = Findings()
    pending = world.bookings["pending_payment"]
    starts = [
        "/dashboard/",
        "/notifications/",
        "/messages/",
        "/messages/settings/",
        "/recommendations/",
        "/accounts/profile/",
        "/accounts/profile/edit/",
        f"/payments/checkout/{pending.pk}/",
        f"/schedule/bookings/{world.bookings['confirmed'].pk}/",
        f"/sessions/{world.bookings['confirmed'].session_id}/room/",
        "/packages/credits/",
        "/payments/receipts/",
        "/reviews/",
        "/calendar/",
        "/analytics/learning-path/",
        "/plans/",
    ]
    opened = crawl(client, findings, starts)
    assert len(opened) > 20
    assert not findings.found, findings.report()


def test_a_mentor_meets_no_english(in_pseudo, client):
    world = in_pseudo
    client.force_login(world.mentor)
    findings = Findings()
    starts = [
        "/dashboard/mentor/",
        "/schedule/availability/",
        "/schedule/sessions/new/",
        "/schedule/questions/",
        "/schedule/requests/",
        "/schedule/calendar/",
        "/mentor/profile/edit/",
        "/mentor/profile/preview/",
        "/payments/earnings/",
        "/payments/coupons/",
        "/payments/statement/",
        "/packages/mine/",
        "/analytics/mentor/",
        "/sponsored/campaigns/",
        "/plans/",
        "/plans/mine/",
        f"/mentors/{world.mentor.pk}/series/",
    ]
    opened = crawl(client, findings, starts)
    assert len(opened) > 15
    assert not findings.found, findings.report()


def test_newcomers_first_steps_meet_no_english(in_pseudo, client):
    """A learner and a mentor who have done nothing yet see the dashboards' first-steps checklists."""
    from core.accounts.models import User

    newcomers = [
        (
            User.objects.create_user(
                email, "a-Strong-pass-123", display_name="Noor Khan", preferred_language=pseudo.CODE, is_mentor=mentor
            ),
            start,
        )
        for email, mentor, start in (
            ("new-learner@example.org", False, "/dashboard/"),
            ("new-mentor@example.org", True, "/dashboard/mentor/"),
        )
    ]
    findings = Findings()  # after the newcomers: their names are people's data
    for person, start in newcomers:
        client.force_login(person)
        page = client.get(start)
        assert page.status_code == 200 and "data-checklist" in page.content.decode()
        findings.check(start, pseudo.response_text(page))
    assert not findings.found, findings.report()


def test_an_editor_meets_no_english_in_the_admin_extensions(in_pseudo, client, settings):
    from wagtail.admin.localization import WAGTAILADMIN_PROVIDED_LANGUAGES

    # Wagtail speaks only the languages it has a catalogue for: the pseudo one stands for Spanish here.
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [*WAGTAILADMIN_PROVIDED_LANGUAGES, (pseudo.CODE, "Pseudo")]
    world = in_pseudo
    client.force_login(world.admin)
    findings = Findings(wagtail=True)
    starts = [
        "/admin/analytics/",
        "/admin/analytics/at-risk/",
        "/admin/analytics/models/",
        "/admin/plugins/",
        "/admin/recommenders/",
        "/admin/payments-admin/payouts-due/",
        "/admin/payments-admin/revenue/",
        "/admin/payments-admin/reconcile/",
    ]
    within = ("/admin/analytics/", "/admin/plugins/", "/admin/recommenders/", "/admin/payments-admin/")
    opened = crawl(client, findings, starts, within=within)
    assert not findings.found, findings.report()
    assert len(opened) > 8, opened


def message_text(message) -> list[str]:
    """What a person reads of an email: subject, text, HTML alternatives and attached calendar files."""
    texts = [message.subject, message.body]
    for content, kind in getattr(message, "alternatives", []):
        texts += pseudo.visible_text(content) if "html" in kind else [content]
    for attachment in message.attachments:
        content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload(decode=True)
        if isinstance(content, bytes):
            content = content.decode()
        texts += pseudo.ics_text(content) if "BEGIN:VCALENDAR" in content else []
    return texts


def test_emails_notifications_calendar_files_and_api_refusals_meet_no_english(
    in_pseudo, client, django_capture_on_commit_callbacks
):
    from django.core import mail

    from core.accounts.models import User
    from core.notifications.calendar import regenerate_feed
    from core.scheduling.services.bookings import book_session, cancel_booking
    from core.scheduling.services.sessions import create_session

    world = in_pseudo
    learner = User.objects.create_user(
        "priya@example.org", "a-Strong-pass-123", display_name="Priya Patel", preferred_language=pseudo.CODE
    )
    start = (datetime.now(UTC) + timedelta(days=20)).replace(hour=4, minute=0, second=0, microsecond=0)
    session = create_session(world.mentor, title="Python clinic", start=start, duration_minutes=60, capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book_session(session, learner)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, by=learner)
    findings = Findings()
    assert mail.outbox, "booking and cancelling send mail"
    for message in mail.outbox:
        findings.check(f"mail to {message.to[0]}: {message.subject}", message_text(message))

    client.force_login(learner)
    crawl(client, findings, ["/notifications/"], within=("/notifications/",))
    feed = regenerate_feed(world.mentor)
    crawl(client, findings, [f"/calendar/{feed.token}.ics"])

    client.logout()
    speaking = {"HTTP_ACCEPT_LANGUAGE": pseudo.CODE}
    refusals = [
        client.get("/api/no-such-thing/", **speaking),
        client.get("/api/users/profile/", **speaking),
        client.post(
            "/api/auth/login/", {"email": "x@example.org", "password": "wrong"}, "application/json", **speaking
        ),
        client.post("/api/auth/register/", {}, "application/json", **speaking),
    ]
    for response in refusals:
        assert response.status_code >= 400
        # The API's field names ("email: This field is required.") are its contract's identifiers.
        body = response.json()
        findings.units |= {pseudo.words(key) for key in (body.get("errors") or {})}
        findings.check(f"API {response.request['PATH_INFO']} ({response.status_code})", pseudo.response_text(response))
    assert not findings.found, findings.report()
