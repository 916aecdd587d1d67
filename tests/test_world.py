"""The synthetic world against what its design says must happen (oracles, not printed numbers)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from decide import world as W
from decide.errors import DecideError
from decide.tool import PLAIN, fit_fast


def _expected_contact(design: pd.DataFrame, mask) -> float:
    """Expected contact (referral) rate of the cells in ``mask`` at ordinary scrutiny, from the design."""
    d = design[mask]
    rate = d["true_rate"] * d["referral_if_maltreated"] + (1 - d["true_rate"]) * d["referral_if_not_maltreated"]
    return float(np.dot(d["share"], rate) / d["share"].sum())


# --- parameters ---------------------------------------------------------------------------------


def test_bad_parameter_names_field_value_and_limit():
    with pytest.raises(DecideError, match=r"WorldParameters\.true_rate: .*less than 1.*you gave 1\.5"):
        W.WorldParameters(true_rate=1.5)
    with pytest.raises(DecideError, match=r"visibility_ratio.*you gave -2"):
        W.WorldParameters(visibility_ratio=-2)
    with pytest.raises(DecideError, match=r"visiblity_ratio.*Extra inputs"):
        W.WorldParameters(visiblity_ratio=3)
    with pytest.raises(DecideError, match=r"above 1.*lower referral_if_maltreated to at most"):
        W.WorldParameters(referral_if_maltreated=0.2, visibility_ratio=10)
    with pytest.raises(DecideError, match=r"FeedbackSettings\.features.*unknown: \['ethnicity'\]"):
        W.FeedbackSettings(features=("prior_contact", "ethnicity"))
    with pytest.raises(DecideError, match="true_rate"):  # but() validates again
        W.WorldParameters().but(true_rate=0)


def test_every_parameter_says_why():
    table = W.WorldParameters.describe().set_index("name in code")
    assert table["why this value"].str.len().min() > 30
    assert "Gilbert" in table.loc["true_rate", "why this value"]
    assert "Inequalities" in table.loc["visibility_ratio", "why this value"]
    assert table.loc["minority_share", "why this value"].count("illustrative") == 1


@pytest.mark.parametrize("cls", [W.WorldParameters, W.FeedbackSettings])
def test_settings_are_described_in_plain_words(cls):
    """Readers see a plain name per setting; the name in code is kept beside it for researchers, never in the prose."""
    table = cls.describe()
    assert table.index.name == "setting" and table.index.is_unique
    assert list(table["name in code"]) == list(cls.model_fields)
    for text in [*table.index, *table.columns, *table["why this value"]]:
        assert "_" not in text, text  # no identifiers in what a person reads
    values = cls.describe(cls()).set_index("name in code")["value"]
    if cls is W.FeedbackSettings:
        assert values["correction"] == "no"
        assert values["features"] == "; ".join(PLAIN[f][0] for f in cls().features)


def test_expected_contact_rate_is_the_design_and_the_simulation_agrees():
    """The closed form per band equals the design's weighted sum, and 400,000 simulated families land on it."""
    p = W.WorldParameters(families=400_000, visibility_ratio=4.0)
    expected = W.expected_contact_rate(p)
    d = W.cell_rates(p)
    for band, (lo, hi) in W.BANDS.items():
        assert expected[band] == pytest.approx(_expected_contact(d, d["decile"].between(lo, hi)), rel=1e-12)
    pop = W.make_population(p, seed=31)
    per = W.observe(pop, period=0)
    band = pop.band()
    for name in W.BANDS:
        k, m = per.referred[band == name].sum(), (band == name).sum()
        lo, hi = stats.beta.ppf([0.0005, 0.9995], k + 0.5, m - k + 0.5)
        assert lo < expected[name] < hi
    by_decile = W.expected_contact_rate(p, by="decile")
    assert by_decile.is_monotonic_increasing and len(by_decile) == 10
    with pytest.raises(DecideError, match="by must be"):
        W.expected_contact_rate(p, by="area")


