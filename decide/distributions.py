"""Light distribution objects for the families a judgement is fitted to (Beta, BetaScaled, Gamma,
LogNormal, Normal) and for a linear pool of them (Mixture).

Why: importing preliz brings numba, PyTensor, ArviZ and PyMC (about 3 s), and each of its methods
runs through a compiled graph; `decide report` only needs a few closed forms. These classes carry
preliz's names, parametrisation, printed form and formulas (pytensor_distributions, written here
with numpy and scipy.special), so code that checks a distribution's class name, reads ``alpha`` or
``params``, or calls ``ppf``/``cdf``/``pdf``/``rvs`` keeps working and gets the same numbers;
tests/test_distributions.py holds every method to preliz's own object. Any other preliz method
(``plot_pdf``, ``summary``, ``eti``...) is passed on to the equivalent preliz object, loaded then.

:func:`fit_quantiles` is preliz's quantile fit (its moment-based starting point, then least squares
on the quantiles by SciPy's Powell), giving the same parameters.
"""

from __future__ import annotations

import numpy as np
from scipy import special

#: The smallest positive parameter preliz allows (its params_support).
EPS = float(np.finfo(float).eps)
_ROOT2 = 2**0.5
_LOG_2PI = float(np.log(2 * np.pi))


def _scalar(x):
    """Scalars as numpy floats (preliz gives 0-d arrays, which behave the same in arithmetic)."""
    x = np.asarray(x, dtype=float)
    return x[()] if x.ndim == 0 else x


def _ppf_bounds(value, q, lower, upper):
    """preliz's ppf_bounds_cont: NaN outside [0, 1], the support's ends at 0 and 1."""
    q = np.asarray(q, dtype=float)
    out = np.where((q < 0) | (q > 1), np.nan, np.where(q == 0, lower, np.where(q == 1, upper, value)))
    return _scalar(out)


#: preliz methods the light objects pass on to the equivalent preliz object (loading preliz then).
PRELIZ_ONLY = frozenset({
    "plot_pdf", "plot_cdf", "plot_ppf", "plot_interactive", "summary", "eti", "hdi", "entropy", "mode",
    "skewness", "kurtosis", "sf", "isf", "logpdf", "logcdf", "logsf", "xvals", "moments", "params_dict",
    "to_bambi", "to_dict", "lmoment1", "lmoment2", "lmoment3", "lmoment4", "_repr_html_",
})


class Distribution:
    """What the light families share: preliz's attributes, printed form and fall-back."""

    kind = "continuous"
    is_frozen = True
    param_names: tuple[str, ...] = ()

    @property
    def params(self) -> tuple:
        return tuple(getattr(self, n) for n in self.param_names)

    def __repr__(self) -> str:
        text = ", ".join(f"{n}={v:.3g}" for n, v in zip(self.param_names, self.params))
        return f"{type(self).__name__}({text})"

    __str__ = __repr__

    def std(self):
        return _scalar(np.sqrt(self.var()))

    def median(self):
        return self.ppf(0.5)

    def to_preliz(self):
        """The same distribution as a preliz object (loads preliz)."""
        import preliz

        return getattr(preliz, type(self).__name__)(**dict(zip(self.param_names, self.params)))

    def to_pymc(self, name: str | None = None, **kwargs):
        """The PyMC distribution with these parameters (a random variable inside a model, as preliz's
        to_pymc gives; ``.dist`` outside one)."""
        import pymc as pm

        family = getattr(pm, type(self).__name__)
        params = dict(zip(self.param_names, self.params))
        if pm.Model.get_context(error_if_none=False) is None:
            return family.dist(**params, **kwargs)
        return family(name, **params, **kwargs)

    def __getattr__(self, name: str):
        # preliz's other methods, from the equivalent preliz object; any other name is missing as
        # usual (getattr(dist, name, None) must not load preliz)
        if name not in PRELIZ_ONLY:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return getattr(self.to_preliz(), name)


class Beta(Distribution):
    param_names = ("alpha", "beta")
    params_support = ((EPS, np.inf), (EPS, np.inf))
    support = (0, 1)

    def __init__(self, alpha, beta):
        self.alpha, self.beta = np.float64(alpha), np.float64(beta)

    def mean(self):
        return _scalar(self.alpha / (self.alpha + self.beta))

    def var(self):
        a, b = self.alpha, self.beta
        return _scalar((a * b) / ((a + b) ** 2 * (a + b + 1)))

    def ppf(self, q):
        return _ppf_bounds(special.betaincinv(self.alpha, self.beta, q), q, 0.0, 1.0)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = special.betainc(self.alpha, self.beta, np.clip(x, 0, 1))
        return _scalar(np.where(x < 0, 0.0, np.where(x < 1, inside, 1.0)))

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        a, b = self.alpha, self.beta
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log = special.xlogy(a - 1, x) + special.xlogy(b - 1, 1 - x) - special.betaln(a, b)
            return _scalar(np.where((x < 0) | (x > 1), 0.0, np.exp(log)))

    def rvs(self, size=None, random_state=None):
        return np.random.default_rng(random_state).beta(self.alpha, self.beta, size=size)


