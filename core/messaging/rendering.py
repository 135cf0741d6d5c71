"""A message body as HTML: escaped first, then http(s) links made clickable.

Django's ``urlize`` escapes everything it does not turn into a link and only
links ``http://``, ``https://`` and ``www.`` addresses, so ``javascript:`` or
markup in a body stays inert text. Links get ``rel="nofollow noopener
noreferrer"`` and open in a new tab.
"""

from __future__ import annotations

from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

_REL = 'rel="nofollow"'


def body_html(body: str) -> SafeString:
    html = urlize(body, nofollow=True, autoescape=True)
    html = html.replace(_REL, 'rel="nofollow noopener noreferrer" target="_blank"')
    return mark_safe(html.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped by urlize above
