"""Invariants of the decision core, checked on many random cases (hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decide import Decision, compare, simulate

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

beta_params = st.tuples(st.floats(0.3, 50), st.floats(0.3, 50))
odds_ratio = st.tuples(st.floats(-3, 3), st.floats(0.05, 1.5))  # LogNormal mu, sigma


@st.composite
def cases(draw):
    n_options = draw(st.integers(2, 4))
    n_factors = draw(st.integers(0, 3))
    factors = []
    for i in range(n_factors):
        mu, sigma = draw(odds_ratio)
        factors.append({"name": f"f{i}", "kind": "risk" if mu >= 0 else "protective",
                        "odds_ratio": {"distribution": "LogNormal", "params": {"mu": mu, "sigma": sigma}}})
    options = []
    for i in range(n_options):
        outcomes = []
        for k in range(draw(st.integers(1, 4))):
            a, b = draw(beta_params)
            outcomes.append({
                "name": f"o{k}", "kind": draw(st.sampled_from(["harm", "benefit"])), "horizon": "1 year",
                "chance": {"distribution": "Beta", "params": {"alpha": a, "beta": b}},
                "magnitude": {"distribution": "BetaScaled", "params": {"alpha": draw(st.floats(0.5, 20)), "beta": draw(st.floats(0.5, 20)), "lower": 0, "upper": 100}},
                "factors": draw(st.lists(st.sampled_from([f["name"] for f in factors]), unique=True)) if factors else [],
            })
        options.append({"name": f"option {i}", "outcomes": outcomes})
    weight = draw(st.floats(0.1, 10))
    return Decision.model_validate({"question": "q", "date": "2026-01-01", "decided_by": ["sw"], "factors": factors,
                                    "options": options, "values": {"harm_weight": weight}})


@SETTINGS
@given(cases(), st.integers(0, 2**31))
def test_chances_stay_probabilities(decision, seed):
    ds = simulate(decision, 300, seed=seed).dataset
    applies = ~np.isnan(ds["chance"].values[0])
    chance = ds["chance"].values[:, applies]
    assert np.all((chance >= 0) & (chance <= 1))


@SETTINGS
@given(cases(), st.integers(0, 2**31))
def test_probabilities_best_sum_to_one(decision, seed):
    sim = simulate(decision, 300, seed=seed)
    assert np.isclose(compare.probability_best(sim).sum(), 1.0)
    assert np.allclose(compare.acceptability(sim, n=5).sum(axis=1), 1.0)
    assert (compare.expected_regret(sim) >= -1e-12).all()


@SETTINGS
@given(cases(), st.integers(0, 2**31), st.floats(0, 100))
def test_adding_the_same_value_to_every_option_changes_no_choice(decision, seed, c):
    data = decision.model_dump()
    for opt in data["options"]:
        opt["outcomes"].append({"name": "common benefit", "kind": "benefit", "horizon": "1 year", "chance": 1.0, "magnitude": c})
    shifted = Decision.model_validate(data)
    a, b = simulate(decision, 300, seed=seed), simulate(shifted, 300, seed=seed)
    pd.testing.assert_series_equal(compare.probability_best(a), compare.probability_best(b))
    np.testing.assert_allclose(compare.expected_regret(a), compare.expected_regret(b), atol=1e-9)
    np.testing.assert_allclose(b.dataset["expected_value"] - a.dataset["expected_value"], c, atol=1e-9)
    assert compare.preferred(a) == compare.preferred(b)


@settings(max_examples=10, deadline=None)
@given(cases(), st.integers(0, 2**31))
def test_same_seed_same_numbers_other_seed_other_draws(decision, seed):
    a, b = simulate(decision, 200, seed=seed), simulate(decision, 200, seed=seed)
    pd.testing.assert_frame_equal(a.table(), b.table())
    pd.testing.assert_frame_equal(compare.summary(a), compare.summary(b))
    c = simulate(decision, 200, seed=seed + 1)
    assert not np.array_equal(a.dataset["quantity_value"].values, c.dataset["quantity_value"].values)


def test_adding_an_option_leaves_other_draws_unchanged():
    """Each quantity has its own random stream, so editing one part of a case does not reshuffle the rest."""
    d = Decision.from_yaml("data/cases/return_home.yaml")
    data = d.model_dump()
    data["options"].append({"name": "kinship care", "outcomes": [
        {"name": "placement moves", "kind": "harm", "chance": 0.1, "horizon": "2 years", "magnitude": 20}]})
    a = simulate(d, 500, seed=7).dataset
    b = simulate(Decision.model_validate(data), 500, seed=7).dataset
    for q in a["quantity"].values:
        np.testing.assert_array_equal(a["quantity_value"].sel(quantity=q), b["quantity_value"].sel(quantity=q))


@SETTINGS
@given(cases(), st.integers(0, 2**31), st.randoms(use_true_random=False))
def test_probability_best_ignores_the_order_options_are_listed_in(decision, seed, rnd):
    """P(best) belongs to the option, not to its place in the list (ties included)."""
    sim = simulate(decision, 300, seed=seed)
    options = list(decision.options)
    rnd.shuffle(options)
    shuffled = simulate(decision.model_copy(update={"options": options}), 300, seed=seed)
    a, b = compare.probability_best(sim), compare.probability_best(shuffled)
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index(), check_exact=False, atol=1e-12)


@SETTINGS
@given(cases(), st.integers(0, 2**31))
def test_a_copy_of_an_option_gets_an_equal_share(decision, seed):
    """Copy an option onto shared quantities (so the copy is equal in every draw): the two get equal shares,
    together what the original had alone, and the shares still sum to 1."""
    import copy

    data = decision.model_dump(mode="json", exclude_none=True)
    first = data["options"][0]
    quantities = list(data.get("quantities", []))
    for k, out in enumerate(first["outcomes"]):
        for part, kind in (("chance", "probability"), ("magnitude", "magnitude")):
            name = f"shared_{k}_{part}"
            quantities.append({"name": name, "kind": kind, "judgement": out[part]})
            out[part] = name
    twin = copy.deepcopy(first)
    twin["name"] = "twin of the first"
    data["quantities"] = quantities
    data["options"].append(twin)
    with_twin = Decision.model_validate(data)
    alone = Decision.model_validate({**data, "options": data["options"][:-1]})
    pb = compare.probability_best(simulate(with_twin, 300, seed=seed))
    pb_alone = compare.probability_best(simulate(alone, 300, seed=seed))
    assert np.isclose(pb.sum(), 1.0)
    assert np.isclose(pb[first["name"]], pb["twin of the first"])
    assert np.isclose(pb[first["name"]] + pb["twin of the first"], pb_alone[first["name"]])
