"""A whole workshop in a real browser: Debian's Chromium driven by Playwright, one facilitator and two
participants (three browser contexts) through two rounds to the written case file and record.

Skips without Chromium or playwright; under CI=true that is a failure (tests/browser.py)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from browser import ARTEFACTS, CHROMIUM_ARGS, chromium, sync_playwright
from conftest import CASES, ROOT

pytestmark = pytest.mark.browser

QUANTITIES = "foster_placement_moves,harm_of_reabuse"
#: The social worker's chips for how serious re-abuse would be, in the bins 0-10, 10-20, ... 90-100.
CHIPS = [0, 0, 0, 0, 0, 2, 4, 8, 5, 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`decide workshop` in a subprocess on one port; stopped (and started again) by its process id."""

    def __init__(self, tmp_path):
        self.dir = tmp_path
        self.case = tmp_path / "return_home.yaml"
        shutil.copy(CASES / "return_home.yaml", self.case)
        self.port = free_port()
        self.calibration = tmp_path / "calibration.yaml"
        self.calibration.write_text("questions:\n  - name: moves\n    question: What share of looked-after children had two "
                                    "or more placement moves in 12 months?\n    answer: 0.1\n    kind: probability\n    "
                                    "source: Children's Commissioner Stability Index (2019)\n")
        self.proc = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log = self.dir / f"server-{self.starts}.log"
        env = {**os.environ, "MPLBACKEND": "Agg",
               "PYTENSOR_FLAGS": os.environ.get("PYTENSOR_FLAGS", f"base_compiledir={ROOT / 'build' / 'pytensor'}")}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "decide", "workshop", str(self.case), "--port", str(self.port),
                 "--quantities", QUANTITIES, "--store", str(self.dir / "w.sqlite"), "--records",
                 str(self.dir / "workshops"), "--calibration", str(self.calibration)],
                cwd=self.dir, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120  # a wait for start-up (fitting warms up), not a timed assertion
        while True:
            text = self.log.read_text()
            if self.proc.poll() is not None:
                pytest.fail(f"decide workshop stopped:\n{text}")
            if "Participants:" in text:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/join", timeout=5)
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                pytest.fail(f"decide workshop did not start:\n{text}")
            time.sleep(0.5)
        self.facilitator = re.search(r"(http://\S+/facilitator\?key=\S+)", text).group(1)
        self.code = re.search(r"session code (\w+)", text).group(1)
        self.join = f"http://127.0.0.1:{self.port}/join"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def server(tmp_path):
    try:
        import panel  # noqa: F401  (the server imports it; say so here rather than in its log)
    except ImportError:
        message = "the workshop needs the Python package panel (in the project's dependencies)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true, so a missing part is a failure: " + message)
        pytest.skip(message)
    running = Server(tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


#: The words inside an element, through the shadow roots Bokeh draws Panel's panes in (style sheets left out).
DEEP_TEXT = """e => { const out = [];
  const walk = n => { if (n.nodeType === 3) { out.push(n.textContent); return; }
    if (n.nodeName === 'STYLE' || n.nodeName === 'SCRIPT') return;
    if (n.shadowRoot) walk(n.shadowRoot);
    for (const c of n.childNodes) walk(c); };
  walk(e); return out.join(' ').replace(/\\s+/g, ' '); }"""


def text_of(page, css: str) -> str:
    """The text of a Panel pane as a person reads it."""
    return page.locator(css).first.evaluate(DEEP_TEXT)


def wait_text(page, css: str, pattern: str, timeout: float = 90) -> str:
    """Wait for a pane to show a pattern (a generous wait for a busy machine, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = text_of(page, css)
        except Exception:  # the element is being re-drawn
            text = ""
        if re.search(pattern, text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{css} never showed {pattern!r}; it shows: {text!r}")
        page.wait_for_timeout(250)


def new_page(browser, **options):
    """A page in its own browser context (its own person), waiting patiently on a busy machine."""
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(90_000)
    return page


def type_into(page, css: str, value: str) -> None:
    box = page.locator(f"{css} input")
    box.fill(value)
    box.press("Tab")


def lower_likely_upper(page, q: str, low: str, likely: str, high: str, shows: str = "Your answer means") -> None:
    """Answer low / likely / high, and wait for the card to show what the answer means (or why it cannot be
    saved), as a person would before pressing Save. The Save button stays where it was while the preview's
    figure appears: were it below the figure, it would move down just as a person reaches for it, and the click
    would land on the figure, saving nothing."""
    page.locator(f".ws-form-{q} button", has_text="Low / likely / high").click()
    page.wait_for_selector(f".ws-low-{q} input")
    before = page.locator(f".ws-save-{q} button").bounding_box()
    for which, value in (("low", low), ("likely", likely), ("high", high)):
        type_into(page, f".ws-{which}-{q}", value)
    wait_text(page, f".ws-card-{q}", shows)
    page.wait_for_selector(f".ws-card-{q} img" if shows == "Your answer means" else f".ws-card-{q} .alert")
    after = page.locator(f".ws-save-{q} button").bounding_box()
    assert abs(after["y"] - before["y"]) < 1 and abs(after["x"] - before["x"]) < 1, (q, before, after)


def save(page, q: str, expect: str = r"Saved for round") -> str:
    page.locator(f".ws-save-{q} button").click()
    return wait_text(page, f".ws-message-{q}", expect)


def test_two_rounds_in_the_browser(server):
    from decide.frame import Decision
    from decide.workshop.output import load_workshop_record
    from decide.workshop.session import chips_to_quantiles

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    moves, harm = "foster_placement_moves", "harm_of_reabuse"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            fac = new_page(browser, viewport={"width": 1100, "height": 900})
            fac.goto(server.facilitator)
            wait_text(fac, ".ws-stage", "choosing")
            fac.locator(".ws-next button").click()
            wait_text(fac, ".ws-stage", "Round 1")

            people = {}
            for role in ("social worker", "team manager"):
                page = new_page(browser, viewport={"width": 1000, "height": 1300})
                page.goto(server.join)
                type_into(page, ".ws-code", server.code.lower())
                type_into(page, ".ws-role", role)
                page.locator(".ws-join button").click()
                page.wait_for_selector(f".ws-card-{moves}", timeout=30_000)
                assert role in text_of(page, ".ws-stage")
                people[role] = page
            sw, tm = people["social worker"], people["team manager"]

            # round 1: the social worker answers low / likely / high, and sees at once what it means
            lower_likely_upper(sw, moves, "10%", "20%", "40%")
            sentence = wait_text(sw, f".ws-card-{moves}", r"as likely to be above 2\d% as below it")
            assert "8 chances in 10" in sentence
            save(sw, moves)
            lower_likely_upper(sw, harm, "60", "75", "90")
            save(sw, harm)
            sw.screenshot(path=str(ARTEFACTS / "workshop-participant-round1.png"), full_page=True)

            # the team manager answers in words (the band is shown) and makes a mistake first
            tm.locator(f".ws-form-{moves} button", has_text="In words").click()
            tm.locator(f".ws-term-{moves} select").select_option("unlikely")
            tm.locator(f".ws-confidence-{moves} select").select_option("high")
            wait_text(tm, f".ws-card-{moves}", r"'unlikely' means a 25% to 35% chance")
            save(tm, moves)
            lower_likely_upper(tm, harm, "60", "50", "90", shows="need low < likely < high")
            refused = save(tm, harm, r"Not saved")
            assert "need low < likely < high" in refused
            tm.locator(f".ws-form-{harm} button", has_text="Percentiles").click()
            type_into(tm, f".ws-quantiles-{harm}", "10% = 40, 50% = 55, 90% = 70")
            save(tm, harm)

            # one calibration question: the social worker's range holds the published value, the manager's does not
            for page, values in ((sw, ("5%", "10%", "20%")), (tm, ("30%", "40%", "50%"))):
                for which, value in zip(("low", "likely", "high"), values):
                    type_into(page, f".ws-cal-0-{which}", value)
                page.locator(".ws-cal-0-save button").click()
                wait_text(page, ".ws-cal-0-message", "Saved at")

            # the facilitator sees who has answered (by role), and reveals
            wait_text(fac, ".ws-who", r"social worker: 2 of 2.*team manager: 2 of 2")
            fac.locator(".ws-next button").click()
            wait_text(fac, ".ws-stage", "Everyone's answers are shown")
            for page in (sw, tm, fac):
                page.wait_for_selector(".ws-group", timeout=60_000)
            assert "outside your range" in wait_text(tm, ".ws-calibration", "in 0 of the 1 question")
            assert "inside your range" in wait_text(sw, ".ws-calibration", "in 1 of the 1 question")
            wait_text(fac, ".ws-scores", r"social worker: calibration .*performance weight")
            shown = text_of(tm, ".ws-group")
            assert "furthest apart" in shown or "Everyone together" in shown
            fac.screenshot(path=str(ARTEFACTS / "workshop-facilitator-revealed.png"), full_page=True)
            sw.screenshot(path=str(ARTEFACTS / "workshop-participant-revealed.png"), full_page=True)

            # round 2: the team manager revises; the social worker keeps their answers
            fac.locator(".ws-next button").click()
            wait_text(tm, ".ws-stage", "Round 2")
            tm.wait_for_selector(f".ws-card-{moves}", timeout=30_000)
            lower_likely_upper(tm, moves, "15%", "25%", "40%")
            save(tm, moves, r"Saved for round 2")
            # the social worker revises how serious re-abuse would be with chips on a grid (the roulette)
            sw.wait_for_selector(f".ws-card-{harm}", timeout=30_000)
            sw.locator(f".ws-form-{harm} button", has_text="Chips on a grid").click()
            for i, n in enumerate(CHIPS):
                if n:
                    type_into(sw, f".ws-chips-{harm}-{i}", str(n))
            wait_text(sw, f".ws-card-{harm}", "Chips placed: 20 of 20")
            wait_text(sw, f".ws-card-{harm}", "as likely to be above")
            sw.screenshot(path=str(ARTEFACTS / "workshop-participant-chips.png"), full_page=True)
            save(sw, harm, r"Saved for round 2")
            fac.locator(".ws-next button").click()
            wait_text(fac, ".ws-stage", "revised answers are shown")
            fac.wait_for_selector(".ws-group", timeout=60_000)

            out = server.dir / "after_workshop.yaml"
            type_into(fac, ".ws-out", str(out))
            fac.locator(".ws-weights button", has_text="Performance weights").click()
            fac.locator(".ws-write button").click()
            wait_text(fac, ".ws-message", r"Wrote the new case file")
            fac.screenshot(path=str(ARTEFACTS / "workshop-facilitator-written.png"), full_page=True)
        finally:
            browser.close()

    d = Decision.from_yaml(out)  # what `decide check` reads
    judged = {j.by: j for j in d.quantity(moves).judgements}
    assert set(judged) == {"social worker", "team manager"}
    assert (judged["social worker"].low, judged["social worker"].likely, judged["social worker"].high) == (0.1, 0.2, 0.4)
    assert (judged["team manager"].low, judged["team manager"].likely, judged["team manager"].high) == (0.15, 0.25, 0.4)
    assert judged["social worker"].weight > judged["team manager"].weight  # performance weights, as chosen
    assert "Cooke" in d.quantity(moves).source
    harm_j = {j.by: j for j in d.quantity(harm).judgements}
    assert harm_j["social worker"].quantiles == chips_to_quantiles([10.0 * i for i in range(11)], CHIPS)
    assert harm_j["team manager"].quantiles == {0.1: 40, 0.5: 55, 0.9: 70}
    assert type(d.distribution_of(moves, "probability")).__name__ == "Mixture"  # the pooled judgements
    assert server.case.read_text() == (CASES / "return_home.yaml").read_text()  # the original never changed
    (record,) = (server.dir / "workshops").glob("workshop_*.json")
    content, _ = load_workshop_record(record)
    assert sorted({a["round"] for a in content["answers"]}) == [1, 2]
    assert [e["what"] for e in content["events"]].count("joined") == 2


def test_a_server_restart_loses_nothing(server):
    """Stop the server mid-round and start it again with the same command: the participant's link brings them back
    as the same role with their saved answer, and the facilitator's page shows it."""
    moves = "foster_placement_moves"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            fac = new_page(browser)
            fac.goto(server.facilitator)
            fac.locator(".ws-next button").click()
            wait_text(fac, ".ws-stage", "Round 1")
            page = new_page(browser)
            page.goto(server.join)
            type_into(page, ".ws-code", server.code)
            type_into(page, ".ws-role", "family support worker")
            page.locator(".ws-join button").click()
            page.wait_for_selector(f".ws-card-{moves}", timeout=30_000)
            lower_likely_upper(page, moves, "10%", "30%", "50%")
            save(page, moves)
            link = page.url
            assert "token=" in link  # the participant's own link, to come back with

            server.stop()
            server.start()  # the same command, the same store
            page.goto(link)
            page.wait_for_selector(f".ws-card-{moves}", timeout=30_000)
            assert "family support worker" in text_of(page, ".ws-stage")
            assert page.locator(f".ws-likely-{moves} input").input_value() == "0.3"
            fac.goto(server.facilitator)
            wait_text(fac, ".ws-who", "family support worker: 1 of 2")
            wait_text(fac, ".ws-stage", "Round 1")
            page.screenshot(path=str(ARTEFACTS / "workshop-after-restart.png"), full_page=True)
        finally:
            browser.close()
