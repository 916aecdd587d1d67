"""The decision core against closed forms, not against what it printed last time."""

import numpy as np
import pytest
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit, logit

from decide import Decision, compare, simulate
from decide.judge import CONFIDENCE_MASS, ICD_203, UK_YARDSTICK, Judgement, pool


def two_option_case(a_outcomes, b_outcomes, quantities=(), factors=(), values=None):
    data = {
        "question": "q", "date": "2026-01-01", "decided_by": ["sw"],
        "quantities": list(quantities), "factors": list(factors),
        "options": [{"name": "A", "outcomes": a_outcomes}, {"name": "B", "outcomes": b_outcomes}],
    }
    if values:
        data["values"] = values
    return Decision.model_validate(data)


def outcome(name, kind, chance, magnitude, factors=()):
    return {"name": name, "kind": kind, "chance": chance, "horizon": "1 year", "magnitude": magnitude, "factors": list(factors)}


def test_fixed_inputs_give_exact_expected_value():
    d = two_option_case(
        [outcome("good", "benefit", 0.6, 50), outcome("bad", "harm", 0.3, 40)],
        [outcome("good", "benefit", 0.9, 20)],
        values={"harm_weight": 2.0},
    )
    sim = simulate(d, 1000, seed=3)
    ev = sim.dataset["expected_value"].values
    assert np.allclose(ev[:, 0], 0.6 * 50 - 2.0 * 0.3 * 40)
    assert np.allclose(ev[:, 1], 0.9 * 20)


def test_one_child_mean_and_variance_match_bernoulli():
    """Risk: with known odds, a child's value is a Bernoulli outcome: mean p*m, variance p(1-p)m^2."""
    p, m, n = 0.3, 40.0, 200_000
    d = two_option_case([outcome("bad", "harm", p, m)], [outcome("good", "benefit", 0.5, 10)])
    child = simulate(d, n, seed=11).dataset["child_value"].values[:, 0]
    se = np.sqrt(p * (1 - p)) * m / np.sqrt(n)
    assert abs(child.mean() - (-p * m)) < 4 * se
    assert child.var() == pytest.approx(p * (1 - p) * m**2, rel=0.02)


def test_epistemic_mean_and_variance_match_beta():
    """Uncertainty: chance ~ Beta(a, b), fixed magnitude m: E = m a/(a+b), Var = m^2 ab/((a+b)^2(a+b+1))."""
    a, b, m, n = 4.0, 6.0, 50.0, 200_000
    beta = {"distribution": "Beta", "params": {"alpha": a, "beta": b}}
    d = two_option_case([outcome("good", "benefit", beta, m)], [outcome("good", "benefit", 0.1, 1)])
    ev = simulate(d, n, seed=5).dataset["expected_value"].values[:, 0]
    mean, var = m * a / (a + b), m**2 * a * b / ((a + b) ** 2 * (a + b + 1))
    assert abs(ev.mean() - mean) < 4 * np.sqrt(var / n)
    assert ev.var() == pytest.approx(var, rel=0.02)


def test_net_value_variance_adds_for_independent_inputs():
    """Benefit chance and harm magnitude independent: Var(p1 m1 - w p2 M2) = m1^2 Var p1 + w^2 p2^2 Var M2."""
    a, b = 3.0, 7.0
    mu, sd = 40.0, 5.0
    d = two_option_case(
        [outcome("good", "benefit", {"distribution": "Beta", "params": {"alpha": a, "beta": b}}, 60),
         outcome("bad", "harm", 0.25, {"distribution": "Gamma", "params": {"mu": mu, "sigma": sd}})],
        [outcome("x", "benefit", 0.5, 1)],
        values={"harm_weight": 1.5, "scale_max": None},
    )
    ev = simulate(d, 200_000, seed=9).dataset["expected_value"].values[:, 0]
    var_p = a * b / ((a + b) ** 2 * (a + b + 1))
    assert ev.mean() == pytest.approx(60 * a / (a + b) - 1.5 * 0.25 * mu, abs=0.1)
    assert ev.var() == pytest.approx(60**2 * var_p + (1.5 * 0.25) ** 2 * sd**2, rel=0.03)


