"""The fast fits give preliz's fitted distributions: the verbal table is preliz's maximum-entropy
fit, and the quantile fit (decide.distributions, without preliz) gives preliz's optimiser's parameters."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from conftest import BASE_CASE, RELAPSE_CASE, ROOT, LazyModule
from decide import judge
from decide.frame import Decision
from decide.distributions import quantile_function
from decide.judge import CONFIDENCE_MASS, SCALES, Judgement, _preliz_fit_quantiles

pz = LazyModule("preliz")


def test_verbal_table_covers_every_term_and_confidence():
    expected = {(s, t, c) for s, terms in SCALES.items() for t in terms for c in CONFIDENCE_MASS}
    assert set(judge._VERBAL_BETA) == expected


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_verbal_table_is_prelizs_maximum_entropy_fit(scale):
    for term, (lo, hi) in SCALES[scale].items():
        for confidence, mass in CONFIDENCE_MASS.items():
            fitted = pz.Beta()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pz.maxent(fitted, lo, hi, mass, plot=False)
            got = Judgement(verbal=term, scale=scale, confidence=confidence).to_distribution()
            # preliz's optimiser stops within its tolerance, and where it stops depends on the linear algebra's
            # thread count (up to 7e-4 apart between one thread and two); the table is one such stop
            assert (got.alpha, got.beta) == pytest.approx((fitted.alpha, fitted.beta), rel=2e-3), (term, confidence)
            inside = got.cdf(hi) - got.cdf(lo)
            assert inside == pytest.approx(mass, abs=1e-3)  # the band holds the stated share


def _fitted_judgements(case: dict) -> list[tuple[Judgement, str, tuple]]:
    """Every judgement a case's simulation fits from quantiles, with its kind and bounds."""
    from decide.simulate import Model

    seen = []
    real = judge._fit.__wrapped__

    def record(text, kind, bounds):
        seen.append((Judgement.model_validate(json.loads(text)), kind, bounds))
        return real(text, kind, bounds)

    original = judge._fit
    judge._fit = record
    try:
        Model.from_decision(Decision.from_dict(case))
    finally:
        judge._fit = original
    return [(j, k, b) for j, k, b in seen if j.low is not None or j.quantiles is not None]


def _cases():
    import yaml

    files = sorted((ROOT / "data" / "cases").glob("*.yaml"))
    return [pytest.param(yaml.safe_load(f.read_text()), id=f.stem) for f in files] + [
        pytest.param(BASE_CASE, id="base"), pytest.param(RELAPSE_CASE, id="relapse")]


@pytest.mark.parametrize("case", _cases())
def test_quantile_fits_equal_prelizs_optimiser(case):
    fits = _fitted_judgements(case)
    assert fits, "the case has judgements fitted from quantiles"
    families = set()
    for j, kind, bounds in fits:
        probs, values = ((judge.LOW_LIKELY_HIGH_PROBS, [j.low, j.likely, j.high]) if j.low is not None
                         else zip(*sorted(j.quantiles.items())))
        probs, values = list(probs), list(values)
        name, fixed = judge._family_for(kind, bounds)
        new = judge.fit_quantiles((name, fixed), probs, values)
        old = _preliz_fit_quantiles(getattr(pz, name)(**fixed), probs, values)
        families.add(type(new).__name__)
        assert type(new).__module__ == "decide.distributions"  # preliz not needed
        assert type(new).__name__ == type(old).__name__
        np.testing.assert_allclose(np.asarray(new.params, float), np.asarray(old.params, float), rtol=1e-7,
                                   err_msg=f"{kind} {j.model_dump(exclude_none=True)}")
    assert families <= {"Beta", "LogNormal", "BetaScaled", "Gamma", "Normal"}


@pytest.mark.parametrize("family, probs, values", [
    ("Beta", [0.1, 0.5, 0.9], [0.05, 0.2, 0.5]),
    ("Beta", [0.05, 0.25, 0.5, 0.75, 0.95], [0.6, 0.7, 0.75, 0.8, 0.9]),
    ("LogNormal", [0.1, 0.5, 0.9], [0.5, 1.5, 4.0]),
    ("Gamma", [0.1, 0.5, 0.9], [2.0, 5.0, 9.0]),
    ("Normal", [0.1, 0.5, 0.9], [-3.0, 1.0, 4.0]),
    ("BetaScaled", [0.1, 0.5, 0.9], [10.0, 30.0, 80.0]),
])
def test_quantile_fits_equal_prelizs_optimiser_on_other_shapes(family, probs, values):
    def make():
        return pz.BetaScaled(lower=0.0, upper=100.0) if family == "BetaScaled" else getattr(pz, family)()

    new = judge.fit_quantiles(make(), probs, values)  # a preliz family is fitted the light way too
    old = _preliz_fit_quantiles(make(), probs, values)
    np.testing.assert_allclose(np.asarray(new.params, float), np.asarray(old.params, float), rtol=1e-7)
    fixed = {"lower": 0.0, "upper": 100.0} if family == "BetaScaled" else {}
    assert judge.fit_quantiles((family, fixed), probs, values).params == new.params
    # and the fitted quantile function is preliz's own
    params = dict(zip(new.param_names, new.params))
    np.testing.assert_allclose(quantile_function(family)(np.array(probs), **params), old.ppf(np.array(probs)), rtol=1e-7)
    np.testing.assert_allclose(new.ppf(np.array(probs)), getattr(pz, family)(**params).ppf(np.array(probs)), rtol=1e-10)


def test_other_families_and_fixed_parameters_go_to_prelizs_optimiser():
    """A family decide does not fit itself (or a preliz family with a fixed parameter) is preliz's fit."""
    new = judge.fit_quantiles(pz.Weibull(), [0.1, 0.5, 0.9], [1.0, 2.0, 4.0])
    old = _preliz_fit_quantiles(pz.Weibull(), [0.1, 0.5, 0.9], [1.0, 2.0, 4.0])
    assert isinstance(new, pz.Weibull)
    np.testing.assert_allclose(np.asarray(new.params, float), np.asarray(old.params, float), rtol=1e-7)
    fixed_mu = judge.fit_quantiles(pz.Normal(mu=0.0), [0.1, 0.9], [-2.0, 2.0])
    assert isinstance(fixed_mu, pz.Normal) and fixed_mu.mu == 0.0
