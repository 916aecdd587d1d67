"""Judge: turn a practitioner's statement about an uncertain quantity into a distribution.

A judgement can be a verbal likelihood from a published scale ('likely'), a low / likely / high
triple, a set of quantiles, a named distribution, or a fixed number. The families fitted here
(Beta, BetaScaled, Gamma, LogNormal, Normal) are decide.distributions' light objects, which carry
preliz's names, formulas and fit without loading it; other named families are preliz's own.
Several practitioners' judgements of one quantity are pooled with a linear opinion pool.
How likely something is and how confident the practitioner is are separate fields (ICD 203
forbids mixing them in one statement): confidence sets how much of the distribution lies
inside the verbal band.
"""

from __future__ import annotations

import functools
import json
import warnings
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# --- numbers a user may write ---------------------------------------------------------------

#: Largest size of any number in a case (magnitudes, odds ratios, parameters, weights...). Values
#: near the float limits overflow in the simulation (1e307 + 1e307 is inf), and no scale a
#: practitioner uses comes near a million.
NUMBER_LIMIT = 1e6


def _not_bool(value):
    """YAML reads yes/no/true/false/on/off as booleans; Python would then count them as 1 and 0."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "bool_not_number",
            "'{word}' is read as yes/no, not a number; give a number (e.g. 0.4)",
            {"word": "yes" if value else "no"},
        )
    return value


#: A finite number, never a yes/no, within +-NUMBER_LIMIT.
Number = Annotated[
    float, BeforeValidator(_not_bool), Field(allow_inf_nan=False, ge=-NUMBER_LIMIT, le=NUMBER_LIMIT)
]
#: A positive finite number (weights, harm weights).
Positive = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False, gt=0, le=NUMBER_LIMIT)]
#: A whole number, never a yes/no.
Count = Annotated[int, BeforeValidator(_not_bool)]


# --- published verbal likelihood scales -------------------------------------------------------

#: UK Professional Head of Intelligence Assessment probability yardstick (gaps are deliberate).
UK_YARDSTICK: dict[str, tuple[float, float]] = {
    "remote chance": (0.0, 0.05),
    "highly unlikely": (0.10, 0.20),
    "unlikely": (0.25, 0.35),
    "realistic possibility": (0.40, 0.50),
    "likely": (0.55, 0.75),
    "probably": (0.55, 0.75),
    "highly likely": (0.80, 0.90),
    "almost certain": (0.95, 1.0),
}

#: US Intelligence Community Directive 203 likelihood terms.
ICD_203: dict[str, tuple[float, float]] = {
    "almost no chance": (0.01, 0.05),
    "very unlikely": (0.05, 0.20),
    "unlikely": (0.20, 0.45),
    "roughly even chance": (0.45, 0.55),
    "likely": (0.55, 0.80),
    "very likely": (0.80, 0.95),
    "almost certain": (0.95, 0.99),
}

SCALES: dict[str, dict[str, tuple[float, float]]] = {"uk_yardstick": UK_YARDSTICK, "icd203": ICD_203}
SCALE_SOURCES = {
    "uk_yardstick": "UK Professional Head of Intelligence Assessment probability yardstick",
    "icd203": "US Intelligence Community Directive 203",
}

#: Share of the distribution inside the verbal band for each level of confidence.
#: High confidence: the practitioner would be surprised (1 in 10) to be outside the band.
CONFIDENCE_MASS: dict[str, float] = {"high": 0.9, "medium": 0.7, "low": 0.5}

#: low / likely / high are read as the 10th percentile, the median and the 90th percentile.
LOW_LIKELY_HIGH_PROBS = (0.1, 0.5, 0.9)

#: The kinds of quantity (each is fitted with a family of its own: see _family_for).
Kind = Literal["probability", "odds_ratio", "magnitude", "number"]

#: The preliz families a judgement may name.
DISTRIBUTIONS = (
    "Beta", "BetaScaled", "Gamma", "LogNormal", "Normal", "TruncatedNormal", "Uniform",
    "Triangular", "HalfNormal", "Exponential", "StudentT", "LogitNormal", "Kumaraswamy", "Weibull",
)


@functools.cache
def _preliz():
    """preliz, loaded when the first judgement is fitted: it brings numba, PyTensor and ArviZ
    (several seconds), which importing decide and `decide --help` do not need."""
    import preliz

    return preliz


class Fixed:
    """A quantity known exactly: behaves like a distribution with all its mass at one value."""

    def __init__(self, value: float):
        self.value = float(value)

    def rvs(self, size, random_state=None):
        return np.full(size, self.value)

    def mean(self):
        return self.value

    def median(self):
        return self.value

    def std(self):
        return 0.0

    def ppf(self, q):
        return np.full(np.shape(q), self.value) if np.ndim(q) else self.value

    def __repr__(self):
        return f"Fixed({self.value:g})"


class Judgement(BaseModel):
    """One practitioner's statement about one quantity. Give exactly one of the forms."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    by: str | None = Field(None, description="who made the judgement (a role, not a name)")
    weight: Positive = Field(1.0, description="weight in a linear opinion pool")
    rationale: str | None = Field(None, description="why the practitioner judged it so")
    # form 1: a verbal likelihood from a published scale (probabilities only)
    verbal: str | None = Field(None, description="a likelihood term of the scale, such as 'likely' (chances only)")
    scale: Literal["uk_yardstick", "icd203"] = Field("uk_yardstick", description="the published scale the verbal term is from")
    confidence: Literal["low", "medium", "high"] = Field("medium", description="how sure the practitioner is: sets how much of the distribution lies inside the term's band")
    # form 2: low / likely / high (10th percentile, median, 90th percentile)
    low: Number | None = Field(None, description="a value it is 90 % sure to be above (10th percentile)")
    likely: Number | None = Field(None, description="the value it is as likely to be above as below (median)")
    high: Number | None = Field(None, description="a value it is 90 % sure to be below (90th percentile)")
    # form 3: quantiles {probability: value}
    quantiles: dict[Number, Number] | None = Field(None, max_length=100, description="levels (between 0 and 1) and the value at each")
    # form 4: a named distribution with its parameters (preliz names and parametrisation)
    distribution: str | None = Field(None, description="a named distribution (preliz's names)")
    params: dict[str, Number] | None = Field(None, max_length=10, description="the named distribution's parameters (preliz's names)")
    # form 5: a number known exactly
    value: Number | None = Field(None, description="a number known exactly")

    @field_validator("verbal")
    @classmethod
    def _normalise_verbal(cls, v: str | None) -> str | None:
        return " ".join(v.lower().split()) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_form(self) -> "Judgement":
        forms = {
            "verbal": self.verbal is not None,
            "low/likely/high": any(x is not None for x in (self.low, self.likely, self.high)),
            "quantiles": self.quantiles is not None,
            "distribution": self.distribution is not None or self.params is not None,
            "value": self.value is not None,
        }
        given = [k for k, v in forms.items() if v]
        if len(given) != 1:
            raise ValueError(
                "a judgement needs exactly one of: verbal, low/likely/high, quantiles, "
                f"distribution (+ params), value; found {', '.join(given) or 'none'}"
            )
        form = given[0]
        if form == "verbal":
            terms = SCALES[self.scale]
            if self.verbal not in terms:
                raise ValueError(
                    f"'{self.verbal}' is not a term of the {self.scale} scale; use one of: "
                    + ", ".join(f"'{t}'" for t in terms)
                )
        elif form == "low/likely/high":
            if None in (self.low, self.likely, self.high):
                raise ValueError("give all three of low, likely and high (10th percentile, median, 90th percentile)")
            if not self.low < self.likely < self.high:
                raise ValueError(
                    f"need low < likely < high, got low={self.low:g}, likely={self.likely:g}, high={self.high:g}"
                )
        elif form == "quantiles":
            qs = sorted(self.quantiles.items())
            if len(qs) < 2:
                raise ValueError("give at least two quantiles, e.g. {0.1: 0.2, 0.9: 0.6}")
            for p, _ in qs:
                if not 0 < p < 1:
                    raise ValueError(f"quantile levels must be strictly between 0 and 1, got {p:g}")
            vals = [v for _, v in qs]
            if any(b <= a for a, b in zip(vals, vals[1:])):
                raise ValueError(f"quantile values must increase with their levels, got {dict(qs)}")
        elif form == "distribution":
            if self.distribution not in DISTRIBUTIONS:
                raise ValueError(
                    f"unknown distribution '{self.distribution}'; use one of: " + ", ".join(DISTRIBUTIONS)
                )
            _check_params(self.distribution, self.params or {})
        return self

    @property
    def form(self) -> str:
        if self.verbal is not None:
            return "verbal"
        if self.low is not None:
            return "low/likely/high"
        if self.quantiles is not None:
            return "quantiles"
        if self.distribution is not None:
            return "distribution"
        return "value"

    def numbers(self) -> list[float]:
        """The numbers the practitioner wrote (used to check them against the quantity's range)."""
        if self.low is not None:
            return [self.low, self.likely, self.high]
        if self.quantiles is not None:
            return list(self.quantiles.values())
        if self.value is not None:
            return [self.value]
        return []

    def to_distribution(self, kind: Kind = "probability", bounds: tuple[float, float | None] = (0.0, None)):
        """The fitted distribution (a decide.distributions object for the common families, a preliz
        distribution for the rarer named ones, or Fixed). Cached: fitting is the slow part."""
        return _fit(self.model_dump_json(), kind, tuple(bounds))


