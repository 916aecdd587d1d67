"""The actuarial tool: the fast path against known coefficients and the optimum's equations; Bayes against the fast path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from decide import tool as T
from decide import world as W
from decide.errors import DecideError


def _families(n: int, seed: int, beta=(-2.0, 0.5, 0.8, -0.4, 0.1)) -> tuple[pd.DataFrame, np.ndarray]:
    """A family table and the true standardised-scale log-odds (features independent)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"prior_contact": rng.integers(0, 4, n), "benefits": rng.integers(0, 2, n),
                       "needs_indicator": rng.normal(size=n), "decile": rng.integers(1, 11, n)})
    x = df[["prior_contact", "benefits", "needs_indicator", "decile"]].to_numpy(float)
    xs = (x - x.mean(0)) / x.std(0)
    return df, beta[0] + xs @ np.asarray(beta[1:])


def test_fast_path_recovers_known_coefficients():
    beta = (-2.0, 0.5, 0.8, -0.4, 0.1)
    df, eta = _families(400_000, 1, beta)
    y = (np.random.default_rng(2).random(eta.size) < special.expit(eta)).astype(float)
    tool = T.fit_fast(df, y)
    assert tool.coef == pytest.approx(beta, abs=0.02)


def test_fast_path_solves_the_penalised_score_equations():
    df, eta = _families(20_000, 3)
    y = (np.random.default_rng(4).random(eta.size) < special.expit(eta)).astype(float)
    tool = T.fit_fast(df, y)
    x = np.column_stack([np.ones(len(df)), tool._x(df)])
    penalty = np.r_[1 / T.INTERCEPT_SD**2, np.full(4, 1 / T.COEF_SD**2)]
    grad = x.T @ (y - tool.predict(df)) - penalty * tool.coef
    assert np.abs(grad).max() < 1e-6


def test_weighting_records_by_inverse_scrutiny_recovers_the_unscrutinised_model():
    """Records found under scrutiny s (chance s x p): the target y / s gives back p's coefficients (IPW)."""
    beta = (-3.0, 0.4, 0.6, 0.0, 0.3)
    df, eta = _families(400_000, 5, beta)
    rng = np.random.default_rng(6)
    s = np.where(df["decile"] >= 8, 3.0, 1.0)  # more scrutiny in deprived areas
    y = (rng.random(eta.size) < s * special.expit(eta)).astype(float)
    naive = T.fit_fast(df, y)
    fixed = T.fit_fast(df, y / s)
    assert naive.coef[4] > beta[4] + 0.3  # scrutiny learned as 'risk' of deprivation
    assert fixed.coef[1:] == pytest.approx(beta[1:], abs=0.04)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(60, 400), rate=st.floats(0.05, 0.6), seed=st.integers(0, 2**31))