def test_probability_best_for_two_normals():
    """Net values N(mu1, s1) and N(mu2, s2), independent: P(A best) = Phi((mu1-mu2)/sqrt(s1^2+s2^2))."""
    values = {"scale_min": None, "scale_max": None}
    d = two_option_case(
        [outcome("v", "benefit", 1.0, {"distribution": "Normal", "params": {"mu": 10, "sigma": 4}})],
        [outcome("v", "benefit", 1.0, {"distribution": "Normal", "params": {"mu": 8, "sigma": 3}})],
        values=values,
    )
    n = 200_000
    pb = compare.probability_best(simulate(d, n, seed=2))
    expected = stats.norm.cdf((10 - 8) / np.hypot(4, 3))
    assert abs(pb["A"] - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    assert pb.sum() == pytest.approx(1.0)


def test_expected_regret_for_two_normals():
    """E[max(X,Y) - X] = E[(Y-X)+] = s*phi(mu/s) - mu*Phi(-mu/s) with mu = E[X-Y], s = sd(X-Y)."""
    values = {"scale_min": None, "scale_max": None}
    d = two_option_case(
        [outcome("v", "benefit", 1.0, {"distribution": "Normal", "params": {"mu": 10, "sigma": 4}})],
        [outcome("v", "benefit", 1.0, {"distribution": "Normal", "params": {"mu": 8, "sigma": 3}})],
        values=values,
    )
    regret = compare.expected_regret(simulate(d, 400_000, seed=4))
    mu, s = 2.0, 5.0
    closed = s * stats.norm.pdf(mu / s) - mu * stats.norm.cdf(-mu / s)
    assert regret["A"] == pytest.approx(closed, abs=0.03)
    assert regret["B"] == pytest.approx(closed + mu, abs=0.03)


def test_factor_shifts_the_odds_exactly():
    p, odds_ratio = 0.4, 2.5
    d = two_option_case(
        [outcome("bad", "harm", "base", 10, factors=["risky"])],
        [outcome("bad", "harm", "base", 10)],
        quantities=[{"name": "base", "kind": "probability", "judgement": {"value": p}}],
        factors=[{"name": "risky", "kind": "risk", "odds_ratio": odds_ratio}],
    )
    chance = simulate(d, 10, seed=1).dataset["chance"].sel(outcome="bad").values
    assert np.allclose(chance[:, 0], expit(logit(p) + np.log(odds_ratio)))
    assert np.allclose(chance[:, 1], p)


def test_shared_quantity_is_the_same_draw_for_every_option():
    d = Decision.from_yaml("data/cases/return_home.yaml")
    sim = simulate(d, 500, seed=1)
    q = sim.dataset["quantity_value"].sel(quantity="harm_of_reabuse").values
    mag = sim.dataset["magnitude"].sel(outcome="re-abuse or neglect")
    assert np.array_equal(mag.sel(option="return home with support").values, q)
    assert np.array_equal(mag.sel(option="phased return").values, q)


@pytest.mark.parametrize("scale,terms", [("uk_yardstick", UK_YARDSTICK), ("icd203", ICD_203)])
@pytest.mark.parametrize("confidence", ["low", "medium", "high"])
def test_verbal_terms_put_the_stated_mass_in_their_band(scale, terms, confidence):
    for term, (lo, hi) in terms.items():
        dist = Judgement(verbal=term, scale=scale, confidence=confidence).to_distribution()
        assert dist.cdf(hi) - dist.cdf(lo) == pytest.approx(CONFIDENCE_MASS[confidence], abs=0.01), term
    # the published UK bands themselves
    assert UK_YARDSTICK["likely"] == (0.55, 0.75) and UK_YARDSTICK["remote chance"] == (0.0, 0.05)
    assert UK_YARDSTICK["highly likely"] == (0.80, 0.90) and ICD_203["roughly even chance"] == (0.45, 0.55)


def test_confidence_widens_but_does_not_move_the_judgement():
    sds = [Judgement(verbal="unlikely", confidence=c).to_distribution().std() for c in ("high", "medium", "low")]
    assert sds[0] < sds[1] < sds[2]
    for c in ("high", "medium", "low"):
        assert 0.25 < Judgement(verbal="unlikely", confidence=c).to_distribution().median() < 0.35


def test_low_likely_high_are_10th_50th_90th_percentiles():
    dist = Judgement(low=0.2, likely=0.35, high=0.5).to_distribution("probability", (0, 1))
    assert np.allclose(dist.ppf([0.1, 0.5, 0.9]), [0.2, 0.35, 0.5], atol=0.01)


def test_pooled_mean_is_the_weighted_mean():
    dists = [Judgement(distribution="Beta", params={"alpha": 2, "beta": 8}).to_distribution(),
             Judgement(distribution="Beta", params={"alpha": 6, "beta": 4}).to_distribution(),
             Judgement(value=0.5).to_distribution()]
    weights = [1.0, 3.0, 1.0]
    pooled = pool(dists, weights)
    expected = (1 * 0.2 + 3 * 0.6 + 1 * 0.5) / 5
    assert pooled.mean() == pytest.approx(expected)
    draws = pooled.rvs(200_000, random_state=np.random.default_rng(0))
    assert draws.mean() == pytest.approx(expected, abs=0.003)


def test_pooled_quantity_in_a_case_uses_the_weights():
    d = two_option_case(
        [outcome("x", "benefit", "p", 10)], [outcome("x", "benefit", 0.5, 10)],
        quantities=[{"name": "p", "kind": "probability", "judgements": [
            {"by": "sw", "weight": 1, "distribution": "Beta", "params": {"alpha": 1, "beta": 9}},
            {"by": "manager", "weight": 3, "distribution": "Beta", "params": {"alpha": 9, "beta": 1}}]}],
    )
    q = simulate(d, 100_000, seed=8).dataset["quantity_value"].sel(quantity="p").values
    assert q.mean() == pytest.approx(0.25 * 0.1 + 0.75 * 0.9, abs=0.005)


def test_overrides_replace_a_judgement_with_given_draws():
    d = Decision.from_yaml("data/cases/return_home.yaml")
    posterior = np.full(300, 0.123)
    sim = simulate(d, 300, seed=1, overrides={"reabuse_after_return": posterior})
    assert np.all(sim.dataset["quantity_value"].sel(quantity="reabuse_after_return").values == 0.123)


def test_arviz_reads_the_result():
    import arviz as az

    sim = simulate(Decision.from_yaml("data/cases/return_home.yaml"), 400, seed=1)
    s = az.summary(sim.to_datatree(), var_names=["expected_value"])
    assert len(s) == 3
    assert np.allclose(s["mean"].values, sim.dataset["expected_value"].mean("draw").values, atol=0.05)


def test_threshold_finds_the_crossing_of_two_lines():
    """A: benefit chance p (unknown) x 100; B: fixed 40. A is better exactly when p > 0.4."""
    d = two_option_case(
        [outcome("x", "benefit", "p", 100)], [outcome("y", "benefit", 1.0, 40)],
        quantities=[{"name": "p", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": 2, "beta": 2}}}],
    )
    th = compare.threshold(simulate(d, 2000, seed=1), "p")
    assert len(th.switches) == 1
    assert th.switches["value"].iloc[0] == pytest.approx(0.4, abs=1e-9)


def test_tornado_ranks_the_quantity_that_matters():
    d = two_option_case(
        [outcome("x", "benefit", "p", 100), outcome("z", "harm", "r", 1)], [outcome("y", "benefit", 1.0, 40)],
        quantities=[
            {"name": "p", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": 2, "beta": 2}}},
            {"name": "r", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": 2, "beta": 2}}},
        ],
    )
    t = compare.tornado(simulate(d, 4000, seed=1))
    assert t["quantity"].iloc[0] == "p"
    assert t["swing"].iloc[0] > 50 * t["swing"].iloc[1]


def test_acceptability_matches_probability_best_at_the_case_weight():
    d = Decision.from_yaml("data/cases/return_home.yaml")
    sim = simulate(d, 2000, seed=1)
    acc = compare.acceptability(sim, weights=[d.values.harm_weight])
    assert np.allclose(acc.iloc[0].values, compare.probability_best(sim).values)
    assert np.allclose(compare.acceptability(sim).sum(axis=1), 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(0.5, 80)), min_size=2, max_size=5))
@example([(-5.535974347412716e-17, 1.0), (0.0, 1.0)])  # two lines apart only by rounding: no switch
def test_weight_switches_are_exactly_where_the_best_line_changes(lines):
    b = np.array([x for x, _ in lines])
    h = np.array([y for _, y in lines])
    lo, hi = 0.25, 4.0
    summ = pd.DataFrame({"expected_benefit": b, "expected_harm": h}, index=[f"o{i}" for i in range(len(b))])
    table = compare.harm_weight_switches(summ, lo, hi)
    switches = [(x, int(f[1:]), int(t[1:])) for x, f, t in table.itertuples(index=False)]
    w = np.geomspace(lo, hi, 4001)
    vals = b[None] - w[:, None] * h[None]
    best = np.argmax(vals, axis=1)
    # a change on the grid between two options whose values differ only by rounding is not a switch
    tol = 1e-9 * (1.0 + np.abs(vals).max())
    changes = [w[i] for i in range(1, w.size) if best[i] != best[i - 1] and max(
        abs(vals[i - 1, best[i - 1]] - vals[i - 1, best[i]]), abs(vals[i, best[i]] - vals[i, best[i - 1]])) > tol]
    # every change of the best option on a fine grid lies next to a reported switch, and vice versa
    for x in changes:
        assert any(abs(np.log(x) - np.log(s)) < 2e-3 for s, _, _ in switches)
    for x, frm, to in switches:
        assert lo <= x <= hi
        assert b[frm] - x * h[frm] == pytest.approx(b[to] - x * h[to], abs=1e-6)
        assert h[to] < h[frm]  # heavier harm weight moves the choice to the less harmful option


# --- ties are ties: options equal in a draw share it -------------------------------------------------


def test_identical_options_share_probability_best_equally():
    """Two options with the same outcomes on a shared quantity are equal in every draw: 0.5 / 0.5, not 1 / 0."""
    q = [{"name": "p", "kind": "probability", "judgement": {"low": 0.2, "likely": 0.3, "high": 0.4}}]
    same = [outcome("harm", "harm", "p", 60)]
    sim = simulate(two_option_case(same, [dict(x) for x in same], quantities=q), 2000, seed=1)
    pb = compare.probability_best(sim)
    assert pb["A"] == pytest.approx(0.5) and pb["B"] == pytest.approx(0.5)
    assert (compare.expected_regret(sim) == 0).all()  # regret is unaffected by the split
    acc = compare.acceptability(sim, weights=[0.5, 1, 2])
    assert np.allclose(acc.to_numpy(), 0.5)
    lead = compare.lead(sim)
    assert lead.is_tie and lead.lead == 0 and lead.se == 0 and sorted(lead.tied) == ["A", "B"]


def test_three_way_tie_in_some_draws_splits_in_thirds():
    """best_shares: a draw with three options level gives each a third; a clear winner gets it all."""
    v = np.array([[1.0, 1.0, 1.0], [3.0, 2.0, 1.0], [0.0, 5.0, 5.0]])
    shares = compare.best_shares(v)
    assert np.allclose(shares, [[1 / 3, 1 / 3, 1 / 3], [1, 0, 0], [0, 0.5, 0.5]])


def test_a_real_lead_is_not_a_tie():
    """A lead of 2 points with a Monte Carlo error far smaller is a lead (closed form: A = 10, B = 8)."""
    sim = simulate(two_option_case([outcome("v", "benefit", 1.0, 10)], [outcome("v", "benefit", 1.0, 8)]), 500, seed=1)
    lead = compare.lead(sim)
    assert not lead.is_tie and lead.best == "A" and lead.lead == pytest.approx(2.0) and lead.se == 0
    assert compare.probability_best(sim)["A"] == 1.0
