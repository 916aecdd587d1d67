"""The case report opened in headless Chromium: every figure loads, nothing is fetched from a network,
and the key sections are on the page. A full-page screenshot is kept in build/test-artefacts/.

Uses Debian's chromium package (never a browser downloaded by Playwright). Without Chromium the
test skips with what to install; in CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import yaml

from browser import ARTEFACTS, CHROMIUM_ARGS, chromium, sync_playwright
from decide.case_report import MIN_DRAWS
from decide.cli import main

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = {
    "summary": "In plain language",
    "known": "What was known",
    "options": "The options",
    "comparison": "The comparison",
    "change": "What would change the decision",
    "wait": "Decide now, or find out more first?",
    "robustness": "What nobody has identified: robustness",
    "limits": "What this analysis does not do",
}

pytestmark = pytest.mark.browser


def _case_path(case, folder):
    if case != "minimal":
        return ROOT / "data" / "cases" / f"{case}.yaml"
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "catalogue"))
    from _shared import MINIMAL_CASE

    path = folder / "minimal.yaml"
    path.write_text(yaml.safe_dump(MINIMAL_CASE))
    return path


@pytest.mark.parametrize("case", ["return_home", "permanence", "minimal"])
def test_report_renders_in_a_browser_with_its_figures(case, tmp_path):
    executable = chromium()
    playwright = sync_playwright()
    out = tmp_path / f"{case}.html"
    assert main(["report", str(_case_path(case, tmp_path)), "-o", str(out), "--draws", str(MIN_DRAWS)]) == 0

    requests = []
    with playwright as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1150, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(out.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({alt: e.alt, complete: e.complete, width: e.naturalWidth}))")
            headings = page.eval_on_selector_all("h2[id]", "els => els.map(e => [e.id, e.textContent.trim()])")
            summary_items = page.locator(".summary li").count()
            page.eval_on_selector_all("details", "els => els.forEach(e => e.open = true)")
            # every table fits the page: nothing hidden behind a scrollbar or cut off at the edge
            too_wide = page.eval_on_selector_all(
                "table", "els => els.filter(t => t.getBoundingClientRect().right > document.body.getBoundingClientRect()"
                ".right + 1 || t.scrollWidth > t.clientWidth + 1).map(t => t.rows[0].innerText.slice(0, 60))")
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / f"case_report_{case}.png"), full_page=True)
        finally:
            browser.close()

    assert len(images) >= 9, images
    broken = [i["alt"] for i in images if not i["complete"] or i["width"] == 0]
    assert not broken, f"figures that did not load: {broken}"
    external = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert not external, f"the report fetched from a network: {external}"
    assert dict(headings).items() >= SECTIONS.items(), headings
    assert summary_items >= 8
    assert not too_wide, f"tables wider than the page: {too_wide}"
