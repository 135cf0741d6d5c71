"""Daphne hands request bodies to Django untouched: Twisted must not judge form uploads first.

Twisted's ``http.Request`` parses every ``multipart/form-data`` POST into
``request.args`` before Daphne sees it, and answers 400 itself (logged nowhere)
when its parser dislikes a body that Django reads without trouble: an empty
``FormData`` (the Wagtail editing-session ping of a snippet without revisions,
Reviews and Experiments here), non-ASCII field names (django/daphne#447,
twisted/twisted#9739). Daphne never reads ``request.args`` (it passes the raw
body to the ASGI application), so that parse is switched off, which also spares
the memory Twisted's copy of a large upload takes. Imported by ``asgi.py``.
"""

from __future__ import annotations

from daphne.http_protocol import WebRequest

_original_init = WebRequest.__init__


def _init_without_form_parsing(self, *args, **kwargs) -> None:
    kwargs.setdefault("parsePOSTFormSubmission", False)
    _original_init(self, *args, **kwargs)


if not getattr(WebRequest.__init__, "peerlearn_patched", False):
    _init_without_form_parsing.peerlearn_patched = True  # type: ignore[attr-defined]
    WebRequest.__init__ = _init_without_form_parsing
