"""Outcome bias: the simulation matches its closed form within Monte Carlo error, and behaves as it should."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from decide.errors import DecideError
from decide.outcome_bias import World, by_base_rate, simulate_outcome_bias


def test_blame_rate_of_good_decisions_is_the_chance_of_harm_under_them():
    # children all alike: the good decision is the safer option, blamed exactly as often as its harm happens
    run = simulate_outcome_bias(40_000, World(base_rate=0.46, alternative_rate=0.25, spread=None, share_made_well=0.7), seed=5)
    r = run.rates()
    assert r.loc["blame_rate_good", "closed_form"] == 0.25
    assert r.loc["praise_rate_poor", "closed_form"] == pytest.approx(0.54)
    for k in r.index:
        assert abs(r.loc[k, "simulated"] - r.loc[k, "closed_form"]) < 4 * r.loc[k, "mc_se"], k


def test_closed_form_integrals_against_direct_double_integration():
    w = World(base_rate=0.3, alternative_rate=0.2, spread=6)
    f = stats.beta(0.3 * 6, 0.7 * 6)
    g = stats.beta(0.2 * 6, 0.8 * 6)
    e_min, e_max = w.expected_min_max()
    direct_min = integrate.dblquad(lambda q, p: min(p, q) * f.pdf(p) * g.pdf(q), 0, 1, 0, 1, epsabs=1e-7)[0]
    assert e_min == pytest.approx(direct_min, abs=1e-5)
    assert e_min + e_max == pytest.approx(0.3 + 0.2, abs=1e-9)  # min + max = p + q


def test_per_decision_closed_form_conditional_on_the_chances():
    run = simulate_outcome_bias(50_000, seed=11, base_rate=0.35, alternative_rate=0.3, spread=5)
    d = run.decisions
    good = d[d["made_well"]]
    expected = good["chance_under_choice"].mean()  # each good decision blamed with the chance under it
    se = np.sqrt((good["chance_under_choice"] * (1 - good["chance_under_choice"])).sum()) / len(good)
    assert abs(good["harm"].mean() - expected) < 4 * se
    assert (good["chance_under_choice"] == np.minimum(good["chance_if_home"], good["chance_if_alternative"])).all()


@settings(max_examples=25, deadline=None)
@given(base=st.floats(0.02, 0.98), alt=st.floats(0.02, 0.98), spread=st.one_of(st.none(), st.floats(0.5, 50)),
       share=st.floats(0.05, 0.95))
def test_simulation_matches_closed_form_within_monte_carlo_error(base, alt, spread, share):
    run = simulate_outcome_bias(20_000, World(base, alt, spread, share), seed=2026)
    r = run.rates()
    for k in ("blame_rate_good", "praise_rate_poor", "share_blamed", "good_among_blamed"):
        p, m = r.loc[k, "closed_form"], r.loc[k, "out_of"]
        if m == 0:
            continue
        # standard error from the closed form (the plug-in one is 0 when a rare event is never seen), plus 1/m for discreteness
        se = np.sqrt(p * (1 - p) / m)
        assert abs(r.loc[k, "simulated"] - p) < 5 * se + 1 / m, k


def test_counts_add_up_and_the_same_seed_gives_the_same_numbers():
    a = simulate_outcome_bias(5000, seed=1, base_rate=0.2)
    b = simulate_outcome_bias(5000, seed=1, base_rate=0.2)
    c = simulate_outcome_bias(5000, seed=2, base_rate=0.2)
    assert a.counts().equals(b.counts()) and not a.counts().equals(c.counts())
    assert a.counts().to_numpy().sum() == 5000
    assert a.counts().loc["made well"].sum() == a.decisions["made_well"].sum()


def test_more_good_decisions_blamed_as_harm_becomes_commoner():
    t = by_base_rate([0.1, 0.3, 0.5, 0.7], 20_000, seed=3, alternative_rate=0.3, spread=8)
    closed = t["blame_rate_good_closed_form"].to_numpy()
    assert (np.diff(closed) > 0).all()
    assert (np.diff(t["praise_rate_poor_closed_form"].to_numpy()) < 0).all()
    assert (np.abs(t["blame_rate_good"] - closed) < 4 * t["blame_rate_good_se"]).all()


def test_bad_settings_are_refused():
    with pytest.raises(DecideError, match="base_rate must be a chance"):
        World(base_rate=1.2)
    with pytest.raises(DecideError, match="spread must be above 0"):
        World(spread=0)
    with pytest.raises(DecideError, match="share_made_well"):
        World(share_made_well=-0.1)
    with pytest.raises(DecideError, match="n_decisions"):
        simulate_outcome_bias(0, seed=1)


def test_table_for_reading_has_plain_headings_and_the_same_numbers():
    run = simulate_outcome_bias(20_000, seed=4, base_rate=0.4, alternative_rate=0.25)
    r, t = run.rates(), run.table()
    assert list(t.index) == list(r["meaning"]) and t.index.name == "share of"
    assert all("_" not in c for c in t.columns)
    assert np.allclose(t["simulated (%)"], 100 * r["simulated"]) and np.allclose(t["closed form (%)"], 100 * r["closed_form"])
    assert run.within_monte_carlo_error()


def test_within_monte_carlo_error_can_fail():
    run = simulate_outcome_bias(20_000, seed=4, base_rate=0.4, alternative_rate=0.25)
    run.decisions["harm"] = ~run.decisions["harm"]  # outcomes flipped: far from the closed form
    assert not run.within_monte_carlo_error()
