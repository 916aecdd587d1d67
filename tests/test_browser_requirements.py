"""Without Chromium the browser tests skip with what to install; in CI (CI=true) they fail instead."""

import shutil
from pathlib import Path

import pytest

import browser


def _no_chromium(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    real_exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda self: False if str(self) == "/usr/bin/chromium" else real_exists(self))


def test_missing_browser_skips_with_install_advice(monkeypatch):
    _no_chromium(monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        browser.chromium()


def test_missing_browser_fails_in_ci(monkeypatch):
    _no_chromium(monkeypatch)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser.chromium()