#: Each family's parameters as preliz names them, with their ranges (preliz's params_support; a
#: positive parameter is above 0) and its support given the parameters. Lets a case be checked
#: without loading preliz when its parameters are given this way; tests/test_startup.py holds the
#: table to preliz. Triangular is left out: preliz decides for itself what a c outside its limits means.
_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...], object]] = {
    "Beta": (("alpha", "beta"), ("alpha", "beta"), lambda p: (0.0, 1.0)),
    "BetaScaled": (("alpha", "beta", "lower", "upper"), ("alpha", "beta"), lambda p: (p["lower"], p["upper"])),
    "Gamma": (("alpha", "beta"), ("alpha", "beta"), lambda p: (0.0, float("inf"))),
    "LogNormal": (("mu", "sigma"), ("sigma",), lambda p: (0.0, float("inf"))),
    "Normal": (("mu", "sigma"), ("sigma",), lambda p: (float("-inf"), float("inf"))),
    "TruncatedNormal": (("mu", "sigma", "lower", "upper"), ("sigma",), lambda p: (p["lower"], p["upper"])),
    "Uniform": (("lower", "upper"), (), lambda p: (p["lower"], p["upper"])),
    "HalfNormal": (("sigma",), ("sigma",), lambda p: (0.0, float("inf"))),
    "Exponential": (("lam",), ("lam",), lambda p: (0.0, float("inf"))),
    "StudentT": (("nu", "mu", "sigma"), ("nu", "sigma"), lambda p: (float("-inf"), float("inf"))),
    "LogitNormal": (("mu", "sigma"), ("sigma",), lambda p: (0.0, 1.0)),
    "Kumaraswamy": (("a", "b"), ("a", "b"), lambda p: (0.0, 1.0)),
    "Weibull": (("alpha", "beta"), ("alpha", "beta"), lambda p: (0.0, float("inf"))),
}


