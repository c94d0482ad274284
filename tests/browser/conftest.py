"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).

Every page a test checks with `visitor.check(name)` is run through axe-core (WCAG 2.2 AA)
at 320 and 1280 pixels wide and fails the test on any violation; a Content Security Policy
violation, or a stylesheet, script or image that does not load, fails it too. Screenshots
go to test-artifacts/screenshots/<name>-<width>.png.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.helpers import give_totp

# Playwright's sync API keeps an event loop on the main thread, where the tests also make
# database rows; Django would take that for async code. The tests themselves are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = Path(os.environ.get("ICSVOICE_AXE") or ROOT / "node_modules" / "axe-core" / "axe.min.js")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("ICSVOICE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 1280)


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


class Visitor:
    """A page plus the checks every visited page must pass."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.csp_violations: list[str] = []
        self.failed_resources: list[str] = []
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp_violations.append(message.text)

    def _response(self, response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.failed_resources.append(f"{response.status} {response.url}")

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def wait_for_path(self, path: str) -> None:
        self.page.wait_for_url(lambda url: url.split("?")[0] == self.base_url + path)

    def focused_id(self) -> str:
        return self.page.evaluate("document.activeElement && document.activeElement.id")

    def tab_to(self, element_id: str, limit: int = 40) -> None:
        """Press Tab until the element has focus, as a keyboard user would."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.focused_id() == element_id:
                return
        raise AssertionError(f"#{element_id} cannot be reached with the Tab key")

    def check(self, name: str) -> None:
        """axe at both widths, screenshots at both widths, no CSP violations, and every
        stylesheet, script and image loaded."""
        if not AXE.exists():
            pytest.fail(f"axe-core is missing at {AXE}: run `make assets` (npm ci).")
        original = self.page.viewport_size
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.evaluate(AXE.read_text() + "\n;0")
            result = self.page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
            )
            violations = [
                {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
                for v in result["violations"]
            ]
            assert not violations, (
                f"axe on {name} at {width}px:\n{json.dumps(violations, indent=2)}"
            )
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size(original)
        assert not self.csp_violations, f"CSP violations on {name}: {self.csp_violations}"
        assert not self.failed_resources, f"Not loaded on {name}: {self.failed_resources}"

    def sign_in_as(self, user) -> None:
        """A signed-in session, as after password and authenticator code, without typing
        them: for tests about what a page shows rather than about signing in."""
        give_totp(user)
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": self.base_url}]
        )


@pytest.fixture(autouse=True)
def _static_files_by_plain_name(settings):
    """The live server serves /static/ from the finders (static/dist), which hold the plain
    file names; the manifest storage would ask for hashed names that only collectstatic
    makes, in STATIC_ROOT. Without this, pages load with no CSS and no JavaScript."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def visitor(browser, live_server) -> Iterator[Visitor]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield Visitor(page, live_server.url)
    context.close()
