"""Robustness margins, scenario regret and the two-way map, checked against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from conftest import RELAPSE_CASE
from decide.errors import DecideError
from decide.frame import Decision
from decide.robustness import Scenario, robustness_margins, scenario_regret, two_way
from decide.simulate import simulate

BASE = {"question": "Which option?", "date": "2026-01-01", "decided_by": ["social worker"]}

#: Everything fixed, so each margin has a closed form: 'home' is worth 60 - 0.3 * 100 = 30 points,
#: 'foster' 0.5 * 40 = 20 points.
FIXED = {
    **BASE,
    "options": [
        {"name": "home", "outcomes": [
            {"name": "family life", "kind": "benefit", "chance": 1.0, "horizon": "1 year", "magnitude": 60.0},
            {"name": "harm", "kind": "harm", "chance": 0.3, "horizon": "1 year", "magnitude": 100.0}]},
        {"name": "foster", "outcomes": [
            {"name": "stable care", "kind": "benefit", "chance": 0.5, "horizon": "1 year", "magnitude": 40.0}]},
    ],
}

UNCERTAIN = RELAPSE_CASE


@pytest.fixture(scope="module")
def fixed():
    return simulate(Decision.from_dict(FIXED), 50, seed=1)


@pytest.fixture(scope="module")
def uncertain():
    return simulate(Decision.from_dict(UNCERTAIN), 4000, seed=2)


def test_margin_on_a_harm_matches_hand_calculation(fixed):
    table = robustness_margins(fixed)
    assert table.attrs["preferred"] == "home"
    row = table[(table.scope == "outcome of option") & (table.outcome == "harm")].iloc[0]
    # home falls to 20 when the harm's chance reaches 0.4: odds ratio (0.4/0.6)/(0.3/0.7) = 14/9
    assert row.change == "more likely"
    assert row.odds_ratio == pytest.approx((0.4 / 0.6) / (0.3 / 0.7), rel=1e-5)
    assert row.chance_at_switch == pytest.approx(0.4, rel=1e-5)
    assert row.switches_to == "foster"


def test_margin_on_another_options_benefit(fixed):
    table = robustness_margins(fixed)
    row = table[table.outcome == "stable care"].iloc[0]
    # foster reaches 30 when stable care's chance reaches 0.75: odds ratio 3
    assert row.change == "more likely"
    assert row.odds_ratio == pytest.approx(3.0, rel=1e-5)


def test_certain_outcomes_cannot_be_shifted(fixed):
    table = robustness_margins(fixed)
    row = table[table.outcome == "family life"].iloc[0]
    assert np.isnan(row.odds_ratio) and row.margin == np.inf


def test_whole_option_margin_is_no_larger_than_each_of_its_outcomes(uncertain):
    table = robustness_margins(uncertain)
    for option in uncertain.options:
        whole = table[(table.scope == "whole option") & (table.option == option)].margin.iloc[0]
        parts = table[(table.scope == "outcome of option") & (table.option == option)].margin
        assert whole <= parts.min() + 1e-6
    assert table.margin.is_monotonic_increasing


def test_margin_actually_switches_the_choice(uncertain):
    table = robustness_margins(uncertain)
    row = table[(table.scope == "outcome of option") & (table.outcome == "relapse harms child")].iloc[0]
    chance, magnitude = uncertain.model.evaluate(uncertain.quantity_draws())
    m = uncertain.model
    i, k = m.options.index("return home"), m.outcomes.index("relapse harms child")
    for factor, same in ((0.99, True), (1.01, False)):
        shifted = chance.copy()
        shifted[:, i, k] = expit(logit(chance[:, i, k]) + factor * np.log(row.odds_ratio))
        v = (shifted * magnitude * np.where(m.is_harm, -1.0, 1.0) * m.applies).sum(-1).mean(0)
        assert (m.options[int(np.argmax(v))] == table.attrs["preferred"]) is same


def test_scenario_regret_and_minimax(fixed):
    reg = scenario_regret(fixed, [
        Scenario(name="harm more likely", odds_ratios={"harm": 4.0}),
        {"name": "harm weighed lightly", "harm_weight": 0.5},
    ])
    # harm odds x4: chance 12/19; home = 60 - 100 * 12/19
    home_bad = 60 - 100 * (4 * 0.3 / 0.7) / (1 + 4 * 0.3 / 0.7)
    assert reg.values.loc["harm more likely", "home"] == pytest.approx(home_bad)
    assert reg.values.loc["harm weighed lightly", "home"] == pytest.approx(45.0)
    assert reg.regret.loc["harm more likely", "home"] == pytest.approx(20 - home_bad)
    assert reg.max_regret["foster"] == pytest.approx(25.0)
    assert reg.least_max_regret == "home"  # its worst regret (about 3.2) beats foster's 25
    assert (reg.regret.values >= 0).all() and (reg.regret.min(axis=1) == 0).all()


def test_scenario_sets_quantities(uncertain):
    reg = scenario_regret(uncertain, [{"name": "relapse certain", "quantities": {"relapse": 1.0}}], include_current=False)
    assert reg.best_by_scenario["relapse certain"] == "stay in foster care"
    with pytest.raises(DecideError, match="did you mean 'relapse'"):
        scenario_regret(uncertain, [{"name": "x", "quantities": {"relapce": 0.2}}])
    with pytest.raises(DecideError, match="outside its range"):
        scenario_regret(uncertain, [{"name": "x", "quantities": {"relapse": 1.5}}])
    with pytest.raises(DecideError, match="no outcome"):
        scenario_regret(uncertain, [{"name": "x", "odds_ratios": {"relapse": 2.0}}])
    with pytest.raises(DecideError, match="must differ"):
        scenario_regret(uncertain, [{"name": "x"}, {"name": "x"}])


def test_two_way_map_agrees_with_direct_evaluation(uncertain):
    tw = two_way(uncertain, "relapse", "benefit_of_home", n=9, max_draws=500)
    assert tw.values.shape == (9, 9, 2)
    q = uncertain.quantity_draws()[:500].copy()
    m = uncertain.model
    q[:, m.quantities.index("relapse")] = tw.grid_x[3]
    q[:, m.quantities.index("benefit_of_home")] = tw.grid_y[6]
    assert tw.values[3, 6] == pytest.approx(m.expected_value(q).mean(axis=0))
    table = tw.table()
    assert len(table) == 81 and set(table.preferred) <= set(m.options)
    # more relapse never makes returning home look better
    home = tw.values[..., 0] - tw.values[..., 1]
    assert (np.diff(home, axis=0) <= 1e-9).all()
    assert (tw.lead >= 0).all()


def test_two_way_bad_input(uncertain):
    with pytest.raises(DecideError, match="did you mean"):
        two_way(uncertain, "relapse", "benefit_of_hom")
    with pytest.raises(DecideError, match="two different"):
        two_way(uncertain, "relapse", "relapse")


# --- the batched margin search against the loop it replaced ------------------------------------------


def _loop_first_switch(parts, mask, best, direction):
    """The search as it was: every grid point's values recomputed over every outcome, one at a time."""
    from scipy.optimize import brentq

    from decide.robustness import MAX_ODDS_RATIO

    def lead(t):
        v = parts.means(direction * t * mask)
        return v[best] - np.delete(v, best).max()

    grid = np.linspace(0.0, np.log(MAX_ODDS_RATIO), 61)
    leads = np.array([lead(t) for t in grid])
    crossed = np.flatnonzero(leads <= 0)
    if crossed.size == 0:
        return None
    k = crossed[0]
    t = 0.0 if k == 0 else brentq(lead, grid[k - 1], grid[k], xtol=1e-8)
    v = parts.means(direction * t * mask)
    v[best] = -np.inf
    return t, int(np.argmax(v))