def _plainly_valid(name: str, params: dict[str, float]) -> bool:
    """True when the parameters are the family's own, each in its range (lower below upper): then
    preliz would accept them, and it need not be loaded to say so. Anything else goes to preliz."""
    known = _PARAMS.get(name)
    if known is None or set(params) != set(known[0]):
        return False
    positive = known[1]
    if any(not (np.isfinite(v) and (v > 0 if k in positive else True)) for k, v in params.items()):
        return False
    return "lower" not in params or params["lower"] < params["upper"]


def support(name: str, params: dict[str, float]) -> tuple[float, float]:
    """The values a named distribution can take, from its parameters."""
    if _plainly_valid(name, params):
        return tuple(float(x) for x in _PARAMS[name][2](params))
    return tuple(float(x) for x in getattr(_preliz(), name)(**params).support)


def median_is_clearly(ref, kind: Kind, bounds, pivot: float = 1.0) -> int | None:
    """+1 if the fitted distribution's median is surely above ``pivot``, -1 if surely below, None
    when that needs the fit itself (a validation check that must not load preliz for every case).

    A number is its own median; a named LogNormal's median is exp(mu). low/likely/high and
    quantiles of an odds ratio are fitted as a LogNormal by least squares on the quantiles
    (preliz's optimiser); for a fixed sigma the best median is exact (a linear least squares),
    so the best fit is found by a search over sigma alone. Its answer is used only when the median
    is more than 1 % from the pivot, far beyond the optimiser's tolerance.
    """
    if isinstance(ref, int | float):
        return int(np.sign(ref - pivot)) or None
    if ref.value is not None:
        return int(np.sign(ref.value - pivot)) or None
    if ref.distribution == "LogNormal" and _plainly_valid("LogNormal", ref.params or {}):
        median = float(np.exp(ref.params["mu"]))
    elif kind == "odds_ratio" and (ref.low is not None or ref.quantiles is not None):
        from statistics import NormalDist

        pairs = sorted(ref.quantiles.items()) if ref.quantiles else list(zip(LOW_LIKELY_HIGH_PROBS, ref.numbers()))
        z = np.array([NormalDist().inv_cdf(p) for p, _ in pairs])
        x = np.array([v for _, v in pairs], dtype=float)
        if np.any(x <= 0):
            return None

        def best(sigmas):
            e = np.exp(np.outer(sigmas, z))  # [sigma, point]
            m = (e @ x) / (e * e).sum(axis=1)
            return m, ((m[:, None] * e - x) ** 2).sum(axis=1)

        sigmas = np.geomspace(1e-4, 20.0, 4001)
        m, loss = best(sigmas)
        k = int(np.argmin(loss))
        if k in (0, sigmas.size - 1):
            return None
        fine = np.linspace(sigmas[k - 1], sigmas[k + 1], 2001)
        m, loss = best(fine)
        median = float(m[int(np.argmin(loss))])
    else:
        return None
    if abs(np.log(median / pivot)) < 0.01:
        return None
    return 1 if median > pivot else -1


