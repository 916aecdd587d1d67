"""Value of information: checked against closed forms, exact quadrature and nested Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

from conftest import RELAPSE_CASE
from decide.errors import DecideError
from decide.frame import Decision
from decide.information import (
    Enquiry,
    enquiries_table,
    enquiry_value,
    evpi,
    evppi,
    evppi_nested,
    evppi_table,
    evsi_rate,
    expected_loss,
    relevant_quantities,
)
from decide.simulate import simulate

BASE = {"question": "Which option?", "date": "2026-01-01", "decided_by": ["social worker"]}


def normal_case(mu: float, sigma: float) -> Decision:
    """Two options whose difference in net value is Normal(mu, sigma): option A's only outcome
    is certain and its magnitude is Normal(mu, sigma) (truncated 50 sd away, which the case's
    value scale requires and which changes nothing measurable); option B's is worth 0."""
    normal = {"mu": mu, "sigma": sigma, "lower": mu - 50 * sigma, "upper": mu + 50 * sigma}
    return Decision.from_dict({
        **BASE,
        "values": {"scale_min": -1000, "scale_max": 1000},
        "options": [
            {"name": "A", "outcomes": [{"name": "gain", "kind": "benefit", "chance": 1.0, "horizon": "1 year",
                                        "magnitude": {"distribution": "TruncatedNormal", "params": normal}}]},
            {"name": "B", "outcomes": [{"name": "nothing", "kind": "benefit", "chance": 1.0, "horizon": "1 year",
                                        "magnitude": 0.0}]},
        ],
    })


#: A small return-home case: the difference between the options depends on three quantities,
#: and one quantity ('unused') is defined but no option uses it.
SMALL = {
    **RELAPSE_CASE,
    "quantities": RELAPSE_CASE["quantities"] + [
        {"name": "unused", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": 2, "beta": 2}}},
    ],
}
USED = ["relapse", "harm_of_relapse", "benefit_of_home"]


@pytest.fixture(scope="module")
def small():
    return simulate(Decision.from_dict(SMALL), 40_000, seed=3)


def exact_small_evppi(sim, name: str) -> float:
    """EVPPI of one quantity of SMALL by quadrature: value(return) - value(stay) is linear in each
    quantity given the others' means, because the quantities are independent."""
    dist = dict(zip(sim.model.quantities, sim.model.distributions))
    mean = {k: dist[k].mean() for k in USED}

    def inb(x):
        v = {**mean, name: x}
        return 0.8 * v["benefit_of_home"] - v["relapse"] * v["harm_of_relapse"] - 0.9 * 15.0

    lo, hi = (0.0, 1.0) if name == "relapse" else (0.0, 100.0)
    pdf = dist[name].pdf
    with_info = integrate.quad(lambda x: max(0.0, inb(x)) * pdf(x), lo, hi, limit=200)[0]
    without = integrate.quad(lambda x: inb(x) * pdf(x), lo, hi, limit=200)[0]
    return with_info - max(0.0, without)


# --- EVPI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mu,sigma", [(0.0, 10.0), (5.0, 10.0), (-8.0, 6.0), (20.0, 10.0)])
def test_evpi_matches_unit_normal_loss_integral(mu, sigma):
    # EVPI = E[max(0, X)] - max(0, mu) for X ~ N(mu, sigma): sigma*phi(mu/sigma) - |mu|*Phi(-|mu|/sigma)
    exact = sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)
    sim = simulate(normal_case(mu, sigma), 40_000, seed=11)
    r = evpi(sim)
    assert abs(r.value - exact) < 4 * r.se + 1e-9
    assert r.se < 0.03 * sigma  # the check above is not vacuous