@pytest.mark.parametrize("case", ["fixed", "uncertain", "return_home", "permanence"])
def test_batched_margins_equal_the_loop(case, request, monkeypatch):
    from conftest import ROOT

    import decide.robustness as rb

    if case in ("fixed", "uncertain"):
        sim = request.getfixturevalue(case)
    else:
        sim = simulate(Decision.from_yaml(ROOT / "data" / "cases" / f"{case}.yaml"), 2000, seed=5)
    parts = rb._Parts(sim, None, None)
    grid = np.linspace(0.0, np.log(rb.MAX_ODDS_RATIO), 61)
    for i, k in zip(*np.nonzero(sim.model.applies)):
        mask = np.zeros(sim.model.applies.shape)
        mask[i, k] = 1.0
        batched = parts.means_along(mask, -grid)
        looped = np.array([parts.means(-t * mask) for t in grid])
        np.testing.assert_allclose(batched, looped, rtol=1e-12, atol=1e-9)
    new = robustness_margins(sim)
    monkeypatch.setattr(rb, "_first_switch", _loop_first_switch)
    old = robustness_margins(sim)
    assert list(new.columns) == list(old.columns)
    for column in new.columns:
        if new[column].dtype.kind == "f":
            np.testing.assert_allclose(new[column], old[column], rtol=1e-7, atol=1e-9, err_msg=column)
        else:
            assert new[column].tolist() == old[column].tolist(), column


@pytest.mark.parametrize("case", ["fixed", "uncertain", "return_home", "permanence"])
@pytest.mark.parametrize("harm_weight", [None, 0.3, 3.0])
def test_stopping_and_skipping_search_equals_the_whole_grid(case, harm_weight, request, monkeypatch):
    """The search that stops at the first crossing and skips one-way leads gives exactly the table
    of the search over the whole grid in one batch."""
    from conftest import ROOT

    import decide.robustness as rb

    if case in ("fixed", "uncertain"):
        sim = request.getfixturevalue(case)
    else:
        sim = simulate(Decision.from_yaml(ROOT / "data" / "cases" / f"{case}.yaml"), 2000, seed=5)
    quick = robustness_margins(sim, harm_weight=harm_weight)
    monkeypatch.setattr(rb, "_one_way", lambda parts, mask: False)
    monkeypatch.setattr(rb, "GRID_CHUNK", 61)
    whole = robustness_margins(sim, harm_weight=harm_weight)
    assert quick.equals(whole) and quick.attrs == whole.attrs


def test_one_way_only_for_one_option_pushed_one_way(uncertain):
    import decide.robustness as rb

    parts = rb._Parts(uncertain, None, None)
    applies = uncertain.model.applies
    i, k = (int(a[0]) for a in np.nonzero(applies))
    one = np.zeros(applies.shape)
    one[i, k] = 1.0
    assert rb._one_way(parts, one)
    everywhere = applies.astype(float)  # every outcome of every option: more than one option moves
    assert not rb._one_way(parts, everywhere)
    mixed = np.zeros(applies.shape)  # one option's harm and benefit both more likely: pulls both ways
    harms, benefits = np.nonzero(applies[i] & parts.model.is_harm[i])[0], np.nonzero(applies[i] & ~parts.model.is_harm[i])[0]
    if len(harms) and len(benefits):
        mixed[i, harms[0]] = mixed[i, benefits[0]] = 1.0
        assert not rb._one_way(parts, mixed)
