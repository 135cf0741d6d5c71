"""Browser tests: Playwright for Python driving Debian's Chromium.

Never `playwright install`: the browser is the distribution's /usr/bin/chromium
(`apt-get install chromium`, which .ci/run does). Without it these tests skip,
unless PEERLEARN_REQUIRE_BROWSER=1 (CI), where they fail.

Every test here gets the `e2e` marker, so `scripts/test` leaves them out by
default; run them with `scripts/test -m e2e`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PEERLEARN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("PEERLEARN_REQUIRE_BROWSER") == "1"
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 15_000

E2E_DIR = Path(__file__).resolve().parent
_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/e2e as `e2e`, before `-m` deselects."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed


@pytest.fixture(scope="package")
def playwright():
    """Playwright's sync API, started once: it cannot run twice in one thread.

    Skipped (or failed in CI) when Debian's Chromium is missing.
    """
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(f"PEERLEARN_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop "running" in this thread for
    # as long as it is started, so Django's ORM would raise
    # SynchronousOnlyOperation for every query a test (or the transactional_db
    # teardown) makes here. Allow it for exactly that span, not for the other
    # tests of the session. The live server's own thread is unaffected.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright):
    """One headless Chromium for the package."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser context (no cookies) pointed at the live server.

    A failing test leaves a screenshot and the page's HTML in test-results/.
    """
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(_CALL_FAILED, False):
            RESULTS_DIR.mkdir(exist_ok=True)
            stem = re.sub(r"[^\w.-]+", "_", request.node.name)
            try:
                page.screenshot(path=str(RESULTS_DIR / f"{stem}-failure.png"), full_page=True)
                (RESULTS_DIR / f"{stem}-failure.html").write_text(page.content(), encoding="utf-8")
            except Exception as exc:  # the page may be gone; the test's own error matters more
                print(f"could not save the failure screenshot: {exc}")
        context.close()


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR


@pytest.fixture
def stripe_harness():
    """localstripe on a free port, with the Stripe plugin's settings pointing at it."""
    from tests.plugins.payments.harnesses import StripeHarness

    harness = StripeHarness()
    harness.start()
    yield harness
    harness.stop()