def _check_params(name: str, params: dict[str, float]) -> None:
    """preliz accepts impossible parameters silently; check them against each parameter's support."""
    if _plainly_valid(name, params):
        return
    family = getattr(_preliz(), name)
    try:
        dist = family(**params)
    except TypeError:
        import inspect

        allowed = ", ".join(p for p in inspect.signature(family).parameters if p != "self")
        raise ValueError(f"{name} with params {params} is not valid; its parameters are: {allowed}") from None
    allowed = ", ".join(dist.param_names)
    if not dist.is_frozen:
        raise ValueError(f"{name} with params {params} is not valid: give all of its parameters ({allowed})")
    for p, (lo, hi) in zip(dist.param_names, dist.params_support):
        v = getattr(dist, p)
        if not (np.isfinite(v) and lo <= v <= hi):
            raise ValueError(f"{name} with params {params} is not valid: {p}={v:g} is outside its range ({lo:g} to {hi:g})")
    if "lower" in params and "upper" in params and not params["lower"] < params["upper"]:
        raise ValueError(f"{name} with params {params} is not valid: lower must be below upper")
    if name == "Triangular" and "c" in params and not params["lower"] <= params["c"] <= params["upper"]:
        # preliz accepts a peak outside the limits, but the distribution has none there (numpy refuses to draw it).
        raise ValueError(f"Triangular with params {params} is not valid: c={params['c']:g} (its peak) must lie between "
                         f"lower={params['lower']:g} and upper={params['upper']:g}; give a c in that range")


def _family_for(kind: Kind, bounds: tuple[float, float | None]) -> tuple[str, dict[str, float]]:
    """The family a kind of quantity is fitted with, and its fixed parameters (a BetaScaled's limits)."""
    lo, hi = bounds
    if kind == "probability":
        return "Beta", {}
    if kind == "odds_ratio":
        return "LogNormal", {}
    if kind == "magnitude":
        if hi is not None and np.isfinite(lo):
            return "BetaScaled", {"lower": lo, "upper": hi}
        return ("Gamma", {}) if lo == 0 else ("Normal", {})
    return "Normal", {}