def test_mean_score_matches_the_mean_label(n, rate, seed):
    """Calibration in the large: the intercept's score equation makes mean score = mean label (up to the prior)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"prior_contact": rng.integers(0, 3, n), "benefits": rng.integers(0, 2, n),
                       "needs_indicator": rng.normal(size=n), "decile": rng.integers(1, 11, n)})
    y = (rng.random(n) < rate).astype(float)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    tool = T.fit_fast(df, y)
    p = tool.predict(df)
    assert ((p > 0) & (p < 1)).all()
    assert p.mean() == pytest.approx(y.mean(), abs=abs(tool.coef[0]) / T.INTERCEPT_SD**2 / n + 1e-7)


def test_bad_input():
    df, _ = _families(100, 1)
    with pytest.raises(DecideError, match="unknown: \\['ethnicity'\\]"):
        T.fit_fast(df, np.zeros(100), features=("ethnicity",))
    with pytest.raises(DecideError, match="one value per family \\(100\\)"):
        T.fit_fast(df, np.zeros(99))
    with pytest.raises(DecideError, match="no column 'decile'"):
        T.fit_fast(df.drop(columns="decile"), np.zeros(100))
    with pytest.raises(DecideError, match="0 or 1"):
        T.fit_fast(df, np.full(100, -1.0))
    with pytest.raises(DecideError, match="0/1 recorded label"):
        T.fit_bayes(df, np.full(100, 0.5), seed=1)
    with pytest.raises(DecideError, match="nothing to learn"):
        T.fit_bayes(df, np.zeros(100), seed=1)
    with pytest.raises(DecideError, match="use fit_bayes"):
        T.fit_fast(df, (np.arange(100) % 2).astype(float)).predict_interval(df)


@pytest.fixture(scope="module")
def bayes():
    pop = W.make_population(W.WorldParameters(families=3_000), seed=12)
    per = W.observe(pop, period=0)
    return pop, per, T.fit_bayes(pop, per.label, seed=5, subsample=None)


def test_bayes_agrees_with_the_fast_path_and_converges(bayes):
    pop, per, tool = bayes
    assert tool.diagnostics.ok, tool.diagnostics.problems
    assert tool.draws.shape == (2000, 5)
    fast = T.fit_fast(pop, per.label)
    sd = tool.draws.std(0)
    # Posterior mean vs posterior mode of the same model on the same families: close, in posterior sds.
    assert np.all(np.abs(tool.coef - fast.coef) < 0.35 * sd + 0.02)
    iv = tool.predict_interval(pop)
    assert ((iv["lower"] <= iv["score"]) & (iv["score"] <= iv["upper"])).all()
    assert (iv["upper"] - iv["lower"]).min() > 0  # every score has posterior uncertainty
    table = tool.table()
    assert {"lower", "upper", "OR lower", "OR upper"} <= set(table.columns)
    plain = tool.plain_table(interval=0.9)
    lo, est, hi = plain["90% interval, from"], plain["odds ratio for one unit more"], plain["90% interval, to"]
    assert ((lo < est) & (est < hi)).all()
    assert tool.odds_ratio("deprivation", "lower") == pytest.approx(lo.iloc[3])
    assert tool.odds_ratio("deprivation", "upper") == pytest.approx(hi.iloc[3])


def test_bayes_same_seed_same_draws(bayes):
    pop, per, tool = bayes
    again = T.fit_bayes(pop, per.label, seed=5, subsample=None)
    assert np.array_equal(again.draws, tool.draws)


# --- what readers see ----------------------------------------------------------------------------


def test_plain_table_gives_the_known_odds_ratio_per_raw_unit():
    """Known standardised coefficients b_j: the odds ratio per raw unit is exp(b_j / sd_j) (closed form)."""
    beta = (-2.0, 0.5, 0.8, -0.4, 0.1)
    df, eta = _families(400_000, 11, beta)
    y = (np.random.default_rng(12).random(eta.size) < special.expit(eta)).astype(float)
    tool = T.fit_fast(df, y)
    sd = df[["prior_contact", "benefits", "needs_indicator", "decile"]].to_numpy(float).std(0)
    table = tool.plain_table()
    expected = np.exp(np.asarray(beta[1:]) / sd)
    assert table["odds ratio for one unit more"].to_numpy() == pytest.approx(expected, rel=0.03)
    assert tool.odds_ratio("deprivation") == pytest.approx(expected[3], rel=0.03)


def test_plain_table_speaks_plain_words():
    """No identifiers: index and headers are words, every feature has a plain name, the baseline is left out."""
    df, eta = _families(2_000, 13)
    y = (np.random.default_rng(14).random(eta.size) < special.expit(eta)).astype(float)
    table = T.fit_fast(df, y).plain_table()
    assert set(T.PLAIN) == set(T.FEATURES)
    assert list(table.index) == [T.PLAIN[f][0] for f in ("prior_contact", "benefits", "needs_indicator", "deprivation")]
    for label in [*table.columns, *table.index, table.index.name]:
        assert "_" not in label, label
    assert "intercept" not in " ".join(table.index)
    assert not any("interval" in c for c in table.columns)  # a point estimate has no interval


def test_odds_ratio_refuses_what_the_tool_cannot_answer():
    df, eta = _families(500, 15)
    y = (np.random.default_rng(16).random(eta.size) < special.expit(eta)).astype(float)
    fast = T.fit_fast(df, y)
    with pytest.raises(DecideError, match="does not see 'minority'"):
        fast.odds_ratio("minority")
    with pytest.raises(DecideError, match="which must be 'estimate'"):
        fast.odds_ratio("benefits", "lower")  # no interval for a point estimate
