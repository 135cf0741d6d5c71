"""Every live Wagtail page may be kept for visitors by the anonymous page cache (``core.pages.cache``)."""

from wagtail import hooks

from .cache import cache_page_for_visitors


@hooks.register("before_serve_page")
def cache_for_visitors(page, request, serve_args, serve_kwargs):
    """Pages show the catalogue (``listings``); mentor and topic pages add their own tags in ``get_context``."""
    cache_page_for_visitors(request, "listings")
