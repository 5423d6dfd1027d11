"""Headless Chromium driven by Playwright's sync API, for the console's browser tests.

Playwright's own browser download is not reachable from here or from CI, so the tests drive Debian's
Chromium (`scripts/lib.sh` installs the `chromium` package when /usr/bin/chromium is missing; CHROMIUM_PATH
points elsewhere).

Playwright's sync API keeps an asyncio event loop running on the calling thread while it is started, and
Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). So the browser lives
only inside `browser_page()`: a test writes its data before it, asserts on the database after it, and in
between talks to the server only over HTTP, as a browser and a payment core would. No test needs
DJANGO_ALLOW_ASYNC_UNSAFE. The live server itself runs in its own thread, where no loop is running.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Long enough for a 2-core machine shared by several test runs; a hang still fails instead of waiting forever.
TIMEOUT_MS = 20_000
FAILURES = Path(__file__).resolve().parents[2] / "var" / "browser-failures"


@contextmanager
def browser_page(base_url: str, *, name: str = "page", width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A fresh browser (its own cookies) at `base_url`; a screenshot of the page is kept if the block fails."""
    if not Path(CHROMIUM).exists():
        raise AssertionError(
            f"{CHROMIUM} is missing: run scripts/test.sh (it installs Debian's chromium) or set CHROMIUM_PATH"
        )
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # A desk at the 95588 centre: a Chinese browser in Beijing time.
            context = browser.new_context(
                base_url=base_url,
                viewport={"width": width, "height": height},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            # The page must work under the project's Content-Security-Policy: a blocked script, style or
            # form shows up as a console error, and fails the test.
            blocked: list[str] = []
            page.on(
                "console",
                lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
            )
            try:
                yield page
                assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
            except BaseException:
                FAILURES.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True)
                raise
        finally:
            browser.close()
