"""Sentences that explain seemingly contradictory pairs of numbers: checked against closed forms on
small hand-made sets of possible worlds, and against the tables they sit beside on a real case."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import decide
from decide import explain
from decide.errors import DecideError
from decide.frame import Decision

from conftest import BASE_CASE


def worlds(values, options=("A", "B", "C")):
    """A stand-in simulation whose expected net value in each world is given (harm 0, any weight)."""
    v = np.asarray(values, dtype=float)
    ds = xr.Dataset({"expected_benefit": (("draw", "option"), v), "expected_harm": (("draw", "option"), np.zeros_like(v))},
                    coords={"option": list(options)})
    return SimpleNamespace(dataset=ds, options=list(options))


def test_a_third_option_taking_the_wins_is_named_with_exact_shares():
    # A leads on average (3.25 against 0) but B is first in 2 of 4 worlds, A in 1: in w4 C beats A and B.
    sim = worlds([[10, 0, 0], [-1, 0, -5], [-1, 0, -5], [5, 0, 8]])
    text = explain.expected_vs_most_often_best(sim, 1.0)
    assert "'A' has the higher expected net value (3.2 against 0.0 points)" in text
    assert "'B' comes out best in more possible worlds (50% against 25%)" in text
    assert "'A' beats 'B' in 50% of the worlds, by 7.5 points on average when it does, and falls behind in 50%, by 1.0 point" in text
    assert "in 50% of the worlds where 'A' beats 'B', 'C' does better still, so 'A' comes first in only 25% of all" in text
    assert "wins less often than it loses" not in text  # 50/50: that would be false


def test_winning_less_often_but_by_more_is_said_when_no_third_option_interferes():
    sim = worlds([[9, 0], [-1, 0], [-1, 0]], options=("A", "B"))
    text = explain.expected_vs_most_often_best(sim, 1.0)
    assert "'A' beats 'B' in 33% of the worlds, by 9.0 points" in text and "falls behind in 67%, by 1.0 point on" in text
    assert "wins less often than it loses, but by more" in text and "does better still" not in text


def test_no_sentence_when_the_two_measures_agree():
    assert explain.expected_vs_most_often_best(worlds([[1, 0, 0], [2, 0, 1]]), 1.0) is None
    with pytest.raises(DecideError):
        explain.expected_vs_most_often_best(worlds([[1, 0, 0]]), 0.0)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(3, 40), st.integers(2, 4)), elements=st.integers(-20, 20).map(float)))
def test_every_explanation_gives_a_true_reason(values):
    """Whenever the two measures disagree, the sentence gives at least one of the two reasons, and each
    reason it gives is true of the worlds."""
    sim = worlds(values, options=[f"O{i}" for i in range(values.shape[1])])
    text = explain.expected_vs_most_often_best(sim, 1.0)
    mean = values.mean(axis=0)
    top = values == values.max(axis=1, keepdims=True)
    best = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)  # ties share a world
    a, b = np.argmax(mean), np.argmax(best)
    if not (mean[a] > mean[b] and best[b] > best[a]):
        assert text is None
        return
    wins, losses = (values[:, a] > values[:, b]), (values[:, a] < values[:, b])
    less_often = "wins less often than it loses" in text
    third = "does better still" in text
    assert less_often or third
    assert less_often == (wins.sum() < losses.sum())
    alone = top[:, a] & (top.sum(axis=1) == 1)
    assert third == bool((wins & ~alone).any())


def test_disagreement_range_follows_the_straight_lines():
    summary = pd.DataFrame({"expected_benefit": [10.0, 4.0], "expected_harm": [8.0, 2.0]}, index=["bold", "careful"])
    # bold - w*8 > careful - w*2  <=>  w < 1; the acceptability table says 'careful' is most often best everywhere
    acc = pd.DataFrame({"bold": [0.4, 0.3, 0.2, 0.1], "careful": [0.6, 0.7, 0.8, 0.9]}, index=[0.25, 0.5, 2.0, 4.0])
    assert explain.disagreement_range(summary, acc) == (0.25, 0.5)
    agree = acc.assign(bold=[0.7, 0.6, 0.2, 0.1], careful=[0.3, 0.4, 0.8, 0.9])
    assert explain.disagreement_range(summary, agree) is None


@pytest.fixture(scope="module")
def base_sim():
    return decide.simulate(Decision.model_validate(BASE_CASE), draws=4000, seed=3)


def test_two_leads_quote_the_tables_they_explain(base_sim):
    summary = decide.summary(base_sim)
    tornado = decide.tornado(base_sim)
    first, second = summary["expected_value"].sort_values(ascending=False).index[:2]
    lead = summary.loc[first, "expected_value"] - summary.loc[second, "expected_value"]
    expected_line, tornado_line = explain.two_leads(summary, tornado)
    assert f"'{first}' is ahead of '{second}' by {lead:.1f} points" in expected_line
    assert "all 4,000 possible worlds" in expected_line
    assert f"{tornado.attrs['base_lead']:.1f} points" in tornado_line
    assert ("larger" if tornado.attrs["base_lead"] > lead else "smaller") in tornado_line


def test_readable_summary_has_no_identifiers(base_sim):
    summary = decide.summary(base_sim, interval=0.8)
    shown = explain.readable_summary(summary)
    assert list(shown.index) == list(summary.index) and shown.shape == summary.shape
    assert not [c for c in shown.columns if re.search(r"[a-z]_[a-z]", c)]
    assert "lower end (80 % interval)" in shown.columns


def test_two_regrets_says_which_is_which():
    summary = pd.DataFrame({"expected_value": [5.0, 3.0], "expected_regret": [1.25, 3.25]}, index=["stay", "go"])
    scenario = pd.DataFrame({"stay": [0.0, 2.5], "go": [2.0, 0.0]}, index=["as judged", "worse relapse"])
    text = explain.two_regrets(summary, scenario)
    assert "expected regret of 'stay' (1.2 points)" in text
    assert "'stay' falls short by at most 2.5 points (in 'worse relapse')" in text
    calm = explain.two_regrets(summary, scenario.assign(stay=[0.0, 0.0]))
    assert "best in every scenario listed" in calm
