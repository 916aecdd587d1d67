"""A participant's workshop view in a real JupyterLab notebook cell, driven in headless Chromium: the cell shows
the view, the person types an answer and saves it, and the answer is in the workshop's store.

Uses Debian's Chromium (never a browser downloaded by Playwright) and the JupyterLab fixture of
test_jupyterlab_browser.py. Without Chromium the test skips with what to install; under CI=true that is a
failure. A screenshot is kept in build/test-artefacts/.
"""

from __future__ import annotations

import json
import shutil

import pytest
from browser import ARTEFACTS, CHROMIUM_ARGS, chromium, sync_playwright
from test_jupyterlab_browser import lab  # noqa: F401  (the fixture: a JupyterLab on 127.0.0.1 with fresh settings)
from test_workshop_browser import text_of, wait_text

from conftest import CASES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUANTITY = "foster_placement_moves"


def type_and_enter(page, css: str, value: str) -> None:
    """Type into a box as a person does and press Enter. (In JupyterLab, Tab does not leave a box in a cell's
    output, so the value would reach the kernel only when the person clicks elsewhere.)"""
    box = page.locator(f"{css} input")
    box.click()
    box.press_sequentially(value)
    box.press("Enter")


def test_participant_view_in_a_jupyterlab_cell_saves_an_answer(lab, tmp_path):  # noqa: F811
    pytest.importorskip("panel", reason="the workshop's views need panel")
    from decide.workshop.session import Workshop

    executable = chromium()
    playwright = sync_playwright()
    case = tmp_path / "return_home.yaml"
    shutil.copy(CASES / "return_home.yaml", case)
    w = Workshop.start(case, tmp_path / "w.sqlite", [QUANTITY])
    w.open_round(1)
    source = ("import panel as pn\nimport decide.workshop\n\npn.extension()\n"
              f"decide.workshop.participant_view({str(w.store.path)!r}, code={w.code!r}, role='social worker')")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "view", "metadata": {}, "outputs": [],
                           "source": source}],
                "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                            "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    (lab["work"] / "workshop_view.ipynb").write_text(json.dumps(notebook))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "jupyterlab_workshop_view.png"
    with playwright as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1100})
            page.set_default_timeout(90_000)
            try:
                page.goto(f"{lab['url']}/lab/tree/workshop_view.ipynb?token={lab['token']}")
                page.wait_for_selector(".jp-Notebook .jp-Cell")
                try:  # JupyterLab may ask which kernel to start; accept its suggestion
                    page.locator(".jp-Dialog .jp-mod-accept").click(timeout=10_000)
                except Exception:
                    pass
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
                page.click(".lm-MenuBar-item:has-text('Run')")
                page.click(".lm-Menu-item:has-text('Run All Cells')")
                card = f".jp-OutputArea-output .ws-card-{QUANTITY}"
                page.wait_for_selector(card)  # the view is drawn in the cell's output
                assert "You are taking part as social worker" in text_of(page, ".jp-OutputArea-output .ws-stage")
                page.locator(f".ws-form-{QUANTITY} button", has_text="Low / likely / high").click()
                page.wait_for_selector(f".ws-low-{QUANTITY} input")
                for which, value in (("low", "10%"), ("likely", "20%"), ("high", "40%")):
                    type_and_enter(page, f".ws-{which}-{QUANTITY}", value)
                wait_text(page, card, r"as likely to be above 2\d% as below it")  # the fit, sent back to the page
                page.locator(f".ws-save-{QUANTITY} button").click()
                wait_text(page, f".ws-message-{QUANTITY}", r"Saved for round 1")
                # the three boxes share the cell's width: none runs past the card, nor the card past the cell
                cell = page.locator(".jp-OutputArea-output").first.bounding_box()
                box = page.locator(card).bounding_box()
                assert box["x"] + box["width"] <= cell["x"] + cell["width"] + 1, (box, cell)
                for which in ("low", "likely", "high"):
                    b = page.locator(f".ws-{which}-{QUANTITY} input").bounding_box()
                    assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 1, (which, b, box)
                page.screenshot(path=str(shot))
            except Exception:
                page.screenshot(path=str(ARTEFACTS / "jupyterlab_workshop_view_failure.png"))
                raise
        finally:
            browser.close()
    (row,) = w.store.answers(1)
    assert (row["role"], row["quantity"]) == ("social worker", QUANTITY)
    assert (row["judgement"]["low"], row["judgement"]["likely"], row["judgement"]["high"]) == (0.1, 0.2, 0.4)