def test_evppi_of_the_only_quantity_equals_the_normal_evpi():
    sim = simulate(normal_case(3.0, 10.0), 20_000, seed=5)
    name = "A: gain: magnitude"
    exact = 10.0 * stats.norm.pdf(0.3) - 3.0 * stats.norm.cdf(-0.3)
    r = evppi(sim, name, shortcuts=False)  # the regression, not the exact shortcut
    assert r.method == "spline"
    assert r.value == pytest.approx(exact, rel=0.05)
    assert min(r.fit["r2"]) > 0.999  # the value is a smooth function of the quantity: a perfect fit


# --- EVPPI -----------------------------------------------------------------------------------------


def test_evppi_of_a_quantity_no_option_uses_is_zero(small):
    assert not relevant_quantities(small)["unused"]
    r = evppi(small, "unused")
    assert r.value == 0.0 and r.method == "exact"
    # the regression itself also finds (almost) nothing there
    forced = evppi(small, "unused", shortcuts=False)
    assert forced.value < 0.01 * evpi(small).value


def test_evppi_of_everything_that_matters_equals_evpi(small):
    full = evpi(small).value
    assert evppi(small, USED).value == pytest.approx(full)
    assert evppi(small, small.model.quantities).value == pytest.approx(full)
    # and the regression (a three-way tensor spline) gets there on its own
    assert evppi(small, USED, shortcuts=False).value == pytest.approx(full, rel=0.03)


def test_evppi_is_at_most_evpi(small):
    full = evpi(small)
    for groups in (["relapse"], ["harm_of_relapse"], ["benefit_of_home"], ["relapse", "harm_of_relapse"]):
        r = evppi(small, groups)
        assert 0 <= r.value <= full.value + 2 * full.se
    pair = evppi(small, ["relapse", "harm_of_relapse"]).value
    assert pair >= max(evppi(small, "relapse").value, evppi(small, "harm_of_relapse").value)


@pytest.mark.parametrize("name", ["relapse", "harm_of_relapse", "benefit_of_home"])
def test_regression_evppi_matches_exact_quadrature(small, name):
    exact = exact_small_evppi(small, name)
    r = evppi(small, name)
    assert abs(r.value - exact) < max(3 * r.se, 0.03 * exact)
    assert r.se < 0.05 * exact


def test_regression_evppi_within_5_percent_of_nested_monte_carlo(small):
    reg = evppi(small, "relapse")
    nested = evppi_nested(small, "relapse", outer=1000, inner=4000, seed=1)
    assert reg.value == pytest.approx(nested.value, rel=0.05)
    assert nested.value == pytest.approx(exact_small_evppi(small, "relapse"), rel=0.03)


@pytest.mark.parametrize("name", ["relapse", "benefit_of_home"])
def test_regression_standard_error_matches_the_spread_over_fresh_simulations(name):
    """The stated standard error is honest: over 40 independent simulations the estimates spread
    about as much as it says, and the exact value lies within 1.96 standard errors about 95 % of
    the time."""
    decision = Decision.from_dict(SMALL)
    values, ses = [], []
    for seed in range(40):
        sim = simulate(decision, 5000, seed=100 + seed)
        r = evppi(sim, name, seed=seed)
        values.append(r.value)
        ses.append(r.se)
    values, ses = np.array(values), np.array(ses)
    exact = exact_small_evppi(sim, name)
    assert 0.7 < values.std(ddof=1) / ses.mean() < 1.4
    assert np.mean(np.abs(values - exact) < 1.96 * ses) >= 0.8


@pytest.mark.slow
@pytest.mark.parametrize("group", [["harm_of_relapse"], ["benefit_of_home"], ["relapse", "harm_of_relapse"]])
def test_regression_and_nested_agree_on_more_quantities(small, group):
    reg = evppi(small, group)
    nested = evppi_nested(small, group, outer=2000, inner=4000, seed=1)
    assert reg.value == pytest.approx(nested.value, rel=0.05)


