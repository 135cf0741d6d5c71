"""``{% plan_badge user_id as badge %}``: the profile badge of a mentor's plan ("" without one)."""

from django import template

from ..benefits import badge_of

register = template.Library()


@register.simple_tag
def plan_badge(user_id: int | None) -> str:
    return badge_of(user_id)
