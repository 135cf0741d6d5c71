"""``{% mentor_packages mentor_id %}``: the packages a mentor sells, with a Buy button (mentor profile page)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("packages/_mentor_packages.html", takes_context=True)
def mentor_packages(context, mentor_id: int) -> dict:
    from ..services.catalogue import on_sale

    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "packages": list(on_sale().filter(mentor_id=mentor_id)),
        "is_owner": bool(user and user.is_authenticated and user.pk == mentor_id),
    }
