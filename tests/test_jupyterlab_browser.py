"""Notebook 01 in a real JupyterLab, driven in headless Chromium: run all cells, no errors, a figure renders.

Uses Debian's chromium package (never a browser downloaded by Playwright). Without Chromium the
test skips with what to install; in CI (CI=true) a missing browser is a failure.
A screenshot is kept in build/test-artefacts/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import ARTEFACTS, CHROMIUM_ARGS, chromium, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01_risk_versus_uncertainty.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab on 127.0.0.1 with fresh settings, serving a copy of the notebook (the original is never touched)."""
    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, work / "notebooks" / NOTEBOOK)
    (work / "data").symlink_to(ROOT / "data")  # the notebook reads ../data/cases/
    settings = tmp_path / "settings"
    notif = settings / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True)
    (notif / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # render every cell (no virtual scrolling), so the test can see every prompt and output
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    env.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / 'build' / 'pytensor'}")
    token, port = secrets.token_hex(16), _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.5)
        yield {"url": url, "token": token, "work": work}
    finally:
        proc.terminate()  # this server only, by its PID
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_notebook_01_runs_in_a_real_jupyterlab(lab):
    executable = chromium()
    playwright = sync_playwright()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "jupyterlab_notebook01.png"
    (ARTEFACTS / "jupyterlab_notebook01_failure.png").unlink(missing_ok=True)  # stale from an earlier run
    with playwright as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            try:
                n_errors, tracebacks, size = _run_all(page, lab, shot)
            except Exception:
                page.screenshot(path=str(ARTEFACTS / "jupyterlab_notebook01_failure.png"))
                raise
        finally:
            browser.close()
    assert n_errors == 0 and not tracebacks, f"cells raised errors: {tracebacks[:2]}"
    assert size[0] > 300 and size[1] > 200, f"figure did not render (size {size})"
    assert shot.exists() and shot.stat().st_size > 10_000


def _run_all(page, lab, shot):
    """Open the notebook, Run -> Run All Cells, wait for every cell, return (errors, tracebacks, first figure size)."""
    page.goto(f"{lab['url']}/lab/tree/notebooks/{NOTEBOOK}?token={lab['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    # JupyterLab may ask which kernel to start; accept its suggestion (the project's python3 kernel)
    try:
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=10_000)
    except Exception:  # no dialog: the kernel started by itself
        pass
    # wait for the kernel to be ready before running anything
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.click(".lm-MenuBar-item:has-text('Run')")
    page.click(".lm-Menu-item:has-text('Run All Cells')")
    n_code = page.locator(".jp-Notebook .jp-CodeCell").count()
    assert n_code >= 10, f'only {n_code} code cells on the page'
    # every code cell finished: a number in its prompt, none pending ('*'), kernel idle again
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(el => /\\[\\d+\\]/.test(el.textContent));
        }""",
        timeout=int(os.environ.get('DECIDE_LAB_TIMEOUT', '180')) * 1000,
    )
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    n_errors = page.locator(".jp-OutputArea-output .ansi-red-fg:has-text('Traceback'), "
                            ".jp-OutputArea-output:has-text('Traceback (most recent call last)')").count()
    tracebacks = [t for t in page.locator(".jp-OutputArea-output").all_inner_texts() if "Traceback" in t or "Error:" in t]
    images = page.locator(".jp-OutputArea-output img")
    images.first.wait_for(state="visible", timeout=30_000)
    first = images.first
    first.scroll_into_view_if_needed()
    size = first.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    page.screenshot(path=str(shot))
    return n_errors, tracebacks, size
