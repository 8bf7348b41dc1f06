"""A real iamd server with a root password, and Debian's chromium driven by Playwright.

The browser is the system's ``/usr/bin/chromium`` (never one Playwright downloads). When it
is missing the browser tests are skipped, unless ``IAMD_REQUIRE_BROWSER`` is set (CI).
``IAMD_SCREENSHOTS=1`` writes screenshots of the main pages to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO_ROOT, RunningServer, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "Root-Passw0rd!"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def console_server() -> Iterator[RunningServer]:
    server = start_server(["--ephemeral"], {"IAMD_ROOT_EMAIL": ROOT_EMAIL, "IAMD_ROOT_PASSWORD": ROOT_PASSWORD})
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Module scope, not session: Playwright's sync API keeps
    an asyncio loop running in this thread while it is open, and tests of other modules run
    in the same worker process must not find one."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        if os.environ.get("IAMD_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (IAMD_REQUIRE_BROWSER) but /usr/bin/chromium is missing")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the page for the README, when asked to (``IAMD_SCREENSHOTS=1``)."""
    if os.environ.get("IAMD_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in_root(page: Any, server: RunningServer) -> None:
    page.goto(server.endpoint + "/console")
    page.fill("input[name=email]", ROOT_EMAIL)
    page.fill("input[name=password]", ROOT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.endpoint + "/console")


def sign_in_user(page: Any, server: RunningServer, user: str, password: str) -> None:
    page.goto(f"{server.endpoint}/console/{server.account_id}")
    page.fill("input[name=user_name]", user)
    page.fill("input[name=password]", password)
    page.click("form[method=post] button[type=submit]")
