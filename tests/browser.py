"""What the browser tests share: finding Debian's Chromium, launching it, and the skip/fail rule.

Never a browser downloaded by Playwright. Without Chromium (or playwright) a browser test skips
with what to install; in CI (CI=true) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "build" / "test-artefacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def missing(what: str) -> None:
    message = (f"{what}. Install Debian's Chromium with `sudo apt-get install -y chromium` and the Python package "
               "playwright (in the dev extras); the project never downloads a browser, so do not run `playwright install`.")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true, so a missing browser is a failure: " + message)
    pytest.skip(message)


def chromium() -> str:
    """The path of Debian's Chromium, or skip (fail in CI) saying what to install."""
    for path in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if path and Path(path).exists():
            return path
    missing("Chromium is not installed")


def sync_playwright():
    """Playwright's sync API, or skip (fail in CI) saying what to install."""
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        missing("The Python package playwright is not installed; it comes with the project's dev extras")
    return start()


def find_chromium() -> str | None:
    """The path of Debian's Chromium, or None; for scripts (scripts/snapshot) that say themselves what is missing."""
    for path in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if path and Path(path).exists():
            return path
    return None


def launch(playwright, executable: str, user_data_dir: str, **options):
    """Debian's Chromium, headless with the project's flags, in a fresh profile (``user_data_dir``, which should be
    an empty folder): no first-run pages, sync, component updates or background requests. Returns a browser context."""
    return playwright.chromium.launch_persistent_context(
        user_data_dir, executable_path=executable, headless=True, args=CHROMIUM_ARGS, **options)
