"""Debian's Chromium driven by Playwright (never a downloaded browser), for the browser tests and screenshots."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CHROMIUM = os.environ.get("MSCKG_CHROMIUM", "/usr/bin/chromium")
# Chromium calls home (component updater, accounts, time) whatever flags it gets, and it follows
# the proxy variables, which point at the test session's egress canary. The browser is not msckg:
# its requests go to a proxy on a closed port (127.0.0.1:9 refuses), so they cannot leave the
# machine, while the pages under test on 127.0.0.1 are reached directly (Chromium never proxies
# loopback). The canary stays the judge of msckg's own processes.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--proxy-server=http://127.0.0.1:9"]


def available() -> str:
    """'' when the browser tests can run, else why not."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is absent: 'make chromium' installs Debian's chromium (make test does it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[test]'"
    return ""


@contextlib.contextmanager
def chromium():
    """A headless Chromium browser (Debian's), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
