"""``{% csp_nonce %}``: the nonce that lets an inline ``<script>`` run under the site's policy."""

from __future__ import annotations

from django import template

from core.security.csp import current_nonce

register = template.Library()


@register.simple_tag
def csp_nonce() -> str:
    return current_nonce()