#: The Beta each verbal term is fitted to at each confidence: preliz's maximum-entropy fit
#: (pz.maxent(pz.Beta(), low, high, mass)) computed once, since a scale has few terms; each fit
#: takes preliz a sixth of a second. tests/test_judge_fits.py refits every entry and requires the same numbers.
_VERBAL_BETA: dict[tuple[str, str, str], tuple[float, float]] = {
    ('uk_yardstick', 'remote chance', 'high'): (1.6542219524311759, 65.30139886673174),
    ('uk_yardstick', 'remote chance', 'medium'): (0.8754963550428104, 20.3848470453557),
    ('uk_yardstick', 'remote chance', 'low'): (0.4696659279616077, 4.18824756420721),
    ('uk_yardstick', 'highly unlikely', 'high'): (20.288133618910837, 114.5096898485253),
    ('uk_yardstick', 'highly unlikely', 'medium'): (8.582775873478301, 45.64306719049397),
    ('uk_yardstick', 'highly unlikely', 'low'): (4.13040333819841, 19.48964238789424),
    ('uk_yardstick', 'unlikely', 'high'): (67.82190676694817, 158.1297844347031),
    ('uk_yardstick', 'unlikely', 'medium'): (27.28759447819425, 62.80746577574915),
    ('uk_yardstick', 'unlikely', 'low'): (11.901151546534525, 26.623878339035173),
    ('uk_yardstick', 'realistic possibility', 'high'): (120.14531141620624, 146.82334987685934),
    ('uk_yardstick', 'realistic possibility', 'medium'): (47.89947785152246, 58.40076243939108),
    ('uk_yardstick', 'realistic possibility', 'low'): (20.47280735408622, 24.83610335896952),
    ('uk_yardstick', 'likely', 'high'): (39.25745193338975, 21.187333470352645),
    ('uk_yardstick', 'likely', 'medium'): (15.624661732359776, 8.720979977941914),
    ('uk_yardstick', 'likely', 'low'): (6.6536091070659475, 3.994357879423768),
    ('uk_yardstick', 'probably', 'high'): (39.25745193338975, 21.187333470352645),
    ('uk_yardstick', 'probably', 'medium'): (15.624661732359776, 8.720979977941914),
    ('uk_yardstick', 'probably', 'low'): (6.6536091070659475, 3.994357879423768),
    ('uk_yardstick', 'highly likely', 'high'): (114.51273741080523, 20.289421558320228),
    ('uk_yardstick', 'highly likely', 'medium'): (45.64380924965696, 8.583129671704594),
    ('uk_yardstick', 'highly likely', 'low'): (19.48974819322354, 4.130454425678366),
    ('uk_yardstick', 'almost certain', 'high'): (65.31942792225117, 1.6548310007625677),
    ('uk_yardstick', 'almost certain', 'medium'): (20.384465828592674, 0.8754811234656876),
    ('uk_yardstick', 'almost certain', 'low'): (4.188351831808475, 0.4696723589087918),
    ('icd203', 'almost no chance', 'high'): (5.3323020765647735, 170.10198398409028),
    ('icd203', 'almost no chance', 'medium'): (2.7006054375550854, 69.30293223242398),
    ('icd203', 'almost no chance', 'low'): (1.615583682543694, 29.856748774456097),
    ('icd203', 'very unlikely', 'high'): (6.109757823523375, 42.22930854358395),
    ('icd203', 'very unlikely', 'medium'): (2.9653000037875286, 17.04274832592608),
    ('icd203', 'very unlikely', 'low'): (1.7220982610540447, 7.3680077324713364),
    ('icd203', 'unlikely', 'high'): (11.986986042057021, 24.776878048605482),
    ('icd203', 'unlikely', 'medium'): (5.103332337688747, 9.867449504204895),
    ('icd203', 'unlikely', 'low'): (2.497444204359184, 4.2122397887461895),
    ('icd203', 'roughly even chance', 'high'): (134.84920020714995, 134.84922251905886),
    ('icd203', 'roughly even chance', 'medium'): (53.689889933917044, 53.68993148077942),
    ('icd203', 'roughly even chance', 'low'): (22.88131198786625, 22.881300369358506),
    ('icd203', 'likely', 'high'): (24.77687781898902, 11.986984089442268),
    ('icd203', 'likely', 'medium'): (9.867449652932608, 5.103332571287039),
    ('icd203', 'likely', 'low'): (4.212240149416635, 2.4974459500039465),
    ('icd203', 'very likely', 'high'): (42.23010982221539, 6.110017053637417),
    ('icd203', 'very likely', 'medium'): (17.042638173152525, 2.9652623194638394),
    ('icd203', 'very likely', 'low'): (7.368008907452876, 1.7220987205294138),
    ('icd203', 'almost certain', 'high'): (170.06106467046928, 5.329949798720817),
    ('icd203', 'almost certain', 'medium'): (69.30828139706513, 2.7009459594676275),
    ('icd203', 'almost certain', 'low'): (29.857064309074165, 1.615606788381526),
}


