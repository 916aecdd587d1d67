"""Indicators: funnel limits against closed forms, rank probabilities, the synthetic agencies and
the complexity-adjusted models against the known truth that generated them."""

from __future__ import annotations

import importlib.util
import os
import re
import warnings
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
    readable,
    timeliness_funnel,
    validate_agencies,
    which_ranks_follow,
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
    effects = pd.read_csv(ROOT / "data" / "synthetic" / "agencies_effects.csv").set_index("complexity")
    pd.testing.assert_frame_equal(synth.effects().set_index("complexity"), effects)
    for name, beta in synth.TIMELINESS_EFFECTS.items():
        assert effects.loc[name, "days_multiplier"] == pytest.approx(np.exp(beta), abs=1e-4)
        assert effects.loc[name, "breakdown_odds_ratio"] == synth.BREAKDOWN_ODDS_RATIOS[name]


def test_complexity_differs_between_agencies(children):
    raw = raw_league_table(children)
    for c in ("share_sibling_group", "share_older_child", "share_disability"):
        assert raw[c].max() - raw[c].min() > 0.2


def test_raw_breakdown_rank_ranks_breakdown_not_days():
    """Notebook 07's breakdown table once showed the timeliness rank; the breakdown rank is its own."""
    children = pd.DataFrame({
        "agency": ["fast, fragile"] * 4 + ["slow, steady"] * 4 + ["middle"] * 4 + ["also steady"] * 2,
        "days_to_placement": [100] * 4 + [900] * 4 + [400] * 4 + [500] * 2,
        "breakdown": [1, 1, 0, 0] + [0] * 4 + [1, 0, 0, 0] + [0, 0],
        "sibling_group": 0, "older_child": 0, "disability": 0,
    })
    raw = raw_league_table(children)
    assert raw["raw_rank"].to_dict() == {"fast, fragile": 1, "middle": 2, "also steady": 3, "slow, steady": 4}
    # two agencies with no breakdown share first place; then a quarter, then a half
    assert raw["raw_breakdown_rank"].to_dict() == {"fast, fragile": 4, "middle": 3, "also steady": 1, "slow, steady": 1}


def test_readable_tables_have_plain_headers(children, timeliness):
    for table in (raw_league_table(children), timeliness.table(prob=0.8)):
        shown = readable(table)
        assert len(shown.columns) == len(table.columns)
        for header in shown.columns:
            assert not re.search(r"[a-z]_[a-z]", header), f"identifier shown as a header: {header}"
    fitted = readable(timeliness.table(prob=0.8)).columns
    assert "standardised days (average case mix)" in fitted and "lower end (80 % interval)" in fitted
    shown = readable(raw_league_table(children))
    assert set(shown["average within 426 days"]) == {"yes", "no"}  # words, not True/False


@pytest.mark.parametrize("rho_true, rho_complexity, says", [
    (0.65, 0.65, "as much as"), (0.60, 0.68, "as much as"),
    (0.30, 0.80, "complexity more than performance"), (0.90, 0.20, "performance more than complexity"),
])
def test_headline_follows_the_correlations(rho_true, rho_complexity, says):
    headline = which_ranks_follow(rho_true, rho_complexity)
    assert says in headline
    assert f"{rho_true:.2f} with true performance" in headline and f"{rho_complexity:.2f} with complexity" in headline


@given(st.floats(-1, 1), st.floats(-1, 1))
def test_headline_never_claims_the_weaker_correlation_wins(rho_true, rho_complexity):
    headline = which_ranks_follow(rho_true, rho_complexity)
    if "complexity more" in headline:
        assert rho_complexity > rho_true
    elif "performance more" in headline:
        assert rho_true > rho_complexity
    else:
        assert abs(rho_true - rho_complexity) < 0.1
    with pytest.raises(DecideError):
        which_ranks_follow(float("nan"), rho_complexity)


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


# --- the same seed gives the same numbers ---------------------------------------------------------

def test_models_compile_without_fastmath(monkeypatch, children):
    """Numba's fastmath made a freshly compiled model and a cached one differ in the last bits, and
    the sampler turned that into different league tables for the same seed; every fit switches it off."""
    import pymc as pm
    import pytensor

    from decide.evidence import beta_prior, update, validate_evidence

    seen = []

    def spy(*args, **kwargs):
        seen.append(pytensor.config.numba__fastmath)
        raise RuntimeError("stop after recording the compile settings")

    before = pytensor.config.numba__fastmath
    monkeypatch.setattr(pm, "sample", spy)
    counts = validate_evidence(pd.DataFrame([{"quantity": "q", "study": "A", "population": "p", "horizon_years": "2",
                                              "events": "3", "total": "10", "status": "V", "source": "s"}]))
    for fit in (fit_timeliness, fit_breakdown, lambda table, seed: update(counts, beta_prior(2, 2), seed=seed)):
        with pytest.raises(RuntimeError, match="stop after"):
            fit(children.head(40), seed=1)
    assert seen == [False, False, False]
    assert pytensor.config.numba__fastmath == before  # the setting is restored for everything else