def test_readable_family_table_has_plain_headers_and_yes_no():
    p = W.WorldParameters(families=1_000)
    pop = W.make_population(p, seed=2)
    per = W.observe(pop, period=0)
    frame = W.frame(pop, per, scores=np.full(pop.size, 0.1), flagged=np.zeros(pop.size, bool))
    shown = W.readable(frame)
    assert len(shown.columns) == len(frame.columns)
    for col in shown.columns:
        assert "_" not in col, col
    assert set(shown["flagged by the tool"]) == {"no"}
    assert set(shown["maltreated (the truth)"]) <= {"yes", "no"}
    assert (shown["maltreated (the truth)"] == "yes").sum() == per.maltreated.sum()
    with pytest.raises(DecideError, match=r"no plain name for column\(s\) \['secret_column'\]"):
        W.readable(frame.assign(secret_column=1))


def test_defaults_match_the_cited_figures():
    """Mean true rate 1 in 10 (Gilbert); decile gradient exactly visibility_ratio; substantiated < a tenth of the truth."""
    p = W.WorldParameters()
    d = W.cell_rates(p)
    assert np.dot(d["share"], d["true_rate"]) == pytest.approx(p.true_rate, rel=1e-12)
    assert d["share"].sum() == pytest.approx(1.0)
    v = d.groupby("decile")["visibility"].first()
    assert v[10] / v[1] == pytest.approx(p.visibility_ratio)
    assert v[2] / v[1] == pytest.approx(p.visibility_ratio ** (1 / 9))  # a constant step per decile
    pop = W.make_population(p.but(families=200_000), seed=4)
    per = W.observe(pop, period=0)
    assert per.substantiated.sum() / per.maltreated.sum() < 0.1  # all substantiations, right or wrong
    assert 0.05 < (per.substantiated & per.maltreated).sum() / per.maltreated.sum() < 0.1


def test_intercepts_give_the_stated_true_rates():
    """Gauss-Hermite intercepts: the simulated rate per cell equals the design's true rate within binomial error."""
    p = W.WorldParameters(families=400_000, true_deprivation_ratio=3.0, true_minority_ratio=1.5)
    pop = W.make_population(p, seed=11)
    per = W.observe(pop, period=0)
    n = np.bincount(pop.cell, minlength=20)
    k = np.bincount(pop.cell, weights=per.maltreated, minlength=20)
    expected = pop.design["true_rate"].to_numpy()
    z = (k - n * expected) / np.sqrt(n * expected * (1 - expected))
    assert np.abs(z).max() < 4.5
    assert stats.chi2.sf((z**2).sum(), 20) > 1e-3


# --- seeds ----------------------------------------------------------------------------------------


def test_same_seed_same_numbers_and_different_seed_different():
    p = W.WorldParameters(families=5_000)
    a, b, c = (W.make_population(p, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.needs_indicator, b.needs_indicator) and np.array_equal(a.history, b.history)
    assert not np.array_equal(a.needs_indicator, c.needs_indicator)
    pa, pb = W.observe(a, period=3), W.observe(b, period=3)
    assert np.array_equal(pa.referred, pb.referred)
    s = W.FeedbackSettings(generations=2)
    ra, rb = W.feedback_loop(p, s, seed=5), W.feedback_loop(p, s, seed=5)
    pd.testing.assert_frame_equal(ra.counts, rb.counts)


def test_feedback_loop_leaves_a_given_population_unchanged():
    pop = W.make_population(W.WorldParameters(families=3_000), seed=1)
    before = pop.history.copy()
    W.feedback_loop(pop.params, W.FeedbackSettings(generations=2), seed=1, population=pop)
    assert np.array_equal(pop.history, before)


# --- invariants (property tests) ------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vis=st.floats(0.5, 10), rec=st.floats(0.5, 2.0), tdr=st.floats(0.5, 3), label=st.sampled_from(["contact", "substantiated"]),
       seed=st.integers(0, 2**31))
def test_records_are_nested_and_rates_are_probabilities(vis, rec, tdr, label, seed):
    p = W.WorldParameters(families=2_000, visibility_ratio=vis, minority_recording_ratio=rec, true_deprivation_ratio=tdr,
                          label=label, referral_if_maltreated=0.05, substantiation_if_maltreated=0.4)
    d = W.cell_rates(p)
    assert np.dot(d["share"], d["true_rate"]) == pytest.approx(p.true_rate, rel=1e-9)
    pop = W.make_population(p, seed=seed)
    per = W.observe(pop, period=0, scrutiny=np.full(pop.size, 3.0))
    assert not (per.substantiated & ~per.referred).any()  # nothing substantiated without a referral
    assert np.array_equal(per.label, per.referred if label == "contact" else per.substantiated)
    assert pop.prior_contact.min() >= 0 and pop.prior_contact.max() <= p.memory


