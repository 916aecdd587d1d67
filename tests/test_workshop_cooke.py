"""Cooke's classical-model weights against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from decide.workshop import cooke


def test_calibration_is_one_when_the_shares_are_as_expected():
    assert cooke.calibration([1, 4, 4, 1]) == pytest.approx(1.0)
    assert cooke.calibration([2, 8, 8, 2]) == pytest.approx(1.0)


def test_calibration_by_hand():
    # every known value above the high: s = (0, 0, 0, 1); I = ln(1 / 0.1); 2 N I with N = 10, chi-square, 3 df
    statistic = 2 * 10 * math.log(10)
    assert cooke.calibration([0, 0, 0, 10]) == pytest.approx(stats.chi2.sf(statistic, 3))
    # (1, 2, 1, 0) of 4: I = 0.25 ln(2.5) + 0.5 ln(1.25) + 0.25 ln(0.625)
    i = 0.25 * math.log(0.25 / 0.1) + 0.5 * math.log(0.5 / 0.4) + 0.25 * math.log(0.25 / 0.4)
    assert cooke.calibration([1, 2, 1, 0]) == pytest.approx(stats.chi2.sf(8 * i, 3))


def test_bins_and_information():
    answers = {"a": (0.1, 0.2, 0.3), "b": (0.3, 0.4, 0.5)}
    assert list(cooke.bins(answers, 0.25)) == [2, 0]
    assert list(cooke.bins(answers, 0.05)) == [0, 0] and list(cooke.bins(answers, 0.6)) == [3, 3]
    # an answer that spreads its mass exactly as the background does carries no information
    assert cooke.information((1.0, 5.0, 9.0), 0.0, 10.0) == pytest.approx(0.0, abs=1e-12)
    # narrower is more informative
    assert cooke.information((4.0, 5.0, 6.0), 0.0, 10.0) > cooke.information((2.0, 5.0, 8.0), 0.0, 10.0) > 0


def test_weights_favour_the_calibrated_participant():
    truths = {f"q{i}": t for i, t in enumerate([0.1, 0.3, 0.5, 0.2, 0.4])}
    answers = {}
    for name, t in truths.items():
        answers[name] = {
            "calibrated": (t - 0.08, t + 0.01, t + 0.07),     # the known value near the middle
            "overconfident": (t + 0.05, t + 0.06, t + 0.07),  # narrow, and always above the known value
        }
    scored = cooke.scores(truths, answers)
    assert scored["overconfident"]["counts"] == [5, 0, 0, 0]
    assert scored["calibrated"]["counts"] == [0, 5, 0, 0]
    assert scored["calibrated"]["calibration"] > scored["overconfident"]["calibration"]
    w = cooke.weights(scored)
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["calibrated"] > 0.9


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=4, max_size=4).filter(lambda c: sum(c) > 0))
def test_calibration_is_a_probability(counts):
    c = cooke.calibration(counts)
    assert 0.0 <= c <= 1.0 + 1e-12


def test_only_roles_that_answered_everything_are_scored():
    scored = cooke.scores({"q1": 0.2, "q2": 0.5}, {"q1": {"a": (0.1, 0.2, 0.3), "b": (0.1, 0.3, 0.4)},
                                                  "q2": {"a": (0.4, 0.5, 0.6)}})
    assert list(scored) == ["a"]
    assert cooke.weights(scored) == {"a": 1.0}
    assert cooke.weights({}) == {}
    assert np.isnan(cooke.calibration([0, 0, 0, 0]))