def test_gaussian_process_for_many_quantities_agrees_with_splines(small):
    sub = simulate(Decision.from_dict(SMALL), 2000, seed=8)  # a GP costs the cube of the draws; within 1 % of the splines here
    spline = evppi(sub, ["relapse", "harm_of_relapse"], method="spline", shortcuts=False)
    gp = evppi(sub, ["relapse", "harm_of_relapse"], method="gp", shortcuts=False)
    assert gp.method == "gp"
    assert gp.value == pytest.approx(spline.value, rel=0.1)
    assert gp.se > 0


def test_same_seed_same_numbers(small):
    a = evppi(small, ["relapse", "benefit_of_home"], seed=4)
    b = evppi(small, ["relapse", "benefit_of_home"], seed=4)
    assert (a.value, a.se) == (b.value, b.se)
    n1 = evppi_nested(small, "relapse", outer=50, inner=50, seed=2)
    n2 = evppi_nested(small, "relapse", outer=50, inner=50, seed=2)
    assert n1.value == n2.value


def test_evppi_table_has_every_quantity_and_groups(small):
    table = evppi_table(small, groups={"relapse and its harm": ["relapse", "harm_of_relapse"]})
    assert set(small.model.quantities) <= set(table["name"])
    assert "relapse and its harm" in set(table["name"])
    assert table["evppi"].is_monotonic_decreasing
    assert table.attrs["evpi"] == pytest.approx(evpi(small).value)
    assert (table["evppi"] <= table.attrs["evpi"] + 2 * table.attrs["evpi_se"]).all()


def test_unknown_quantity_is_a_clear_error(small):
    with pytest.raises(DecideError, match="did you mean 'relapse'"):
        evppi(small, "relapce")
    with pytest.raises(DecideError, match="method"):
        evppi(small, "relapse", method="magic")


# --- properties of the expected loss behind EVPI and EVPPI -----------------------------------------

