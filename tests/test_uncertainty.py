"""Risk versus uncertainty for teaching: every table against its closed form (binomial, beta-binomial, counting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from decide import uncertainty as U
from decide.errors import DecideError


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 200), p=st.floats(0.01, 0.99), c=st.floats(0.5, 500))
def test_harmed_counts_are_binomial_and_beta_binomial(n, p, c):
    """Known odds: Binomial(n, p). Unknown odds: mean n p, variance n p q (n + c) / (1 + c), c = how_sure."""
    t = U.how_many_harmed(n, p, how_sure=c)
    k = t["harmed"].to_numpy()
    assert t["known odds"].to_numpy() == pytest.approx(stats.binom.pmf(k, n, p), abs=1e-12)
    for col in ("known odds", "unknown odds"):
        assert t[col].sum() == pytest.approx(1.0, abs=1e-9)
    mean = (k * t["unknown odds"]).sum()
    var = (k**2 * t["unknown odds"]).sum() - mean**2
    assert mean == pytest.approx(n * p, rel=1e-7)
    assert var == pytest.approx(n * p * (1 - p) * (n + c) / (1 + c), rel=1e-6)


def test_less_evidence_means_a_wider_range():
    """The notebook's claim: the fewer children's worth of evidence, the wider the middle range, never narrower than known odds."""
    widths = []
    for how_sure in (1000, 180, 20, 5):
        t = U.how_many_harmed(100, 0.46, how_sure=how_sure)
        lo, hi = U.middle_range(t, "unknown odds")
        widths.append(hi - lo)
    known_lo, known_hi = U.middle_range(t, "known odds")
    assert widths == sorted(widths) and widths[0] >= known_hi - known_lo


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), p=st.floats(0.01, 0.99), mass=st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_middle_range_is_the_binomial_quantiles(n, p, mass):
    """Equal tails: the first counts whose cumulative probability reaches (1 - mass)/2 and (1 + mass)/2."""
    lo, hi = U.middle_range(U.how_many_harmed(n, p), "known odds", mass)
    # scipy's ppf is the same definition; a count whose cdf is within rounding of the cut may fall either side.
    for got, q in ((lo, (1 - mass) / 2), (hi, (1 + mass) / 2)):
        want = int(stats.binom.ppf(q, n, p))
        assert got == want or abs(stats.binom.cdf(min(got, want), n, p) - q) < 1e-9


def test_exercise_one_by_hand():
    """20 children, chance 0.46: P(13 or more) from the binomial sum."""
    t = U.how_many_harmed(20, 0.46)
    p13 = sum(stats.binom.pmf(k, 20, 0.46) for k in range(13, 21))
    assert t.loc[t["harmed"] >= 13, "known odds"].sum() == pytest.approx(p13, rel=1e-12)
    assert U.middle_range(t, "known odds") == (int(stats.binom.ppf(0.05, 20, 0.46)), int(stats.binom.ppf(0.95, 20, 0.46)))


def test_two_urns_match_counting():
    """Urn A: Binomial(n, 1/2). Urn B: the average of Binomial(n, j/N) over j = 0..N; one draw is red half the time."""
    one = U.two_urns(n_balls=100, n_draws=1)
    assert U.chance_of(one, "urn A (known: half red)", [1]) == pytest.approx(0.5, abs=1e-15)
    assert U.chance_of(one, "urn B (unknown mix)", [1]) == pytest.approx(0.5, abs=1e-12)
    ten = U.two_urns(n_balls=100, n_draws=10)
    assert U.chance_of(ten, "urn A (known: half red)", [0, 1, 2, 8, 9, 10]) == pytest.approx(112 / 1024, abs=1e-14)
    b = ten["urn B (unknown mix)"].to_numpy()
    assert b == pytest.approx(b[::-1], abs=1e-14)  # symmetric in red and black
    # With many balls urn B tends to every count equally likely (a uniform mix): 1 / (n_draws + 1).
    many = U.two_urns(n_balls=100_000, n_draws=10)["urn B (unknown mix)"]
    assert many.to_numpy() == pytest.approx(np.full(11, 1 / 11), abs=1e-4)


def test_chance_of_refuses_counts_outside_the_table():
    ten = U.two_urns(n_draws=10)
    with pytest.raises(DecideError, match=r"counts \[11\] are outside the table's red 0-10"):
        U.chance_of(ten, "urn A (known: half red)", [10, 11])


def test_three_colour_bets_by_hand():
    bets = U.three_colour_bets().set_index("bet")
    assert bets.loc["I: red", ["lowest chance", "highest chance"]].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert bets.loc["II: black", ["lowest chance", "highest chance"]].tolist() == pytest.approx([0, 2 / 3])
    assert bets.loc["III: red or yellow", ["lowest chance", "highest chance"]].tolist() == pytest.approx([1 / 3, 1])
    assert bets.loc["IV: black or yellow", ["lowest chance", "highest chance"]].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert bets["odds known?"].tolist() == ["yes", "no", "no", "yes"]


@given(red=st.integers(0, 200), other=st.integers(1, 200))
def test_no_belief_about_the_mix_supports_both_usual_choices(red, other):
    """I over II needs black < red; IV over III needs black > red: never both (Ellsberg's paradox, by counting)."""
    t = U.three_colour_beliefs(red, other)
    assert len(t) == other + 1
    assert (t["I better than II"] == (t["black balls"] < red)).all()
    assert (t["IV better than III"] == (t["black balls"] > red)).all()
    assert not t["both"].any()


def test_three_colour_beliefs_refuse_nonsense():
    with pytest.raises(DecideError, match="other at least 1"):
        U.three_colour_beliefs(30, 0)


def _summary(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"expected_value": values}).rename_axis("option")


@settings(max_examples=60, deadline=None)
@given(a=st.floats(-50, 50), gap=st.floats(0.01, 40), w=st.floats(0.1, 5), m=st.floats(1, 100))
def test_an_unlisted_harm_at_the_needed_chance_exactly_closes_the_lead(a, gap, w, m):
    """Chance needed x magnitude x harm weight = the lead; the choice can change only if that chance is at most 1."""
    table = U.unlisted_harm(_summary({"x": a + gap, "y": a, "z": a - 1}), magnitudes=[m], harm_weight=w)
    needed = table["chance_needed"].iloc[0]
    assert needed * m * w == pytest.approx(gap, rel=1e-9)
    assert bool(table["could_change"].iloc[0]) == (needed <= 1)
    assert table.attrs["preferred"] == "x" and table.attrs["runner_up"] == "y"


def test_unlisted_harm_refuses_bad_input():
    with pytest.raises(DecideError, match="at least two options"):
        U.unlisted_harm(_summary({"x": 1.0}), magnitudes=[10])
    with pytest.raises(DecideError, match="above 0"):
        U.unlisted_harm(_summary({"x": 1.0, "y": 0.0}), magnitudes=[0, 10])
    with pytest.raises(DecideError, match="between 0 and 1"):
        U.how_many_harmed(10, 1.2)
    with pytest.raises(DecideError, match="how_sure must be above 0"):
        U.how_many_harmed(10, 0.5, how_sure=0)
