"""``{% load live_parts %}{% live_seats "template.html" session seats_taken seats_left capacity=... %}``.

Renders ``template.html`` with the given values and the session's seat counts,
as a part the visitors' page cache keeps live (:mod:`core.pages.live_parts`):
a booking then changes the words about seats on a kept page, without making
the page stale. The template sees only ``seats_taken``, ``seats_left`` and the
keyword values (text, numbers, booleans); ``live=False`` renders it as a plain
include (a session that no longer takes bookings).
"""

from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from core.pages import live_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def live_seats(
    context, template_name: str, session, seats_taken: int, seats_left: int, live: bool = True, **values
) -> SafeString:
    part = live_parts.LivePart(template_name, session.pk, translation.get_language(), tuple(sorted(values.items())))
    html = live_parts.render_part(part, int(seats_taken), int(seats_left))
    if not live:
        return mark_safe(html)  # noqa: S308 - a template's own (escaped) output
    return mark_safe(live_parts.mark(context.get("request"), part, html))  # noqa: S308 - as above
