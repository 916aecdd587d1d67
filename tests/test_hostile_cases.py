"""Hostile or odd inputs found by a reviewer (H2) whose fix needs numbers or sentences checked, not only a refusal."""

from __future__ import annotations

import copy
import datetime as dt

from decide.frame import Decision
from decide.record import load_record, make_record, write_record
from decide.review import report_html, review

WHEN = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)

#: Every input a fixed number: home -18 (0.3 x 60), care +18 (0.5 x 40 - 0.2 x 10).
FIXED = {
    "question": "Which option?", "date": "2026-03-01", "decided_by": ["social worker"],
    "options": [
        {"name": "home", "outcomes": [{"name": "harm", "kind": "harm", "chance": 0.3, "horizon": "1 year", "magnitude": 60}]},
        {"name": "care", "outcomes": [
            {"name": "settles", "kind": "benefit", "chance": 0.5, "horizon": "1 year", "magnitude": 40},
            {"name": "moves", "kind": "harm", "chance": 0.2, "horizon": "1 year", "magnitude": 10}]},
    ],
}


def _record(case: dict, tmp_path, chosen: str | None, draws: int = 200, seed: int = 1):
    rec = make_record(Decision.from_dict(case), chosen=chosen, draws=draws, seed=seed, recorded_at=WHEN, case_name="h2")
    return load_record(write_record(rec, tmp_path))


def test_review_of_a_case_with_every_input_fixed(tmp_path):
    """H2 D5: the record's tornado table is empty; the review raised KeyError 'quantity'."""
    rec = _record(FIXED, tmp_path, "care")
    rv = review(rec, ["moves"])
    assert rv.choice["verdict"] == "reasonable"
    assert len(rv.switches) == 0
    shows = {c["key"]: c["record_shows"] for c in rv.checklist}
    assert shows["would-have-changed"] == "Every input was given as a fixed number, so there was nothing uncertain to move."
    assert "nothing uncertain to move" in report_html(rv)


# --- H2 B1: the wording the docs and `decide new` recommend for a figure seen second-hand ---------------------------

SECOND_HAND = [
    "Example study (2020), as quoted in an example review (2022) (seen in a secondary source)",  # the starter's own
    "Smith (2011), as quoted in Jones (2015) (seen in a secondary source)",  # docs/case-file.md
    "Smith (2011) (Seen in a Secondary Source)", "SMITH (2011) (SEEN IN A SECONDARY SOURCE)",
    "Smith (2011) (S)", "Smith (2011) (S: seen in a secondary source)", "Smith (2011), quoted in Jones (2015)",
    "Smith (2011), read second-hand",
]
FIRST_HAND = ["Smith (2011)", "(Smith 2011)", "Contact centre records (made-up example)", "(synthetic example)",
              "Sources (Scotland) 2020"]


def test_every_second_hand_wording_counts_as_second_hand():
    from decide.case_report import seen_second_hand

    assert [s for s in SECOND_HAND if not seen_second_hand(s)] == []
    assert [s for s in FIRST_HAND if seen_second_hand(s)] == []


def test_the_docs_examples_of_a_second_hand_source_count_as_second_hand():
    import re
    from pathlib import Path

    from decide.case_report import seen_second_hand

    docs = (Path(__file__).resolve().parents[1] / "docs" / "case-file.md").read_text(encoding="utf-8")
    examples = [m for m in re.findall(r"source: ['\"]([^'\"]+)['\"]", docs) if "secondary" in m.lower()]
    assert examples and all(seen_second_hand(s) for s in examples)


def test_the_starters_second_hand_figure_is_reported_as_second_hand():
    from decide.case_report import _secondary, _sources
    from decide.starter import starter_text

    sources = _sources(Decision.from_yaml_text(starter_text()), str)
    marked = sources[sources["source"].str.contains("seen in a secondary source")]
    assert len(marked) == 1 and marked["status"].iloc[0].startswith("S: seen only in a secondary source")
    assert _secondary(sources) == 1


# --- H2 B3: percentages in one sentence that do not add up; '100%' for a share that is not all ---------------------

def test_a_share_is_never_shown_as_all_or_none_unless_it_is():
    from decide.review import percent

    assert [percent(p) for p in (0, 0.004, 0.005, 0.3, 0.55, 0.695, 0.9949, 0.995, 0.99999, 1)] == [
        "0%", "under 1%", "under 1%", "30%", "55%", "70%", "99%", "over 99%", "over 99%", "100%"]