def fit_quantiles(family, probs, values):
    """Fit a family to quantiles, as preliz's quantile optimiser (pz.match_quantiles) does: from its
    moment-based starting point, least squares on the quantiles by SciPy's Powell.

    ``family`` is ``(name, fixed parameters)`` (as :func:`_family_for` gives) or an unfitted preliz
    distribution. The five families judgements are fitted with are fitted by
    decide.distributions.fit_quantiles (the same parameters, without loading preliz); a preliz family
    with other fixed parameters, or another family, goes through preliz's own optimiser.
    """
    from decide import distributions

    if isinstance(family, tuple):
        name, fixed = family
    else:
        name = type(family).__name__
        fixed = {n: getattr(family, n) for n in family.param_names if getattr(family, n, None) is not None}
    if name in distributions.FAMILIES and set(fixed) == ({"lower", "upper"} if name == "BetaScaled" else set()):
        return distributions.fit_quantiles(name, probs, values, **fixed)
    return _preliz_fit_quantiles(getattr(_preliz(), name)(**fixed) if isinstance(family, tuple) else family,
                                 probs, values)


def _preliz_fit_quantiles(dist, probs, values):
    """preliz's own quantile fit from preliz's starting point (families decide does not fit itself)."""
    from scipy.special import ndtri

    probs = np.asarray(probs, dtype=float)
    values = np.asarray(values, dtype=float)
    z = ndtri(probs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from preliz.internal.optimization import get_fixed_params, optimize_quantiles

        none_idx, fixed = get_fixed_params(dist)
        dist._fit_moments(float(np.interp(0.5, probs, values)), (values[-1] - values[0]) / (z[-1] - z[0]))
        optimize_quantiles(dist, probs, values, none_idx, fixed)
    return dist


@functools.lru_cache(maxsize=4096)
def _fit(judgement_json: str, kind: Kind, bounds: tuple[float, float | None]):
    j = Judgement.model_validate(json.loads(judgement_json))
    if j.value is not None:
        return Fixed(j.value)
    if j.distribution is not None:
        from decide.distributions import FAMILIES

        params = j.params or {}
        if j.distribution in FAMILIES and _plainly_valid(j.distribution, params):
            return FAMILIES[j.distribution](**params)
        return getattr(_preliz(), j.distribution)(**params)
    if j.verbal is not None:
        from decide.distributions import Beta

        return Beta(*_VERBAL_BETA[(j.scale, j.verbal, j.confidence)])
    if j.low is not None:
        return fit_quantiles(_family_for(kind, bounds), LOW_LIKELY_HIGH_PROBS, [j.low, j.likely, j.high])
    probs, values = zip(*sorted(j.quantiles.items()))
    return fit_quantiles(_family_for(kind, bounds), probs, values)


def pool(distributions: list, weights: list[float] | None = None):
    """Linear opinion pool: a mixture (preliz's Mixture, as decide.distributions.Mixture), so its mean
    is the weighted mean of the inputs."""
    if len(distributions) == 1:
        return distributions[0]
    weights = np.ones(len(distributions)) if weights is None else np.asarray(weights, dtype=float)
    weights = weights / weights.sum()
    if any(isinstance(d, Fixed) for d in distributions):
        return FixedMixture(distributions, weights)
    from decide.distributions import Mixture

    return Mixture(distributions, weights=list(weights))


class FixedMixture:
    """Mixture that may include exact values (preliz's Mixture needs proper distributions)."""

    def __init__(self, dists, weights):
        self.dists, self.weights = dists, np.asarray(weights)

    def rvs(self, size, random_state=None):
        return _draw_mixture(self.dists, self.weights, size, np.random.default_rng(random_state))

    def mean(self):
        return float(sum(w * d.mean() for w, d in zip(self.weights, self.dists)))

    def ppf(self, q):
        x = self.rvs(200_000, random_state=0)
        return np.quantile(x, q)

    def median(self):
        return float(self.ppf(0.5))


def draw(dist, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random draws from a fitted distribution.

    The common families are drawn with numpy's Generator directly (preliz's rvs goes through a
    compiled graph that costs several times more per call); the rest fall back to preliz.
    """
    name = type(dist).__name__
    p = {k: float(v) for k in getattr(dist, "param_names", ()) if isinstance(v := getattr(dist, k, None), int | float)}
    if name == "Beta" and "alpha" in p:
        return rng.beta(p["alpha"], p["beta"], n)
    if name == "BetaScaled" and "alpha" in p:
        return p["lower"] + (p["upper"] - p["lower"]) * rng.beta(p["alpha"], p["beta"], n)
    if name == "Gamma" and "alpha" in p:
        return rng.gamma(p["alpha"], 1.0 / p["beta"], n)
    if name == "LogNormal":
        return rng.lognormal(p["mu"], p["sigma"], n)
    if name == "Normal" and "mu" in p:
        return rng.normal(p["mu"], p["sigma"], n)
    if name == "Uniform":
        return rng.uniform(p["lower"], p["upper"], n)
    # The rarer families too: preliz's own rvs compiles them with numba on first use, which takes
    # 5-15 s per family (a valid case must not look like a hang).
    if name == "Triangular" and "c" in p:
        return rng.triangular(p["lower"], p["c"], p["upper"], n)
    if name == "HalfNormal" and "sigma" in p:
        return np.abs(rng.normal(0.0, p["sigma"], n))
    if name == "Exponential" and "lam" in p:
        return rng.exponential(1.0 / p["lam"], n)
    if name == "StudentT" and "nu" in p:
        return p["mu"] + p["sigma"] * rng.standard_t(p["nu"], n)
    if name == "LogitNormal" and "mu" in p:
        from scipy.special import expit

        return expit(rng.normal(p["mu"], p["sigma"], n))
    if name == "Kumaraswamy" and "a" in p:
        return (1.0 - (1.0 - rng.uniform(size=n)) ** (1.0 / p["b"])) ** (1.0 / p["a"])
    if name == "Weibull" and "alpha" in p:
        return p["beta"] * rng.weibull(p["alpha"], n)
    if name == "TruncatedNormal" and "mu" in p:
        from scipy import stats

        a, b = (p["lower"] - p["mu"]) / p["sigma"], (p["upper"] - p["mu"]) / p["sigma"]
        return stats.truncnorm.rvs(a, b, loc=p["mu"], scale=p["sigma"], size=n, random_state=rng)
    if name == "Fixed":
        return np.full(n, dist.value)
    if name == "Mixture":
        return _draw_mixture(dist.dist, dist.weights, n, rng)
    if name == "FixedMixture":
        return _draw_mixture(dist.dists, dist.weights, n, rng)
    return np.asarray(dist.rvs(n, random_state=rng), dtype=float)


def _draw_mixture(components, weights, n: int, rng: np.random.Generator) -> np.ndarray:
    """A linear pool: pick a component for each draw by its weight, then draw from it."""
    weights = np.asarray(weights, dtype=float)
    which = rng.choice(len(components), size=n, p=weights / weights.sum())
    out = np.empty(n)
    for i, d in enumerate(components):
        m = which == i
        out[m] = draw(d, int(m.sum()), rng)
    return out


def verbal_band(term: str, scale: str = "uk_yardstick") -> tuple[float, float]:
    """The numeric band of a verbal likelihood term on a published scale."""
    return SCALES[scale][" ".join(term.lower().split())]