class BetaScaled(Distribution):
    param_names = ("alpha", "beta", "lower", "upper")
    params_support = ((EPS, np.inf), (EPS, np.inf), (-np.inf, np.inf), (-np.inf, np.inf))

    def __init__(self, alpha, beta, lower=0, upper=1):
        self.alpha, self.beta = np.float64(alpha), np.float64(beta)
        self.lower, self.upper = np.float64(lower), np.float64(upper)

    @property
    def support(self):
        return self.lower, self.upper

    def mean(self):
        return _scalar((self.alpha * self.upper + self.beta * self.lower) / (self.alpha + self.beta))

    def var(self):
        a, b = self.alpha, self.beta
        return _scalar((a * b) / ((a + b) ** 2 * (a + b + 1)) * (self.upper - self.lower) ** 2)

    def ppf(self, q):
        value = special.betaincinv(self.alpha, self.beta, q) * (self.upper - self.lower) + self.lower
        return _ppf_bounds(value, q, self.lower, self.upper)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        lo, hi = self.lower, self.upper
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = special.betainc(self.alpha, self.beta, np.clip((x - lo) / (hi - lo), 0, 1))
        return _scalar(np.where(x < lo, 0.0, np.where(x > hi, 1.0, inside)))

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        a, b, lo, hi = self.alpha, self.beta, self.lower, self.upper
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log = (special.xlogy(a - 1, x - lo) + special.xlogy(b - 1, hi - x)
                   - (special.xlogy(a + b - 1, hi - lo) + special.betaln(a, b)))
            return _scalar(np.where((x < lo) | (x > hi), 0.0, np.exp(log)))

    def rvs(self, size=None, random_state=None):
        draws = np.random.default_rng(random_state).beta(self.alpha, self.beta, size=size)
        return draws * (self.upper - self.lower) + self.lower

    def to_pymc(self, name: str | None = None, **kwargs):
        raise ValueError(f"{self} has no PyMC counterpart (PyMC has no BetaScaled, nor does preliz's to_pymc "
                         "give one); give the judgement as a Beta on 0 to 1 instead")


class Gamma(Distribution):
    param_names = ("alpha", "beta")
    params_support = ((EPS, np.inf), (EPS, np.inf))
    support = (0, np.inf)

    def __init__(self, alpha, beta):
        self.alpha, self.beta = np.float64(alpha), np.float64(beta)

    def mean(self):
        return _scalar(self.alpha / self.beta)

    def var(self):
        return _scalar(self.alpha / self.beta**2)

    def std(self):
        return _scalar(np.sqrt(self.alpha) / self.beta)

    def ppf(self, q):
        return _ppf_bounds(special.gammaincinv(self.alpha, q) / self.beta, q, 0.0, np.inf)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        a, bx = self.alpha, np.maximum(x, 0) * self.beta
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(bx < a, special.gammainc(a, bx), np.exp(np.log1p(-special.gammaincc(a, bx))))
        return _scalar(np.where(x < 0, 0.0, inside))

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        a, b = self.alpha, self.beta
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log = special.xlogy(a - 1.0, x) - x * b - special.gammaln(a) + a * np.log(b)
            return _scalar(np.where(x < 0, 0.0, np.exp(log)))

    def rvs(self, size=None, random_state=None):
        return np.random.default_rng(random_state).gamma(self.alpha, 1 / self.beta, size=size)


