"""The page for people in a real browser: Debian's Chromium, driven by Playwright,
against a real ``mailctl serve`` on 127.0.0.1.

With the keyboard only, it opens a domain's connection IPs; it clicks Copy, reads the
clipboard back and compares it with the stored ranges (and the text/plain answer); the
page logs no console error, breaks no Content-Security-Policy rule, and has no
horizontal scroll, at a desktop's width and at a phone's.

``playwright install`` is never used (it downloads browsers): the browser is the
system's ``/usr/bin/chromium`` (``./scripts/test`` installs it). Without it the test
is skipped, saying why.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app_support import seeded
from tests.pgcluster import free_port
from tests.store.requests import domain

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEADLINE_SECONDS = 60  # generous: the CPU is shared; a deadline, not a timing claim
LONG_NAME = "a-long-label-that-goes-on-and-on-until-it-nearly-fills-a-label.example"
RANGES = ("192.0.2.0/24", "2001:db8:1234:5678:9abc:def0:1234:5678/128")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (Debian package chromium)"
    ),
]

# Registered before any page script runs (init scripts are not subject to the page's CSP).
WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
    (event) => window.__violations.push(event.violatedDirective + " " + event.blockedURI));
"""


@pytest.fixture
def served_url(mailctl_bin: str, tmp_path: Path) -> Iterator[str]:
    """The base URL of a real ``mailctl serve`` on a store with three domains (two of
    them using static IPs, one with a long name) and :data:`RANGES`."""
    domains = [
        domain("example.com", static=True),
        domain("xn--bcher-kva.example", insecure=True),
        domain(LONG_NAME, static=True),
    ]
    url = seeded(tmp_path, domains, RANGES)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [mailctl_bin, "serve", "--state", url, "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while server.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_copy_puts_the_connection_ips_on_the_clipboard(
    served_url: str, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    expected = httpx.get(f"{served_url}/v1/domains/example.com/connection-ips.txt").text
    assert expected == "".join(f"{cidr}\n" for cidr in RANGES)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served_url)
            context.add_init_script(WATCH_POLICY)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.goto(f"{served_url}/")

            section = page.locator('section[id="domain-example.com"]')
            _tab_to(page, 'section[id="domain-example.com"] summary')
            page.keyboard.press("Enter")
            assert section.locator("details").evaluate("d => d.open") is True
            expect(section.locator("pre")).to_be_visible()
            _tab_to(page, 'section[id="domain-example.com"] button[data-copy]')

            copy = section.get_by_role("button", name="Copy the connection IPs of example.com")
            copy.click()
            status = section.get_by_role("status")
            expect(status).to_have_text("Copied", timeout=DEADLINE_SECONDS * 1000)
            assert status.get_attribute("aria-live") == "polite"
            assert page.evaluate("navigator.clipboard.readText()") == expected

            # The long name's list opens too, and nothing overflows the width.
            page.locator(f'section[id="domain-{LONG_NAME}"] summary').click()
            width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], f"horizontal scroll at {viewport}: {width}"
            violations: Any = page.evaluate("window.__violations")
        finally:
            browser.close()
    assert violations == []
    assert problems == []


def _tab_to(page: Any, selector: str, limit: int = 20) -> None:
    """Press Tab until the element ``selector`` names has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus by Tab")