def _small_fit_digests(fits=(fit_timeliness, fit_breakdown), **flags) -> dict[str, str]:
    """Each model's digest of its scores, fitted with six agencies and few draws under these PyTensor settings."""
    import hashlib

    import pytensor

    children = read_agencies(ROOT / "data" / "synthetic" / "agencies.csv")
    children = children[children["agency"].isin(sorted(children["agency"].unique())[:6])]
    digests = {}
    with pytensor.config.change_flags(**flags), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 100 draws are too few to pass the diagnostics; only the numbers matter here
        for fit in fits:
            scores = fit(children, seed=11, draws=100, tune=100, chains=2).scores
            digests[fit.__name__] = hashlib.sha256(scores.tobytes()).hexdigest()
    return digests


@pytest.mark.slow
def test_same_seed_same_draws_whether_compiled_afresh_or_from_the_cache():
    """The bug notebook 07 showed: its first run (nothing cached) and its second gave different
    numbers for the same seed. numba__cache=False compiles everything afresh, as a first run does.

    Both in this process: the first fits load the compiled models from the cache (or compile and
    store them, on a first run), the second surely load them, the third compile afresh. With fastmath
    switched back on, the timeliness model's afresh digest differed from the cached one here, so
    one process is enough to catch the bug (two fresh processes cost two more imports). The
    breakdown model's afresh digest did not differ, so only the timeliness model is compiled
    afresh (the breakdown model's fresh compile cost 8 CPU seconds and caught nothing); that every
    model compiles without fastmath is checked by test_models_compile_without_fastmath."""
    cached = _small_fit_digests()
    assert _small_fit_digests() == cached
    assert _small_fit_digests(numba__cache=False, fits=(fit_timeliness,)) == {"fit_timeliness": cached["fit_timeliness"]}


# --- sentences and summaries the notebook prints -------------------------------------------------


def test_outside_funnel_uses_the_exact_limits_at_each_agency_size(children):
    from decide.indicators import breakdown_funnel, outside_funnel

    points, target = breakdown_funnel(children)

    outside = outside_funnel(points, target, prob=0.998).set_index("agency")
    for row in points.itertuples():
        binom = stats.binom(row.children, target)
        # Closed form of the interpolated limits (Spiegelhalter 2005): a count lies above the upper
        # 99.8 % limit exactly when chance alone exceeds it at most 0.1 % of the time, and below the
        # lower limit when chance alone gives it or fewer less than 0.1 % of the time.
        above, below = binom.sf(row.breakdowns) <= 0.001, binom.cdf(row.breakdowns) < 0.001
        assert (row.agency in outside.index) == (above or below), row
        if above or below:
            assert outside.loc[row.agency, "side"] == ("above" if above else "below")
    assert len(outside) >= 1  # the synthetic data have one: the notebook's sentence is about it


def test_outside_funnel_sentence_names_the_agency_and_its_mix():
    from decide.indicators import outside_funnel_sentences

    rows = []
    for k in range(10):
        rows.append({"agency": f"A{k}", "n": 50, "events": 2, "older": 0.2})
    rows.append({"agency": "Outlier", "n": 50, "events": 20, "older": 0.6})
    children = pd.concat([
        pd.DataFrame({"agency": r["agency"], "breakdown": [1] * r["events"] + [0] * (r["n"] - r["events"]),
                      "older_child": ([1] * int(r["older"] * r["n"]) + [0] * r["n"])[:r["n"]],
                      "sibling_group": 0, "disability": 0, "days_to_placement": 300})
        for r in rows], ignore_index=True)
    (sentence,) = outside_funnel_sentences(children)
    assert sentence.startswith("Outlier lies above the 99.8% limits: 20 breakdowns among 50 children (40%")
    assert "more often aged 5+ at entry (60%, against 24% across all agencies)" in sentence
    assert "as often in a sibling group (0%, against 0% across all agencies)" in sentence
    calm = children[children["agency"] != "Outlier"]
    assert outside_funnel_sentences(calm)[0].startswith("No agency lies outside")


def test_interval_overlap_share_counts_pairs():
    from decide.indicators import interval_overlap_share

    table = pd.DataFrame({"lower": [0, 1, 5], "upper": [2, 3, 6]})
    assert interval_overlap_share(table) == pytest.approx(1 / 3)  # only the first two overlap
    assert interval_overlap_share(pd.DataFrame({"lower": [0, 0], "upper": [1, 1]})) == 1.0
    with pytest.raises(DecideError):
        interval_overlap_share(table.head(1))
