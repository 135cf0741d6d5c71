"""What a server process loads before its first request, so that its first visitors do not pay for it.

The plugin manager imports every plugin on first use (the collaborative
recommender brings scikit-learn and SciPy: 1.6 s), and each template compiles
on its first render. In a new worker the first signed-in dashboard took 3.1 s
against 16 ms after; when a crowd meets a fresh deploy every worker paid that
while its other requests queued behind the interpreter lock, and the load
benchmark's first minute ended in 503s. The server entry points (``asgi.py``,
``wsgi.py``) call :func:`warm_up` once per process, unless ``WEB_WARM_UP`` is
off (the test settings: tests import the application without serving it).

It also opens its database pool and cache connection (``asgi.py`` then starts the threads its
requests and sockets run on): in the load benchmark's first second every process did all of that
at once, and the sockets opened then took 210-380 ms at the median against 60-90 ms a second later.

Last, what it loaded is moved out of the garbage collector's sight
(``gc.freeze``): a warmed-up process holds ~435,000 objects that live as long
as it does, and every full collection walked them all, 240 ms with the
interpreter lock held, stalling each request the process was serving. After
the freeze a full collection walks only what requests left behind (0.3-4 ms).
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

logger = logging.getLogger("peerlearn.warmup")


def warm_up() -> None:
    """Load the plugins, compile the project's templates and the URL map; log how long it took."""
    from django.conf import settings

    if not settings.WEB_WARM_UP:
        return
    started = time.perf_counter()
    from core.plugins.manager import get_manager

    get_manager()
    templates = _compile_templates()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - importing every urls module
    _connect()
    gc.collect()
    gc.freeze()
    logger.info(
        "warmed up in %.2f s (%d templates, %d objects frozen)",
        time.perf_counter() - started,
        templates,
        gc.get_freeze_count(),
    )


def _connect() -> None:
    """Open the database pool and the cache's connection now, not in the first requests' time.

    Through the readiness checks (``core.health.checks``): bounded by ``HEALTH_CHECK_TIMEOUT``, and
    a service not up yet is logged; the process starts anyway and connects on first use.
    """
    from core.health import checks

    for name, check in (("database", checks.database), ("cache", checks.cache_backend)):
        if reason := check():
            logger.warning("warming up: the %s is not ready (%s)", name, reason)


def _compile_templates() -> int:
    """Compile every template of the themes and of the core's apps (not Wagtail's admin: editors are few)."""
    from django.conf import settings
    from django.template.loader import get_template

    root = Path(settings.BASE_DIR)
    folders = [*root.glob("themes/*/templates"), *root.glob("core/*/templates")]
    names = {str(path.relative_to(folder)) for folder in folders for path in folder.rglob("*.html")}
    compiled = 0
    for name in sorted(names):
        try:
            get_template(name)
        except Exception:  # a template that does not compile fails where it is used, as it would have
            logger.warning("template %s did not compile", name, exc_info=True)
            continue
        compiled += 1
    return compiled
