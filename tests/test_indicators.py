"""Indicators: funnel limits against closed forms, rank probabilities, the synthetic agencies and
the complexity-adjusted models against the known truth that generated them."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / 'build' / 'pytensor'}")

from decide.errors import DecideError  # noqa: E402
from decide.evidence import EvidenceError  # noqa: E402
from decide.indicators import (  # noqa: E402
    A1_THRESHOLD_DAYS,
    fit_breakdown,
    fit_timeliness,
    funnel_limits_mean,
    funnel_limits_proportion,
    rank_probabilities,
    raw_league_table,
    read_agencies,
    timeliness_funnel,
    validate_agencies,
)

spec = importlib.util.spec_from_file_location("make_synthetic_agencies", ROOT / "scripts" / "make_synthetic_agencies.py")
synth = importlib.util.module_from_spec(spec)
spec.loader.exec_module(synth)


@pytest.fixture(scope="module")
def children():
    return read_agencies(ROOT / "data" / "synthetic" / "agencies.csv")


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(ROOT / "data" / "synthetic" / "agencies_truth.csv").set_index("agency")


@pytest.fixture(scope="module")
def timeliness(children):
    return fit_timeliness(children, seed=1)


# --- synthetic data ------------------------------------------------------------------------------


def test_committed_synthetic_data_is_what_the_seeded_script_makes(children, truth):
    made, made_truth = synth.make(synth.SEED)
    pd.testing.assert_frame_equal(made, pd.read_csv(ROOT / "data" / "synthetic" / "agencies.csv"))
    pd.testing.assert_frame_equal(made_truth.set_index("agency"), truth, check_dtype=False)
    other, _ = synth.make(synth.SEED + 1)
    assert not other["days_to_placement"].equals(made["days_to_placement"])


def test_complexity_differs_between_agencies(children):
    raw = raw_league_table(children)
    for c in ("share_sibling_group", "share_older_child", "share_disability"):
        assert raw[c].max() - raw[c].min() > 0.2


def test_threshold_is_the_scorecard_fourteen_months():
    assert A1_THRESHOLD_DAYS == 426  # 14 months of 30.44 days (DfE adoption scorecard A1, 2013-16)


def test_bad_agency_rows_are_named(children):
    bad = children.head(5).copy()
    bad.loc[2, "breakdown"] = 2
    bad.loc[3, "days_to_placement"] = -4
    with pytest.raises(EvidenceError) as err:
        validate_agencies(bad)
    text = str(err.value)
    assert "row 3 (line 4), column 'breakdown'" in text and "row 4 (line 5), column 'days_to_placement'" in text
    with pytest.raises(EvidenceError, match="missing column"):
        validate_agencies(children.drop(columns="disability"))


# --- funnel limits -------------------------------------------------------------------------------


def test_binomial_funnel_approaches_the_normal_limits_for_large_n():
    p, n = 0.08, 20000
    lim = funnel_limits_proportion([n], p).iloc[0]
    half = stats.norm.ppf(0.975) * np.sqrt(p * (1 - p) / n)
    assert lim["lower_0.95"] == pytest.approx(p - half, abs=2e-4)
    assert lim["upper_0.95"] == pytest.approx(p + half, abs=2e-4)


@pytest.mark.parametrize("n", [10, 37, 120, 500])
def test_binomial_funnel_limits_sit_at_the_nominal_tail_probabilities(n):
    """Counts are whole numbers, so a limit falls between two counts (Spiegelhalter 2005): the chance
    of a count beyond the next whole count is at most the nominal 2.5 %, and of one at or beyond the
    count below it at least 2.5 %."""
    p = 0.08
    lim = funnel_limits_proportion([n], p, probs=(0.95,)).iloc[0]
    binom = stats.binom(n, p)
    upper, lower = lim["upper_0.95"] * n, lim["lower_0.95"] * n
    assert binom.sf(np.ceil(upper)) <= 0.025 <= binom.sf(np.floor(upper) - 1) + 1e-12
    if lower > 0:
        assert binom.cdf(np.floor(lower) - 1) <= 0.025 <= binom.cdf(np.ceil(lower)) + 1e-12
    wider = funnel_limits_proportion([n], p, probs=(0.998,)).iloc[0]
    assert wider["lower_0.998"] <= lim["lower_0.95"] <= p <= lim["upper_0.95"] <= wider["upper_0.998"]


def test_mean_funnel_is_the_closed_form():
    lim = funnel_limits_mean([4, 100], target=0.0, sd=0.5, probs=(0.95,))
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(lim["upper_0.95"], z * 0.5 / np.sqrt([4, 100]))
    np.testing.assert_allclose(lim["lower_0.95"], -z * 0.5 / np.sqrt([4, 100]))


def test_adjusted_timeliness_funnel_removes_case_mix(children, truth):
    adjusted, info = timeliness_funnel(children, adjust=True)
    raw, _ = timeliness_funnel(children, adjust=False)
    true_effect = np.log(truth.loc[adjusted["agency"], "true_timeliness_multiplier"].to_numpy())
    complexity = truth.loc[adjusted["agency"], "complexity_score"].to_numpy()
    # Raw averages follow complexity; adjusted ones follow how well the agency works.
    assert stats.pearsonr(raw["mean_log_ratio"], complexity)[0] > 0.5
    assert abs(stats.pearsonr(adjusted["mean_log_ratio"], complexity)[0]) < 0.3
    assert stats.pearsonr(adjusted["mean_log_ratio"], true_effect)[0] > 0.8
    assert 0.3 < info["sd"] < 0.4  # the child-level sd the data were made with is 0.35


def test_funnel_rejects_an_impossible_target():
    with pytest.raises(DecideError, match="between 0 and 1"):
        funnel_limits_proportion([10], 1.2)


# --- ranks ---------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(5, 60), st.integers(2, 7)), elements=st.floats(-5, 5)))
def test_rank_probabilities_rows_and_columns_sum_to_one(scores):
    probs = rank_probabilities(scores, [f"A{i}" for i in range(scores.shape[1])])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs.sum(axis=0), 1.0)


def test_well_separated_agencies_have_certain_ranks():
    rng = np.random.default_rng(0)
    scores = np.array([1.0, 5.0, 3.0]) + rng.normal(0, 0.01, (400, 3))
    probs = rank_probabilities(scores, ["fast", "slow", "middle"])
    assert list(probs.index) == ["fast", "middle", "slow"]
    np.testing.assert_allclose(probs.to_numpy(), np.eye(3))
    with pytest.raises(DecideError, match="3 agencies"):
        rank_probabilities(scores[:, :2], ["a", "b", "c"])


# --- models against the known truth --------------------------------------------------------------


def test_timeliness_model_recovers_complexity_effects(timeliness):
    post = timeliness.datatree["posterior"]["complexity_effect"]
    est = post.mean(("chain", "draw")).to_series()
    for name, true in synth.TIMELINESS_EFFECTS.items():
        assert est[name] == pytest.approx(true, abs=0.08)
    assert timeliness.diagnostics.ok


def test_adjusted_ranking_is_closer_to_the_truth_than_the_raw_league_table(children, truth, timeliness):
    table = timeliness.table().join(truth).join(raw_league_table(children)["raw_rank"])
    adjusted = stats.spearmanr(table["mean_rank"], table["true_timeliness_rank"])[0]
    raw = stats.spearmanr(table["raw_rank"], table["true_timeliness_rank"])[0]
    assert adjusted > raw + 0.15
    # The 90 % intervals mostly contain each agency's true standardised days: the median days the
    # true process gives a child with the average case mix
    mix = children[list(synth.TIMELINESS_EFFECTS)].mean()
    true_days = synth.BASE_DAYS * table["true_timeliness_multiplier"] * np.exp(
        sum(b * mix[k] for k, b in synth.TIMELINESS_EFFECTS.items()))
    inside = (table["lower"] <= true_days) & (true_days <= table["upper"])
    assert inside.mean() >= 0.75
    # ...and the ranks are uncertain: no agency in the middle of the table is sure of its place
    probs = rank_probabilities(timeliness.scores, timeliness.agencies)
    assert probs.iloc[6:18].max(axis=1).max() < 0.5


@pytest.mark.slow
def test_breakdown_model_finds_older_children_at_higher_risk(children):
    fit = fit_breakdown(children, seed=2)
    effect = fit.datatree["posterior"]["complexity_effect"].sel(complexity="older_child").values
    assert (effect > 0).mean() > 0.95
    assert np.log(synth.BREAKDOWN_ODDS_RATIOS["older_child"]) == pytest.approx(effect.mean(), abs=0.5)
    table = fit.table()
    assert ((table["lower"] > 0) & (table["upper"] < 1)).all()
    assert fit.diagnostics.ok
