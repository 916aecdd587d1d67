"""The case report (`decide report`): its content is generated from the numbers, it handles cases
without enquiries or scenarios, it is self-contained and reproducible, and the command refuses bad
input with exit status 2 without touching the user's files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decide.case_report import (
    MIN_DRAWS,
    build_report,
    margin_sentence,
    report_html,
    sturdiness,
)
from decide.cli import main
from decide.errors import DecideError
from decide.frame import Decision

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "data" / "cases"
DRAWS = 4000


@pytest.fixture(scope="module")
def return_home():
    return build_report(Decision.from_yaml(CASES / "return_home.yaml"), draws=DRAWS, seed=3, source="return_home.yaml")


@pytest.fixture(scope="module")
def permanence():
    return build_report(Decision.from_yaml(CASES / "permanence.yaml"), draws=DRAWS, seed=3, source="permanence.yaml")


def _text(lines) -> str:
    return " ".join(lines)


# --- the plain-language summary says what the numbers say ------------------------------------------


def test_summary_names_the_option_with_the_highest_expected_value_and_its_probability_best(return_home):
    r = return_home
    values = r.sim.dataset["expected_value"].values
    best = r.sim.options[int(np.argmax(values.mean(axis=0)))]
    p = float(np.mean(values.argmax(axis=1) == r.sim.options.index(best)))
    looks = _text(r.sections["Which option looks best, and how sure are we?"])
    assert r.preferred == best
    assert f"'{best}' looks best" in looks
    assert f"comes out best in {p:.0%} of the {DRAWS:,} possible worlds" in looks
    assert f"In the other {1 - p:.0%}" in looks


def test_summary_says_whether_to_wait_using_each_enquiry_and_the_cost_of_drift(return_home):
    r = return_home
    wait = r.sections["Decide now, or find out more first?"]
    assert set(r.enquiries["message"]) <= set(wait)
    assert len(r.enquiries) == len(r.decision.enquiries) == 2
    evpi = r.evppi.attrs["evpi"]
    assert f"better by {evpi:.2f} points" in _text(wait)
    # the case judges drift at low 0.1, likely 0.25, high 0.5 points a week: its mean lies between
    assert 0.1 < r.delay_harm_per_week < 0.5
    assert f"about {r.delay_harm_per_week:.2f} points of harm" in _text(wait)
    # each enquiry is worth at most the EVPI (up to Monte Carlo error)
    assert (r.enquiries["value"] <= evpi + 3 * r.enquiries["value_se"] + 3 * r.evppi.attrs["evpi_se"]).all()


def test_summary_gives_the_smallest_robustness_margin_in_words(return_home):
    r = return_home
    hidden = r.sections["What if something nobody has identified matters?"]
    smallest = r.margins[np.isfinite(r.margins["margin"])].iloc[0]
    ratio = smallest["odds_ratio"] if smallest["odds_ratio"] >= 1 else 1 / smallest["odds_ratio"]
    assert f"{ratio:.2f} times" in hidden[0]
    assert "a hidden factor would have to" in hidden[0]
    # scenarios: the case has three, and the sentence counts how many keep the preferred option
    named = [s.name for s in r.decision.scenarios]
    kept = int((r.regret.best_by_scenario.loc[named] == r.preferred).sum())
    words = ["none", "one", "two", "three"]
    assert f"stays best in {words[kept]} of three" in _text(hidden)
    assert f"'{r.regret.least_max_regret}'" in _text(hidden)


def test_threshold_sentence_points_the_right_way(return_home):
    r = return_home
    change = _text(r.sections["What could change that?"])
    thr = r.threshold
    if len(thr.switches):
        x = thr.curve.index.to_numpy()
        # at the value the sentence names, nudged to the side it names, the option it names is best
        m = re.search(r"If it were (above|below) ([0-9.]+), '([^']+)' would be preferred", change)
        assert m, change
        side, value, option = m.group(1), float(m.group(2)), m.group(3)
        probe = value + (x[1] - x[0]) * (1 if side == "above" else -1)
        at = thr.curve.iloc[int(np.argmin(np.abs(x - probe)))]
        assert at.idxmax() == option


def test_a_case_without_enquiries_or_scenarios_still_reports_the_value_of_information(permanence):
    r = permanence
    assert r.decision.enquiries == [] and r.decision.scenarios == []
    assert r.enquiries.empty
    wait = _text(r.sections["Decide now, or find out more first?"])
    assert "names no enquiries" in wait
    assert "does not say what a week of waiting costs" in wait
    assert f"better by {r.evppi.attrs['evpi']:.2f} points" in wait
    assert "states no scenarios" in _text(r.sections["What if something nobody has identified matters?"])
    html = report_html(r)
    assert "The case names no enquiries" in html
    assert 'id="wait"' in html and "EVPPI" in html


def test_sources_carry_their_secondary_status(return_home):
    src = return_home.sources
    farmer = src[src["source"].str.startswith("Farmer")]
    assert len(farmer) and farmer["status"].str.startswith("S").all()
    lutman = src[src["source"].str.startswith("Lutman")]
    assert len(lutman) and lutman["status"].str.startswith("V").all()
    background = src[src["bears on"] == "(not used as a number)"]
    assert len(background) and background["status"].str.startswith("background").all()


# --- the HTML: self-contained, complete, reproducible -------------------------------------------------


def test_report_is_self_contained_with_every_section(return_home):
    html = report_html(return_home)
    for section in ("summary", "known", "options", "comparison", "change", "wait", "robustness", "limits"):
        assert f'id="{section}"' in html
    imgs = re.findall(r'<img src="([^"]+)"', html)
    assert len(imgs) >= 10
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "It does not decide." in html and "It does not settle the values." in html
    # every sentence of the summary is in the page (escaped as HTML)
    from markupsafe import escape

    for lines in return_home.sections.values():
        for line in lines:
            assert str(escape(line)) in html


def test_same_seed_same_report():
    d = Decision.from_yaml(CASES / "permanence.yaml")
    a = build_report(d, draws=MIN_DRAWS, seed=5)
    b = build_report(d, draws=MIN_DRAWS, seed=5)
    assert a.sections == b.sections
    pd.testing.assert_frame_equal(a.margins, b.margins)
    pd.testing.assert_frame_equal(a.evppi.drop(columns="seconds"), b.evppi.drop(columns="seconds"))
    c = build_report(d, draws=MIN_DRAWS, seed=6)
    assert c.sections != a.sections


def test_too_few_draws_is_refused():
    with pytest.raises(DecideError, match=f"from {MIN_DRAWS:,}"):
        build_report(Decision.from_yaml(CASES / "permanence.yaml"), draws=100)


@pytest.mark.parametrize("ratio, word", [(1.2, "small"), (1 / 1.2, "small"), (2.0, "moderate"), (0.2, "large")])
def test_sturdiness_words(ratio, word):
    assert sturdiness(ratio).startswith(f"a {word} shift")


def test_margin_sentences_say_which_way_the_hidden_factor_acts():
    row = pd.Series({"scope": "outcome of option", "option": "home", "outcome": "harm", "change": "more likely",
                     "odds_ratio": 2.0, "chance_now": 0.2, "chance_at_switch": 1 / 3, "switches_to": "care"})
    text = margin_sentence(row, "home")
    assert text == ("a hidden factor would have to raise the odds of 'harm' under 'home' by 2.00 times (its chance from "
                    "about 20% to 33%) before 'care' would be preferred to 'home'. That is " + sturdiness(2.0) + ".")
    row = row.copy()
    row.update({"scope": "whole option", "option": "care", "outcome": "(all its outcomes)", "change": "better",
                "odds_ratio": 0.8, "switches_to": "care"})
    text = margin_sentence(row, "home")
    assert "make 'care' better all round" in text and "1.25 times lower" in text and "it would be preferred to 'home'" in text


# --- the command -------------------------------------------------------------------------------------


def test_report_command_writes_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "jo.html"
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(out), "--draws", str(MIN_DRAWS)]) == 0
    first = out.read_bytes()
    assert b"<h2 id=\"summary\">" in first
    assert "wrote" in capsys.readouterr().out
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(out), "--draws", str(MIN_DRAWS)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert out.read_bytes() == first
    again = tmp_path / "jo_again.html"  # same case, draws and seed: the same file, byte for byte
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(again), "--draws", str(MIN_DRAWS)]) == 0
    assert again.read_bytes().replace(b"jo_again.html", b"jo.html") == first
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(out), "--draws", str(MIN_DRAWS), "--seed", "9",
                 "--force"]) == 0
    assert out.read_bytes() != first


@pytest.mark.parametrize("argv, message", [
    (["report", "no/such/case.yaml", "-o", "x.html"], "no/such/case.yaml"),
    (["report", str(CASES / "permanence.yaml"), "-o", "x.html", "--draws", "50"], f"from {MIN_DRAWS:,}"),
])
def test_bad_input_exits_2_with_a_clear_message(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("decide report: ") and message in err
    assert not (tmp_path / "x.html").exists()


def test_the_case_file_is_never_the_output(tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_bytes((CASES / "permanence.yaml").read_bytes())
    before = case.read_bytes()
    assert main(["report", str(case), "-o", str(case), "--force"]) == 2
    assert "you gave as input" in capsys.readouterr().err
    assert case.read_bytes() == before


def test_an_invalid_case_names_the_field(tmp_path, capsys):
    case = tmp_path / "bad.yaml"
    case.write_text((CASES / "permanence.yaml").read_text().replace("harm_weight: 1.0", "harm_weight: -1"))
    assert main(["report", str(case), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "harm_weight" in err
    assert not (tmp_path / "r.html").exists()


def test_help_through_python_dash_m():
    res = subprocess.run([sys.executable, "-m", "decide", "report", "--help"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0
    for flag in ("--draws", "--seed", "-o", "--force"):
        assert flag in res.stdout