values_arrays = arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(2, 4)),
                       elements=st.floats(-100, 100, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(values_arrays, st.floats(-50, 50))
def test_expected_loss_is_non_negative_and_shift_invariant(v, shift):
    value, _ = expected_loss(v)
    assert value >= -1e-9
    row_shift = np.linspace(-1, 1, v.shape[0])[:, None] * shift  # the same shift for every option in a row
    assert expected_loss(v + row_shift)[0] == pytest.approx(value, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(values_arrays)
def test_expected_loss_is_zero_when_one_option_always_wins(v):
    v = v.copy()
    v[:, 0] = v.max(axis=1) + 1.0
    assert expected_loss(v)[0] == 0.0


# --- EVSI for a rate ------------------------------------------------------------------------------

A, B, T = 8.0, 12.0, 0.42  # Beta prior on the rate; option 'service' is better when the rate exceeds T
RATE = {
    **BASE,
    "quantities": [{"name": "rate", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": A, "beta": B}}}],
    "options": [
        {"name": "service", "outcomes": [{"name": "helped", "kind": "benefit", "chance": "rate", "horizon": "1 year", "magnitude": 50.0}]},
        {"name": "no service", "outcomes": [{"name": "helped anyway", "kind": "benefit", "chance": T, "horizon": "1 year", "magnitude": 50.0}]},
    ],
}


def exact_evsi(n: int) -> float:
    """Beta-Binomial preposterior: after x of n, the rate's mean is (A+x)/(A+B+n) (conjugate)."""
    x = np.arange(n + 1)
    p = stats.betabinom.pmf(x, n, A, B)
    return float(p @ np.maximum(0.0, 50 * ((A + x) / (A + B + n) - T)) - max(0.0, 50 * (A / (A + B) - T)))


@pytest.fixture(scope="module")
def rate_sim():
    return simulate(Decision.from_dict(RATE), 40_000, seed=21)


@pytest.mark.parametrize("n", [5, 30, 200])
@pytest.mark.parametrize("method", ["preposterior", "regression"])
def test_evsi_matches_beta_binomial_closed_form(rate_sim, n, method):
    r = evsi_rate(rate_sim, "rate", n, method=method)
    exact = exact_evsi(n)
    assert abs(r.value - exact) < max(4 * r.se, 0.04 * exact)


@pytest.mark.parametrize("n", [1, 5, 50, 200])
def test_evsi_regression_standard_error_matches_the_spread_over_seeds(n):
    """Issue 12: the regression EVSI's standard error counts the error of the fitted means. Over
    30 independent simulations the estimates spread as much as it says (it used to say 13x too
    little for a study of one case), and the closed form lies within 1.96 of them most times.
    n = 200 takes the spline path (more than 60 possible counts)."""
    decision = Decision.from_dict(RATE)
    values, ses = [], []
    for seed in range(30):
        sim = simulate(decision, 10_000, seed=300 + seed)
        r = evsi_rate(sim, "rate", n, method="regression", seed=seed)
        values.append(r.value)
        ses.append(r.se)
        assert r.se == pytest.approx(np.hypot(r.fit["se_fit"], r.fit["se_monte_carlo"]))
    values, ses = np.array(values), np.array(ses)
    assert 0.6 < values.std(ddof=1) / ses.mean() < 1.6
    assert np.mean(np.abs(values - exact_evsi(n)) < 1.96 * ses) >= 0.8


@pytest.mark.parametrize("n", [1, 5, 50])
def test_evsi_regression_agrees_with_preposterior_within_its_error(rate_sim, n):
    reg = evsi_rate(rate_sim, "rate", n, method="regression", seed=7)
    pre = evsi_rate(rate_sim, "rate", n, method="preposterior", seed=7)
    assert reg.fit["se_fit"] > 0
    assert abs(reg.value - pre.value) < 3 * np.hypot(reg.se, pre.se)
    assert abs(reg.value - exact_evsi(n)) < 3 * reg.se


def test_evsi_regression_without_redraws_has_only_monte_carlo_error(rate_sim):
    r = evsi_rate(rate_sim, "rate", 1, method="regression", se_draws=0)
    assert r.fit["se_fit"] == 0.0
    assert r.se == pytest.approx(r.fit["se_monte_carlo"])


def test_evsi_grows_with_study_size_towards_evppi(rate_sim):
    values = [evsi_rate(rate_sim, "rate", n, bootstrap=0).value for n in (2, 10, 50, 400)]
    assert all(b >= a - 1e-9 for a, b in zip(values, values[1:]))
    full = evpi(rate_sim).value  # the rate is the only quantity, so its EVPPI is the EVPI
    assert values[-1] <= full * 1.01
    big = evsi_rate(rate_sim, "rate", 5000)  # too many counts to enumerate: data sets are drawn
    assert big.fit["enumerated"] is False
    assert abs(big.value - exact_evsi(5000)) < 4 * big.se
    assert big.value == pytest.approx(full, rel=0.1)


def test_evsi_needs_a_rate(small):
    with pytest.raises(DecideError, match="not a rate"):
        evsi_rate(small, "harm_of_relapse", 10)
    with pytest.raises(DecideError, match="whole number"):
        evsi_rate(small, "relapse", 0)


# --- deciding now or finding out more ------------------------------------------------------------


def test_enquiry_worth_weeks_is_value_over_harm_per_week(small):
    e = Enquiry(name="drug test", informs=["relapse"], weeks=2.0)
    v = enquiry_value(small, e, 0.25)
    assert v.worth_weeks == pytest.approx(evppi(small, "relapse").value / 0.25)
    assert v.delay_cost == pytest.approx(0.5)
    assert v.verdict == "find out more first"  # about 2.2 points against 0.5 points of drift
    assert "worth up to about" in v.message


def test_enquiry_not_worth_a_long_wait_means_decide_now(small):
    e = Enquiry(name="parenting capacity report", informs=["harm_of_relapse"], weeks=16.0)
    v = enquiry_value(small, e, {"low": 0.2, "likely": 0.4, "high": 0.8})
    assert v.verdict == "decide now"
    assert v.decide_now_option == "stay in foster care"
    assert v.worth_weeks_lower < v.worth_weeks < v.worth_weeks_upper
    assert 0 <= v.probability_worth_waiting < 0.5


def test_enquiry_study_of_cases_uses_evsi(small):
    e = Enquiry(name="local audit of 40 returns", informs=["relapse"], weeks=8.0, cases=40)
    v = enquiry_value(small, e, 0.05)
    assert v.value.method == "evsi preposterior"
    assert v.value.value <= evppi(small, "relapse").value * 1.02


def test_enquiries_table_and_bad_input(small):
    table = enquiries_table(small, [
        {"name": "drug test", "informs": ["relapse"], "weeks": 2},
        {"name": "report", "informs": ["harm_of_relapse", "benefit_of_home"], "weeks": {"low": 6, "likely": 8, "high": 12}},
    ], 0.3)
    assert list(table.columns[:3]) == ["enquiry", "informs", "verdict"]
    assert table["net_gain"].is_monotonic_decreasing
    with pytest.raises(DecideError, match="did you mean"):
        enquiry_value(small, {"name": "x", "informs": ["relapce"], "weeks": 1}, 0.3)
    with pytest.raises(DecideError, match="weeks"):
        enquiry_value(small, {"name": "x", "informs": ["relapse"], "weeks": -1}, 0.3)
    with pytest.raises(DecideError, match="verbal"):
        enquiry_value(small, {"name": "x", "informs": ["relapse"], "weeks": 1}, {"verbal": "likely"})
    with pytest.raises(DecideError, match="one rate"):
        enquiry_value(small, {"name": "x", "informs": USED, "weeks": 1, "cases": 20}, 0.3)


def test_one_quantity_fast_path_fits_exactly_what_the_general_basis_fits():
    """For one quantity without ties the sorted-grid path must give the general spline fit."""
    from decide.information import _fit_spline, spline_basis

    rng = np.random.default_rng(3)
    x = rng.lognormal(0, 1, 5000)
    y = np.column_stack([np.sin(3 * np.log(x)) + rng.normal(0, 1, x.size), 0.2 * x + rng.normal(0, 1, x.size)])
    fast, _, fit = _fit_spline(x[:, None], y, 0, rng)
    U, s, _ = np.linalg.svd(spline_basis(x[:, None]), full_matrices=False)
    U = U[:, s > s[0] * 1e-10]
    np.testing.assert_allclose(fast, U @ (U.T @ y), atol=1e-9)
    assert fit["terms"] == U.shape[1]
    # with ties the general path is used, and it still fits
    x_tied = np.round(x, 1)
    tied, _, _ = _fit_spline(x_tied[:, None], y, 0, rng)
    Ut, st, _ = np.linalg.svd(spline_basis(x_tied[:, None]), full_matrices=False)
    Ut = Ut[:, st > st[0] * 1e-10]
    np.testing.assert_allclose(tied, Ut @ (Ut.T @ y), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 400), n_knots=st.integers(2, 8), seed=st.integers(0, 10_000))
def test_cubic_bsplines_are_scikit_learns_spline_features(n, n_knots, seed):
    """The basis is scikit-learn's SplineTransformer (uniform knots)."""
    from sklearn.preprocessing import SplineTransformer

    from decide.information import cubic_bsplines

    x = np.random.default_rng(seed).lognormal(0, 1, n)
    expected = SplineTransformer(n_knots=n_knots, degree=3, knots="uniform", extrapolation="linear").fit_transform(x[:, None])
    np.testing.assert_allclose(cubic_bsplines(x, n_knots), expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(5, 3000), n_knots=st.integers(2, 10), seed=st.integers(0, 10_000),
       kind=st.sampled_from(["grid", "uniform", "tied", "lognormal"]))
def test_cubic_bsplines_are_scipys_design_matrix_bit_for_bit(n, n_knots, seed, kind):
    """The basis worked out in numpy is SciPy's BSpline.design_matrix exactly (same recursion, same
    order of arithmetic), on the rank grid, ties, points at the knots and long tails."""
    from scipy.interpolate import BSpline

    from decide.information import cubic_bsplines

    rng = np.random.default_rng(seed)
    x = {"grid": (np.arange(n) + 0.5) / n, "uniform": rng.random(n),
         "tied": np.round(rng.random(n) * 7) / 7, "lognormal": rng.lognormal(0, 1, n)}[kind]
    lo, hi = x.min(), x.max()
    if not hi > lo:
        assert np.array_equal(cubic_bsplines(x, n_knots), np.ones((n, 1)))
        return
    inner = np.linspace(lo, hi, n_knots)
    step = inner[1] - inner[0]
    knots = np.r_[lo - step * np.arange(3, 0, -1), inner, hi + step * np.arange(1, 4)]
    assert np.array_equal(cubic_bsplines(x, n_knots), BSpline.design_matrix(x, knots, 3).toarray())


def _evsi_preposterior_per_draw(sim, quantity, cases, seed=0, bootstrap=20):
    """The preposterior as it was before it was batched: SciPy's logpmf for every count and draw,
    normalised by logsumexp, and every bootstrap replicate a new pass over resampled draws."""
    from scipy.special import logsumexp

    (j,) = [sim.model.quantities.index(quantity)]
    theta = sim.quantity_draws()[:, j]
    v = sim.dataset["expected_value"].values
    n = v.shape[0]
    rng = np.random.default_rng([seed, int(cases), j])
    x = np.arange(cases + 1)
    with np.errstate(divide="ignore"):
        loglik = stats.binom.logpmf(x[:, None], cases, theta[None, :])
    norm = logsumexp(loglik, axis=1, keepdims=True)
    w = np.exp(loglik - norm)
    cond = w @ v
    p_x = np.exp(norm[:, 0] - np.log(n))
    p_x = p_x / p_x.sum()
    best = int(np.argmax(v.mean(axis=0)))
    value = float(p_x @ (cond.max(axis=1) - cond[:, best]))
    ess = float(p_x @ (1.0 / (w**2).sum(axis=1)))
    boots = []
    for _ in range(bootstrap):
        rows = rng.integers(0, n, n)
        ll = loglik[:, rows]
        nb = logsumexp(ll, axis=1, keepdims=True)
        c = np.exp(ll - nb) @ v[rows]
        pb = np.exp(nb[:, 0])
        pb = pb / pb.sum()
        boots.append(float(pb @ c.max(axis=1) - (pb @ c).max()))
    return value, float(np.std(boots, ddof=1)), ess


@pytest.mark.parametrize("n", [1, 20, 200])
def test_batched_preposterior_equals_the_per_draw_calculation(n):
    """Same value, standard error (same resamples) and effective draws as the per-draw version (an identity at
    any number of draws, so checked on 5,000: the per-draw version is the slow one)."""
    sim = simulate(Decision.from_dict(RATE), 5_000, seed=21)
    fast = evsi_rate(sim, "rate", n, seed=3)
    value, se, ess = _evsi_preposterior_per_draw(sim, "rate", n, seed=3)
    assert fast.value == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert fast.se == pytest.approx(se, rel=1e-7)
    assert fast.fit["effective_draws"] == pytest.approx(ess, rel=1e-9)


def test_preposterior_with_a_rate_known_exactly_is_zero():
    """A rate fixed at 0 allows no count above 0: those counts carry no weight, not NaN."""
    fixed = {**RATE, "quantities": [{"name": "rate", "kind": "probability", "judgement": {"value": 0.0}}]}
    sim = simulate(Decision.from_dict(fixed), 2_000, seed=1)
    r = evsi_rate(sim, "rate", 10)
    assert r.value == 0.0 and r.se == 0.0