class LogNormal(Distribution):
    param_names = ("mu", "sigma")
    params_support = ((-np.inf, np.inf), (EPS, np.inf))
    support = (0, np.inf)

    def __init__(self, mu, sigma):
        self.mu, self.sigma = np.float64(mu), np.float64(sigma)

    def mean(self):
        return _scalar(np.exp(self.mu + self.sigma**2 / 2))

    def median(self):
        return _scalar(np.exp(self.mu))

    def var(self):
        return _scalar((np.exp(self.sigma**2) - 1) * np.exp(2 * self.mu + self.sigma**2))

    def ppf(self, q):
        with np.errstate(invalid="ignore"):
            value = np.exp(self.mu - self.sigma * _ROOT2 * special.erfcinv(2 * np.asarray(q, dtype=float)))
        return _ppf_bounds(value, q, 0.0, np.inf)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            # 0.5 (1 + erf(z)) written as 0.5 erfc(-z): the same, but exact far in the lower tail
            prob = 0.5 * special.erfc(-(np.log(x) - self.mu) / (self.sigma * _ROOT2))
        return _scalar(np.where(x < 0, 0.0, np.where(x >= np.inf, 1.0, prob)))

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.log(x)
            log = -lx - np.log(self.sigma) - 0.5 * _LOG_2PI - 0.5 * ((lx - self.mu) / self.sigma) ** 2
            return _scalar(np.where(x <= 0, 0.0, np.exp(log)))

    def rvs(self, size=None, random_state=None):
        return np.exp(np.random.default_rng(random_state).normal(self.mu, self.sigma, size=size))


class Normal(Distribution):
    param_names = ("mu", "sigma")
    params_support = ((-np.inf, np.inf), (EPS, np.inf))
    support = (-np.inf, np.inf)

    def __init__(self, mu, sigma):
        self.mu, self.sigma = mu, sigma  # kept as given, as preliz does

    def mean(self):
        return _scalar(self.mu)

    def median(self):
        return _scalar(self.mu)

    def var(self):
        return _scalar(np.square(self.sigma))

    def std(self):
        return _scalar(self.sigma)

    def ppf(self, q):
        with np.errstate(invalid="ignore"):
            value = self.mu - self.sigma * _ROOT2 * special.erfcinv(2 * np.asarray(q, dtype=float))
        return _ppf_bounds(value, q, -np.inf, np.inf)

    def cdf(self, x):
        return _scalar(0.5 * special.erfc(-(np.asarray(x, dtype=float) - self.mu) / (self.sigma * _ROOT2)))

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        return _scalar(1 / np.sqrt(2 * np.pi * self.sigma**2) * np.exp(-0.5 * ((x - self.mu) / self.sigma) ** 2))

    def rvs(self, size=None, random_state=None):
        return np.random.default_rng(random_state).normal(self.mu, self.sigma, size=size)


FAMILIES = {c.__name__: c for c in (Beta, BetaScaled, Gamma, LogNormal, Normal)}


class Mixture(Distribution):
    """A linear opinion pool, as preliz's Mixture: components (light or preliz) with weights."""

    def __init__(self, dists, weights):
        self.dist = list(dists)
        given = list(weights)
        self.weights = np.asarray(given, dtype=float) / np.sum(given)
        self.param_names = [n for d in self.dist for n in d.param_names] + ["weights"]
        self.params = [p for d in self.dist for p in d.params] + [given]
        self.params_support = [d.params_support for d in self.dist] + [(0, 1)]
        self.support = (np.min([d.support[0] for d in self.dist]), np.max([d.support[1] for d in self.dist]))

    params = None  # set per object (a list, as preliz keeps it)

    def __repr__(self) -> str:
        names = "".join(dict.fromkeys(type(d).__name__ for d in self.dist))
        parts = [f"{n}={v:.3g}" if np.ndim(v) == 0 else f"{n}=[" + ", ".join(f"{x:.3g}" for x in v) + "]"
                 for n, v in zip(self.param_names, self.params)]
        return f"Mixture{names}({', '.join(parts)})"

    __str__ = __repr__

    def pdf(self, x):
        return _scalar(np.sum([d.pdf(x) * w for d, w in zip(self.dist, self.weights)], axis=0))

    def cdf(self, x):
        return _scalar(np.sum([d.cdf(x) * w for d, w in zip(self.dist, self.weights)], axis=0))

    def mean(self):
        return _scalar(np.sum([d.mean() * w for d, w in zip(self.dist, self.weights)], axis=0))

    def var(self):
        second = np.sum([w * (d.var() + d.mean() ** 2) for d, w in zip(self.dist, self.weights)], axis=0)
        return _scalar(second - self.mean() ** 2)

    def std(self):
        return _scalar(self.var() ** 0.5)

    def ppf(self, q):
        """preliz's find_ppf: the root of cdf(x) - q by Brent's method, bracketed as preliz does."""
        from scipy.optimize import brentq

        q = np.atleast_1d(np.asarray(q, dtype=float))
        out = np.zeros_like(q)
        lower, upper = self.support
        for i, qi in enumerate(q):
            if qi < 0 or qi > 1:
                out[i] = np.nan
            elif qi == 0:
                out[i] = lower
            elif qi == 1:
                out[i] = upper
            else:
                def gap(x, qi=qi):
                    return self.cdf(x) - qi

                left = min(-10.0, upper)
                right = upper
                while gap(left) > 0.0:
                    left, right = left * 10.0, left
                right = max(10.0, left)
                while gap(right) < 0.0:
                    left, right = right, right * 10.0
                out[i] = brentq(gap, left, right)
        return out[0] if len(out) == 1 else out

    def median(self):
        return self.ppf(0.5)

    def rvs(self, size=None, random_state=None):
        """As preliz draws a mixture: a component for each draw, then each component's draws in turn."""
        rng = np.random.default_rng(random_state)
        which = rng.choice(len(self.dist), size=size, p=self.weights)
        parts = [d.rvs(n, random_state=rng) for i, d in enumerate(self.dist) if (n := np.sum(which == i))]
        return np.concatenate(parts)

    def to_preliz(self):
        import preliz

        parts = [d.to_preliz() if isinstance(d, Distribution) else d for d in self.dist]
        return preliz.Mixture(parts, weights=self.params[-1])

    def to_pymc(self, name: str | None = None, **kwargs):
        import pymc as pm

        comps = [getattr(pm, type(d).__name__).dist(**dict(zip(d.param_names, d.params))) for d in self.dist]
        if pm.Model.get_context(error_if_none=False) is None:
            return pm.Mixture.dist(self.weights, comps, **kwargs)
        return pm.Mixture(name, self.weights, comps, **kwargs)