def test_whole_percentages_add_up_to_100():
    import numpy as np

    from decide.review import whole_percents

    rng = np.random.default_rng(7)
    for n in (2, 3, 4, 7):
        for shares in rng.dirichlet(np.full(n, 0.3), size=300):
            whole = whole_percents(dict(enumerate(shares)))
            assert sum(whole.values()) == 100
            assert all(abs(whole[i] - 100 * p) < 1 for i, p in enumerate(shares))  # each within a point of its share
    assert whole_percents({"opt1": 0.695, "opt2": 0.3, "opt0": 0.005}) == {"opt1": 70, "opt2": 30, "opt0": 0}


#: A case (H2's fuzzer, seed 60) where the report said "best in 70% ... In the other 31% ('opt2' 30%; 'opt0' 0%)".
PCT_SUM_101 = """
question: q?
date: '2026-01-15'
decided_by: [sw]
options:
- name: opt0
  outcomes:
  - {name: o0, kind: harm, chance: 0.769, horizon: 1 year, magnitude: 33.6}
  - {name: o1, kind: harm, chance: {distribution: Beta, params: {alpha: 17.26, beta: 13.48}}, horizon: 1 year, magnitude: 39.2}
- name: opt1
  outcomes:
  - {name: o0, kind: harm, chance: {low: 0.441, likely: 0.485, high: 0.68}, horizon: 1 year,
     magnitude: {low: 9.8, likely: 22.1, high: 38.6}}
- name: opt2
  outcomes:
  - {name: o0, kind: harm, chance: {verbal: likely, confidence: low}, horizon: 1 year,
     magnitude: {low: 13.9, likely: 29.8, high: 41.2}}
values: {harm_weight: 0.5}
"""


def test_the_how_sure_sentence_adds_up():
    import re

    from decide.case_report import _looks, build_report

    r = build_report(Decision.from_yaml_text(PCT_SUM_101), draws=2000, seed=1)
    sentence = next(s for s in _looks(r) if s.startswith("How sure"))
    m = re.search(r"best in (\d+)% .* In the other (\d+)%, another option would be better \((.*)\)\.", sentence)
    assert m, sentence
    best, rest, others = int(m[1]), int(m[2]), [int(x) for x in re.findall(r"(\d+)%", m[3])]
    assert best + rest == 100 and sum(others) == rest, sentence
    p = float(r.summary.loc[r.preferred, "probability_best"])
    assert abs(best - 100 * p) < 1


# --- H2 A1: options that cannot be told apart: the review's verdict must not depend on the order they are listed --

def _identical(names, inline=False):
    chance = {"low": 0.2, "likely": 0.3, "high": 0.4} if inline else "p"
    case = {"question": "Which option?", "date": "2026-01-15", "decided_by": ["social worker"],
            "options": [{"name": n, "outcomes": [{"name": "harm", "kind": "harm", "chance": copy.deepcopy(chance),
                                                  "horizon": "1 year", "magnitude": 60}]} for n in names]}
    if not inline:
        case["quantities"] = [{"name": "p", "judgement": {"low": 0.2, "likely": 0.3, "high": 0.4}}]
    return case


def test_choosing_any_of_identical_options_is_supported(tmp_path):
    names = [f"option {i}" for i in range(6)]
    for order in (names, names[::-1]):
        for chosen in (names[0], names[5]):
            rec = _record(_identical(order), tmp_path / f"{order[0]}-{chosen}", chosen, draws=500)
            choice = review(rec, ["harm"]).choice
            assert choice["verdict"] == "reasonable" and not choice["departs"], choice["because"]
            assert "cannot be told apart" in choice["because"] and "same expected value in every one" in choice["because"]
            assert sorted(choice["tied_with"]) == sorted(set(names) - {chosen})


def test_choosing_an_option_within_the_simulations_error_of_the_best_is_supported(tmp_path):
    """The same judgement given inline under each option: the two differ only by Monte Carlo noise (the report calls
    them impossible to tell apart), so the review must not call either 'a close call'."""
    from decide.compare import lead
    from decide.simulate import simulate

    case = _identical(["a", "b"], inline=True)
    assert lead(simulate(Decision.from_dict(case), 2000, seed=1)).is_tie
    for chosen in "ab":
        choice = review(_record(case, tmp_path / chosen, chosen, draws=2000), ["harm"]).choice
        assert choice["verdict"] == "reasonable" and "within the simulation's own error" in choice["because"]