@given(base=st.floats(0, 0.999), s=st.floats(0, 50))
def test_referral_chance_is_a_probability_and_grows_with_scrutiny(base, s):
    base = np.float64(base)
    p = W.referral_chance(base, s)
    assert 0 <= p <= 1
    assert W.referral_chance(base, s + 1) >= p - 1e-15
    assert W.referral_chance(base, 1.0) == base
    assert p <= max(s, 1.0) * base + 1e-12  # never more than s independent looks could give
    if s <= 1:
        assert p >= s * base - 1e-12


# --- referral bias (the known-behaviour tests of the issue) --------------------------------------


def test_equal_truth_unequal_visibility_records_differ_by_the_visibility_ratio():
    """Most vs least deprived decile: recorded contact rates differ by the visibility ratio, within error."""
    p = W.WorldParameters(families=400_000, visibility_ratio=10, minority_deprivation_tilt=1.0)
    pop = W.make_population(p, seed=21)
    per = W.observe(pop, period=0)
    counts = W.counts_table(W._count_cells(pop, per, np.zeros(pop.size, bool), np.zeros(pop.size)))
    dis = W.disparities_over_generations(counts, group="decile", reference=1, versus=10, interval=0.99,
                                         metrics=("true rate", "recorded rate"), seed=3).set_index("metric")
    assert dis.loc["recorded rate", "lower"] < 10 < dis.loc["recorded rate", "upper"]
    assert dis.loc["true rate", "lower"] < 1 < dis.loc["true rate", "upper"]
    assert dis.loc["recorded rate", "upper"] - dis.loc["recorded rate", "lower"] < 3  # informative, not vacuous