# --- fitting to quantiles -------------------------------------------------------------------------

def _start(name: str, mean: float, sigma: float, lower=None, upper=None) -> tuple:
    """preliz's _fit_moments for each family: the free parameters the fit starts from."""
    if name == "Beta":
        nu = mean * (1 - mean) / sigma**2 - 1
        return np.float64(max(0.5, mean * nu)), np.float64(max(0.5, (1 - mean) * nu))
    if name == "BetaScaled":
        mean = (mean - lower) / (upper - lower)
        sigma = sigma / (upper - lower)
        kappa = mean * (1 - mean) / sigma**2 - 1
        return np.float64(max(0.5, kappa * mean)), np.float64(max(0.5, kappa * (1 - mean)))
    if name == "Gamma":
        return np.float64(mean**2 / sigma**2), np.float64(mean / sigma**2)
    if name == "LogNormal":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(mean**2 / (sigma**2 + mean**2) ** 0.5), np.log(sigma**2 / mean**2 + 1) ** 0.5
    if name == "Normal":
        return mean, sigma
    raise ValueError(f"no light fit for the family '{name}'; use one of {', '.join(FAMILIES)}")


def quantile_function(name: str):
    """The family's quantile function of (q, *free parameters[, lower, upper]), as preliz defines it."""
    return {
        "Beta": lambda q, alpha, beta: special.betaincinv(alpha, beta, q),
        "BetaScaled": lambda q, alpha, beta, lower, upper: special.betaincinv(alpha, beta, q) * (upper - lower) + lower,
        "Gamma": lambda q, alpha, beta: special.gammaincinv(alpha, q) / beta,
        "LogNormal": lambda q, mu, sigma: np.exp(mu - sigma * _ROOT2 * special.erfcinv(2 * q)),
        "Normal": lambda q, mu, sigma: mu - sigma * _ROOT2 * special.erfcinv(2 * q),
    }[name]


def fit_quantiles(name: str, probs, values, lower=None, upper=None) -> Distribution:
    """Fit a family to quantiles as preliz's quantile optimiser does: from the moment-based start
    (median, and the spread of the outer quantiles read as a normal's), least squares on the
    quantiles by SciPy's Powell within the parameters' ranges. BetaScaled keeps its lower/upper."""
    from scipy import optimize

    probs = np.asarray(probs, dtype=float)
    values = np.asarray(values, dtype=float)
    z = special.ndtri(probs)  # the normal quantiles, as scipy.stats.norm.ppf gives them
    spread = (values[-1] - values[0]) / (z[-1] - z[0])
    centre = float(np.interp(0.5, probs, values))
    family = FAMILIES[name]
    ppf = quantile_function(name)
    fixed = {} if name != "BetaScaled" else {"lower": np.float64(lower), "upper": np.float64(upper)}
    free = [n for n in family.param_names if n not in fixed]
    start = np.array(_start(name, centre, spread, lower, upper))
    bounds = np.array([s for n, s in zip(family.param_names, family.params_support) if n in free])

    def loss(x):
        return np.sum((ppf(probs, **dict(zip(free, x)), **fixed) - values) ** 2)

    with np.errstate(all="ignore"):
        opt = optimize.minimize(loss, start, bounds=bounds, method="powell")
    return family(**dict(zip(free, opt["x"])), **fixed)
