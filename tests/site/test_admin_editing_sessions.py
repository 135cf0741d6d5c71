"""The Wagtail editing-session ping of a snippet without revisions (Reviews, Experiments) is not refused.

Its body is an empty ``multipart/form-data``. Django reads it (the ping answers
200), but Twisted, under Daphne, parsed form bodies itself and answered 400
before Django saw the request. ``peerlearn.daphne_forms`` switches that off.
"""

from __future__ import annotations

import re

import pytest

EMPTY_FORM = b"------WebKitFormBoundaryPeerLearn--\r\n"
EMPTY_FORM_TYPE = "multipart/form-data; boundary=----WebKitFormBoundaryPeerLearn"


class _Server:
    def protocol_connected(self, protocol) -> None:
        pass


def _request_through_twisted(request_class):
    """Feed an empty multipart POST to a Twisted request; return (processed, refused)."""
    from types import SimpleNamespace

    from twisted.web.test.requesthelper import DummyChannel

    seen = {"processed": False, "refused": False}
    channel = DummyChannel()
    channel.factory = SimpleNamespace(server=_Server())
    channel._respondToBadRequestAndDisconnect = lambda: seen.update(refused=True)
    request = request_class(channel)
    request.process = lambda: seen.update(processed=True)
    request.requestHeaders.setRawHeaders(b"Content-Type", [EMPTY_FORM_TYPE.encode()])
    request.gotLength(len(EMPTY_FORM))
    request.handleContentChunk(EMPTY_FORM)
    request.requestReceived(b"POST", b"/admin/editing-sessions/ping/x/y/1/1/", b"HTTP/1.1")
    return seen["processed"], seen["refused"]


def test_twisted_alone_refuses_an_empty_form_and_daphne_here_passes_it_on():
    import peerlearn.asgi  # noqa: F401  (it installs peerlearn.daphne_forms)
    from daphne.http_protocol import WebRequest
    from twisted.web import http

    assert _request_through_twisted(http.Request) == (False, True)  # the bug: 400 before the application
    assert _request_through_twisted(WebRequest) == (True, False)


@pytest.mark.django_db
def test_the_review_and_experiment_editors_ping_with_an_empty_form(client, user_factory):
    from wagtail.models import Site

    from core.catalogue.models import Review
    from core.recommendations.models import Experiment

    admin = user_factory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    experiment = Experiment.objects.create(name="Blend test", site=Site.objects.get(is_default_site=True))
    editors = [f"/admin/snippets/recommendations/experiment/edit/{experiment.pk}/"]
    review = Review.objects.first()
    if review is not None:
        editors.append(f"/admin/snippets/catalogue/review/edit/{review.pk}/")
    for url in editors:
        page = client.get(url)
        assert page.status_code == 200, url
        ping = re.search(r'data-w-swap-src-value="(/admin/editing-sessions/ping/[^"]+)"', page.content.decode())
        assert ping, f"{url} has no editing-session ping"
        answer = client.post(ping.group(1), data=EMPTY_FORM, content_type=EMPTY_FORM_TYPE)
        assert answer.status_code == 200, url
