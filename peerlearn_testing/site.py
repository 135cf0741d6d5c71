"""The Wagtail site every PeerLearn test needs."""

from __future__ import annotations


def ensure_default_site() -> None:
    """Recreate what Wagtail's migrations seed (a locale, the root, a default site).

    A transactional test flushes every table, and the next test would find no
    Wagtail site at all; the migrations that created it do not run again.
    """
    from django.conf import settings
    from wagtail.models import Locale, Page, Site

    if Site.objects.filter(is_default_site=True).exists():
        return
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.get_children().first() or root.add_child(instance=Page(title="Welcome", slug="home"))
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="PeerLearn")
