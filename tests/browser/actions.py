"""Clicks that load a new page. Each waits for the navigation it starts, so the next step
(axe above all) never runs on the page being left: `wait_for_load_state` alone returns at
once if the old page is still there when it is called."""

from __future__ import annotations


def follow(locator) -> None:
    """Click a link or button and wait for the page it loads."""
    with locator.page.expect_navigation():
        locator.click()


def submit(page, name: str) -> None:
    """Press the form's button by its accessible name and wait for the answer page."""
    follow(page.get_by_role("button", name=name))