def test_a_clearly_worse_option_is_still_not_supported(tmp_path):
    case = _identical(["a", "b"])
    case["options"][1]["outcomes"][0]["magnitude"] = 90
    choice = review(_record(case, tmp_path, "b", draws=500), ["harm"]).choice
    assert choice["verdict"] == "not supported by the record" and choice["departs"] and choice["tied_with"] == []


def test_record_without_chosen_does_not_call_the_first_of_tied_options_the_highest(tmp_path):
    import pytest

    from decide.errors import DecideError

    with pytest.raises(DecideError, match=r"'a' and 'b' cannot be told apart.*--chosen"):
        make_record(Decision.from_dict(_identical(["a", "b"])), chosen=None, draws=200, seed=1, recorded_at=WHEN)
    rec = make_record(Decision.from_dict(FIXED), chosen=None, draws=200, seed=1, recorded_at=WHEN)
    assert rec.chosen == "care" and rec.content["chosen"]["chosen_by"].startswith("not stated")


def test_a_reader_that_stops_early_gets_no_error_message(tmp_path):
    """H2 E5: `decide compare case.yaml | head -1` ended with 'cannot read or write a file: Broken pipe' and exit 2."""
    import subprocess
    import sys

    import yaml

    (tmp_path / "case.yaml").write_text(yaml.safe_dump(FIXED), encoding="utf-8")
    p = subprocess.Popen([sys.executable, "-m", "decide", "compare", "case.yaml", "--draws", "200"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader has gone before anything is written: every write meets a closed pipe
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 1 and err == "", err


# --- H2 A3: a judgement the fitted distribution cannot honour is used without a word ------------------------------

def _with_judgement(judgement: dict) -> Decision:
    case = copy.deepcopy(FIXED)
    case["quantities"] = [{"name": "harm_rate", "judgement": judgement}]
    case["options"][0]["outcomes"][0]["chance"] = "harm_rate"
    return Decision.from_dict(case)


def test_a_judgement_the_fit_cannot_honour_is_warned_about():
    for judgement, fitted in [({"low": 0.3, "likely": 0.35, "high": 0.9}, "0.198 / 0.498 / 0.8"),
                              ({"low": 0.1, "likely": 0.8, "high": 0.85}, "0.103 / 0.795 / 0.999")]:
        found = [w for w in _with_judgement(judgement).warnings() if "cannot honour" in w.message]
        assert len(found) == 1 and found[0].where.startswith("quantities[0] (harm_rate).judgement"), found
        stated = " / ".join(f"{v:g}" for v in judgement.values())
        assert f"percentiles are {fitted} where the judgement says {stated}" in found[0].message


def test_judgements_the_fit_honours_are_not_warned_about():
    from pathlib import Path

    from decide.starter import starter_text

    for judgement in ({"low": 0.2, "likely": 0.3, "high": 0.4}, {"low": 0.05, "likely": 0.1, "high": 0.3},
                      {"quantiles": {0.1: 0.2, 0.5: 0.3, 0.9: 0.4}}):
        assert not [w for w in _with_judgement(judgement).warnings() if "cannot honour" in w.message]
    root = Path(__file__).resolve().parents[1]
    for case in [Decision.from_yaml_text(starter_text()), *(Decision.from_yaml(p) for p in sorted((root / "data" / "cases").glob("*.yaml")))]:
        assert not [w for w in case.warnings() if "cannot honour" in w.message]


def test_a_negative_magnitude_is_warned_about():
    """H2 A4: on a -100..100 scale a harm of magnitude -80 counted as a benefit of 80, and the report recommended it."""
    case = copy.deepcopy(FIXED)
    case["values"] = {"scale_min": -100, "scale_max": 100}
    case["options"][0]["outcomes"][0]["magnitude"] = -80
    case["options"][1]["outcomes"][0]["magnitude"] = {"low": -5, "likely": 10, "high": 20}
    found = {w.where: w.message for w in Decision.from_dict(case).warnings() if "below 0" in w.message}
    assert found == {
        "options[0] (home).outcomes[0] (harm).magnitude": "the harm 'harm' has a magnitude below 0 (-80): a magnitude says "
        "how large the harm is and its kind gives the sign, so this harm adds value, as a benefit would",
        "options[1] (care).outcomes[0] (settles).magnitude": "the benefit 'settles' has a magnitude below 0 (-5): a "
        "magnitude says how large the benefit is and its kind gives the sign, so this benefit takes away value, as a harm would",
    }
    assert not [w for w in Decision.from_dict(FIXED).warnings() if "below 0" in w.message]


def test_scale_words_that_disagree_with_its_numbers_are_warned_about():
    """H2 C5: 'points from 0 to 10' with scale_max left at 100: the report spoke of a scale of 0 to 100 points."""
    def warned(values):
        case = copy.deepcopy(FIXED)
        case["values"] = values
        for option in case["options"]:
            for outcome in option["outcomes"]:
                outcome["magnitude"] = 4
        return [w.where for w in Decision.from_dict(case).warnings() if "scale's words" in w.message]

    assert warned({"scale": "points from 0 (no effect) to 10 (the most serious harm)"}) == ["values.scale_max"]
    assert warned({"scale": "points from 1 to 10", "scale_max": 10}) == ["values.scale_min"]
    for fine in ({"scale": "points from 0 (no effect) to 10 (the most serious)", "scale_max": 10},
                 {"scale": "points from -5 to 5", "scale_min": -5, "scale_max": 5},
                 {"scale": "points, no upper limit", "scale_max": None}, {}):
        assert warned(fine) == [], fine


def test_a_scenario_turning_a_risk_factor_protective_is_warned_about():
    """H2 E9: the case refuses an odds ratio below 1 for a risk factor, but a scenario could set one silently."""
    case = copy.deepcopy(FIXED)
    case["factors"] = [{"name": "drugs", "kind": "risk", "odds_ratio": 2}, {"name": "support", "kind": "protective", "odds_ratio": 0.5}]
    case["options"][0]["outcomes"][0]["factors"] = ["drugs", "support"]
    case["scenarios"] = [{"name": "s1", "quantities": {"drugs": 0.5, "support": 0.7}}, {"name": "s2", "quantities": {"support": 1.5}}]
    d = Decision.from_dict(case)
    found = [w.message for w in d.warnings() if "scenario" in w.message and "odds ratio of" in w.message]
    assert len(found) == 2, found
    assert "scenario 's1' sets the risk factor 'drugs' to an odds ratio of 0.5, below 1" in found[0]
    assert "scenario 's2' sets the protective factor 'support' to an odds ratio of 1.5, above 1" in found[1]


def test_a_tie_at_an_inputs_edge_is_not_a_switch():
    """H2 E10: p ~ Beta(1e-6, 1e-6) has its 10th percentile at 0, where both options are worth 0: the tornado called
    that a switch to the other option although the lead there is 0.00."""
    from decide.compare import tornado
    from decide.simulate import simulate

    case = {"question": "Which option?", "date": "2026-01-15", "decided_by": ["social worker"],
            "quantities": [{"name": "p", "judgement": {"distribution": "Beta", "params": {"alpha": 1e-6, "beta": 1e-6}}}],
            "options": [{"name": n, "outcomes": [{"name": "harm", "kind": "harm", "chance": "p", "horizon": "1 year",
                                                   "magnitude": m}]} for n, m in (("care", 60), ("home", 30))]}
    t = tornado(simulate(Decision.from_dict(case), 4000, seed=1)).set_index("quantity")
    assert t.loc["p", "low_value"] == 0 and t.loc["p", "lead_at_low"] == 0
    assert t.loc["p", "best_at_low"] == t.attrs["preferred"] == "home"


def test_numbers_given_exactly_are_not_listed_as_unknowns():
    """H2 E8: the value-of-information table listed fixed inputs as 'unknowns' worth 0.000."""
    from decide.case_report import build_report, labelled_evppi

    case = copy.deepcopy(FIXED)
    case["options"][0]["outcomes"][0]["chance"] = {"low": 0.2, "likely": 0.3, "high": 0.4}
    r = build_report(Decision.from_dict(case), draws=2000, seed=1)
    assert len(r.evppi) == 6  # every input is computed (the numbers stay as they were) ...
    assert labelled_evppi(r)["name"].tolist() == ["the chance of 'harm' under 'home'"]  # ... only unknowns are shown