def test_audit_of_records_sees_the_visibility_gap_and_audit_of_truth_does_not():
    p = W.WorldParameters(families=200_000)
    pop = W.make_population(p, seed=8)
    per = W.observe(pop, period=0)
    flagged = np.zeros(pop.size, bool)
    flagged[::10] = True
    counts = W.counts_table(W._count_cells(pop, per, flagged, np.zeros(pop.size)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twice = W.audit_twice(counts, seed=2, interval=0.99)
    rec = twice["records"].groups["base_rate"]
    true = twice["truth"].groups["base_rate"]
    design = pop.design.assign(band=W.deprivation_band(pop.design["decile"]))
    expect = _expected_contact(design, design["band"] == W.MOST) / _expected_contact(design, design["band"] == W.LEAST)
    assert rec[W.MOST] / rec[W.LEAST] == pytest.approx(expect, rel=0.1)
    assert true[W.MOST] / true[W.LEAST] == pytest.approx(1.0, abs=0.05)
    assert int(twice["records"].groups["n"].sum()) == p.families


def _trained_and_flagged(p, seed, features=("prior_contact", "benefits", "needs_indicator", "deprivation", "minority")):
    pop = W.make_population(p, seed=seed)
    hist = W.observe(pop, period=-1)
    tool = fit_fast(pop, hist.label, features=features)
    pop.remember(hist.referred)
    per = W.observe(pop, period=0)
    scores = tool.predict(pop)
    flagged = W.top_share(scores, 0.1)
    return tool, W.counts_table(W._count_cells(pop, per, flagged, scores))


def test_equal_visibility_and_recording_gives_a_tool_with_no_disparity():
    """Nothing unequal in the world: the trained tool flags every group at the same rate, within sampling error.

    Sampling error here is both the flags' (binomial) and the tool's training noise, which moves a
    top-10 % cut; so the check is over independent worlds: the ratios scatter around 1, not to one side.
    """

    def log_ratios(p):
        ratios = {"deprivation": [], "ethnic group": [], "recorded": []}
        for seed in range(8):
            tool, counts = _trained_and_flagged(p, seed)
            band = W.rates_by(counts, "deprivation_band")
            eth = W.rates_by(counts, "ethnic_group")
            ratios["deprivation"].append(band.loc[W.MOST, "flag rate"] / band.loc[W.LEAST, "flag rate"])
            ratios["ethnic group"].append(eth.loc["minority", "flag rate"] / eth.loc["majority", "flag rate"])
            ratios["recorded"].append(band.loc[W.MOST, "recorded rate"] / band.loc[W.LEAST, "recorded rate"])
        return {k: (np.mean(np.log(r)), np.std(np.log(r), ddof=1) / np.sqrt(len(r))) for k, r in ratios.items()}

    for name, (mean, se) in log_ratios(W.WorldParameters(families=100_000, visibility_ratio=1.0)).items():
        assert abs(mean) < 3 * se + 0.01, (name, mean, se)
    # The same check has the power to see a modest inequality of visibility, so it can fail.
    unequal = log_ratios(W.WorldParameters(families=100_000, visibility_ratio=1.5, minority_visibility_ratio=1.3))
    assert all(mean > 3 * se for mean, se in unequal.values()), unequal
    # And the audit on one world: no disparity in the records it can call.
    _, counts = _trained_and_flagged(W.WorldParameters(families=100_000, visibility_ratio=1.0), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = W.audit_twice(counts, seed=4, interval=0.99)["records"]
    d = a.disparities.query("scale == 'ratio' and metric == 'base_rate'")
    assert ((d["lower"] < 1) & (d["upper"] > 1)).all(), d


def test_unequal_visibility_is_learned_by_a_tool_that_never_sees_it():
    """Visibility 10x: the tool's odds ratio per decile is close to 10 ** (1/9), though truth is equal."""
    p = W.WorldParameters(families=200_000)
    tool, counts = _trained_and_flagged(p, 1, features=("prior_contact", "benefits", "needs_indicator", "deprivation"))
    assert tool.table().loc["deprivation", "odds ratio per unit"] == pytest.approx(10 ** (1 / 9), rel=0.05)
    band = W.rates_by(counts, "deprivation_band")
    assert band.loc[W.MOST, "share of flags"] > 0.6 and band.loc[W.MOST, "share of the maltreated"] < 0.35


def test_label_bias_in_recording_is_learned_as_a_group_difference():
    """Substantiation twice as likely for minority families, same facts: the recorded rate ratio is 2, the true ratio 1."""
    p = W.WorldParameters(families=300_000, minority_recording_ratio=2.0, minority_deprivation_tilt=1.0,
                          visibility_ratio=1.0, label="substantiated")
    pop = W.make_population(p, seed=41)
    per = W.observe(pop, period=0)
    counts = W.counts_table(W._count_cells(pop, per, np.zeros(pop.size, bool), np.zeros(pop.size)))
    dis = W.disparities_over_generations(counts, group="ethnic_group", reference="majority", versus="minority",
                                         interval=0.99, metrics=("true rate", "recorded rate")).set_index("metric")
    assert dis.loc["recorded rate", "lower"] < 2 < dis.loc["recorded rate", "upper"]
    assert dis.loc["true rate", "lower"] < 1 < dis.loc["true rate", "upper"]


def test_audit_table_counts_add_up():
    run = W.feedback_loop(W.WorldParameters(families=20_000), W.FeedbackSettings(generations=1), seed=2)
    g0 = run.generation(0)
    for outcome in ("recorded", "maltreated"):
        t = W.audit_table(g0, outcome)
        assert t["n"].min() >= 0 and t["n"].sum() == 20_000
        assert t.query("outcome == 1")["n"].sum() == int(g0[outcome].sum())
        assert t.query("flag == 1")["n"].sum() == int(g0["flagged"].sum())
    with pytest.raises(DecideError, match="outcome must be"):
        W.audit_table(g0, "truth")


# --- the feedback loop ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loops():
    p = W.WorldParameters(families=60_000, visibility_ratio=2.0, referral_if_maltreated=0.1,
                          referral_if_not_maltreated=0.02)
    s = W.FeedbackSettings(generations=6)
    return W.feedback_loop(p, s, seed=3), W.feedback_loop(p, s.but(correction=True), seed=3)


def test_disparity_grows_with_equal_truth_and_the_correction_stops_the_tool_learning_it(loops):
    plain, corrected = loops
    d = plain.disparities(metrics=("true rate", "recorded rate", "mean score", "flag share")).pivot(
        index="generation", columns="metric", values="ratio")
    c = corrected.disparities(metrics=("recorded rate", "mean score", "flag share")).pivot(
        index="generation", columns="metric", values="ratio")
    last = d.index.max()
    assert np.allclose(d["true rate"], 1.0, atol=0.12)  # the truth stays equal throughout
    assert d.loc[last, "recorded rate"] > 1.5 * d.loc[0, "recorded rate"]
    assert d.loc[last, "mean score"] > 2 * d.loc[0, "mean score"]  # the tool magnifies
    assert d.loc[last, "flag share"] > 0.9
    # Generation 0 is before any steering: identical in both runs (same random numbers).
    assert c.loc[0, "mean score"] == pytest.approx(d.loc[0, "mean score"])
    # With the correction the tool's view stays where visibility alone put it.
    assert c["mean score"].max() < 1.3 * c.loc[0, "mean score"]
    assert c.loc[last, "recorded rate"] < d.loc[last, "recorded rate"]
    # Per sd of the decile, visibility 2x over 9 steps is about log(2) / 9 x 2.87 = 0.22 on the log-odds scale.
    expected = np.log(2) / 9 * np.arange(1, 11).std()
    dep = corrected.coefficients["deprivation"]
    assert np.abs(dep - expected).max() < 0.08
    assert plain.coefficients["deprivation"].iloc[-1] > 2 * expected


def test_disparity_summary_is_readable_and_matches_the_runs(loops):
    plain, corrected = loops
    runs = {"own records": plain.disparities(metrics=("true rate", "flag share")),
            "corrected": corrected.disparities(metrics=("true rate", "flag share"))}
    table = W.disparity_summary(runs, [0, 6])
    assert list(table.columns) == ["year 0", "year 6"]
    assert table.loc[("own records", W.DISPARITY_NAMES["flag share"]), "year 6"] == pytest.approx(
        runs["own records"].query("metric == 'flag share' and generation == 6")["ratio"].iloc[0])
    for run, measure in table.index:
        assert "_" not in measure
    with pytest.raises(DecideError, match=r"no generation\(s\) \[7\]"):
        W.disparity_summary(runs, [0, 7])


def test_learned_odds_ratios_are_per_raw_unit(loops):
    """Deprivation and benefits do not change between years, so their odds ratio is exp(coefficient / sd) every year."""
    plain, _ = loops
    pop = W.make_population(plain.params, seed=plain.seed)
    table = plain.learned(range(plain.settings.generations + 1))
    for feature, values in (("deprivation", pop.decile), ("benefits", pop.benefits)):
        sd = np.asarray(values, float).std()
        want = np.exp(plain.coefficients[feature].to_numpy() / sd)
        assert table.loc[PLAIN[feature][0]].to_numpy() == pytest.approx(want, rel=1e-9)
    assert table.index.name == "odds ratio for one unit more of"
    with pytest.raises(DecideError, match=r"no generation\(s\) \[99\]"):
        plain.learned([0, 99])


# --- Ensign et al.'s urn ---------------------------------------------------------------------------


def test_urn_with_equal_rates_ends_at_a_random_share_beta_distributed():
    """Equal rates: a Pólya urn; the final share across seeds follows Beta(initial A, initial B)."""
    for initial in ((1.0, 1.0), (2.0, 5.0)):
        run = W.polya_urn((0.2, 0.2), steps=4000, replicates=400, initial=initial, seed=7)
        f = run.final_share
        assert stats.kstest(f, stats.beta(*initial).cdf).pvalue > 1e-3
    assert W.polya_urn((0.2, 0.2), steps=4000, replicates=400, seed=7).final_share.std() > 0.2


def test_urn_with_unequal_rates_runs_away_and_the_correction_recovers_the_true_share():
    rates = (0.3, 0.2)
    true = 0.6
    plain = W.polya_urn(rates, steps=5000, replicates=300, seed=9)
    assert plain.true_share == pytest.approx(true)
    assert plain.final_share.mean() > true + 0.2
    assert np.mean(plain.final_share > true) > 0.85
    fixed = W.polya_urn(rates, steps=5000, replicates=300, seed=9, correction=True)
    assert fixed.final_share.mean() == pytest.approx(true, abs=0.01)
    assert np.quantile(np.abs(fixed.final_share - true), 0.9) < 0.05


def test_urn_bad_input():
    with pytest.raises(DecideError, match="rate of area B must be in"):
        W.polya_urn((0.1, 0.0), seed=1)
    with pytest.raises(DecideError, match="initial records must be positive"):
        W.polya_urn((0.1, 0.1), initial=(0, 1), seed=1)
