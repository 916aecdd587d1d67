"""The actuarial tool: a logistic regression trained on the records, as real risk tools are.

It sees proxies (prior contact with services, benefits receipt, a needs indicator, the area's
deprivation decile; optionally ethnic group) and learns to predict the recorded label (contact
with services, or substantiation), never maltreatment itself, which the records do not hold.

Two ways to fit the same model (logistic regression on standardised features, priors Normal(0, 5)
on the intercept and Normal(0, 2.5) on each coefficient):

* :func:`fit_bayes` — PyMC, on a few thousand families subsampled, so each family's score comes
  with a posterior interval (how sure the tool can be, given how little it was trained on);
* :func:`fit_fast` — the posterior mode by Newton's method in numpy, vectorised over families:
  10^6 families in well under a second, for the feedback loop. It takes fractional targets, which
  is how records are weighted by the inverse of the scrutiny that produced them.

With many families the two agree (the posterior concentrates at its mode); the tests check that.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from decide.errors import DecideError

#: What the tool may see: feature -> (column in a family table, plain meaning).
FEATURES: dict[str, tuple[str, str]] = {
    "prior_contact": ("prior_contact", "periods with a referral, of the last few years (contact with services)"),
    "benefits": ("benefits", "receives means-tested benefits (0/1)"),
    "needs_indicator": ("needs_indicator", "needs noted by universal services (a noisy reading of real need)"),
    "deprivation": ("decile", "the area's deprivation decile (1 least, 10 most deprived)"),
    "minority": ("minority", "belongs to the minority ethnic group (0/1); real tools usually leave this out"),
}
#: What a reader sees for each feature in a table: (plain name, what "one unit more" means).
PLAIN: dict[str, tuple[str, str]] = {
    "prior_contact": ("earlier contact with services", "each earlier year with a referral"),
    "benefits": ("receives benefits", "receiving benefits rather than not"),
    "needs_indicator": ("needs noted by schools and health visitors", "each point on that indicator"),
    "deprivation": ("the area's deprivation", "each decile more deprived"),
    "minority": ("minority ethnic group", "minority rather than majority group"),
}
INTERCEPT_SD = 5.0
COEF_SD = 2.5


def design(source, features) -> np.ndarray:
    """The raw feature matrix [families, features] from a Population or a family DataFrame."""
    features = tuple(features)
    unknown = [f for f in features if f not in FEATURES]
    if unknown or not features:
        raise DecideError(f"features must be a non-empty selection of {sorted(FEATURES)}; unknown: {unknown}")
    cols = []
    for f in features:
        col = FEATURES[f][0]
        if isinstance(source, pd.DataFrame):
            if col == "minority" and col not in source and "ethnic_group" in source:
                values = (source["ethnic_group"] == "minority").to_numpy()
            elif col not in source:
                raise DecideError(f"the family table has no column '{col}' (needed for feature '{f}'); "
                                  f"its columns are {list(source.columns)}")
            else:
                values = source[col].to_numpy()
        else:
            values = source.prior_contact if col == "prior_contact" else getattr(source, col)
        cols.append(np.asarray(values, dtype=np.float64))
    return np.column_stack(cols)


@dataclass
class Tool:
    """A fitted tool. Coefficients are on the standardised scale (per standard deviation of each feature)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # [intercept, *features]: posterior mode (fast) or posterior mean (Bayes)
    draws: np.ndarray | None = None  # [draws, 1 + features] posterior draws (Bayes only)
    method: str = "fast"
    trained_on: int = 0
    diagnostics: object = None
    datatree: object = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        return ["intercept", *self.features]

    def _x(self, source) -> np.ndarray:
        return (design(source, self.features) - self.mean) / self.scale

    def predict(self, source) -> np.ndarray:
        """Each family's score: the predicted chance of the recorded label, from ``coef``."""
        return special.expit(self.coef[0] + self._x(source) @ self.coef[1:])

    def predict_interval(self, source, interval: float = 0.9, chunk: int = 20_000) -> pd.DataFrame:
        """Posterior mean and equal-tailed interval of each family's score (Bayes tools only)."""
        if self.draws is None:
            raise DecideError("this tool was fitted with fit_fast (a point estimate): use fit_bayes for score intervals")
        if not 0 < interval < 1:
            raise DecideError(f"interval must be between 0 and 1 (e.g. 0.9), got {interval!r}")
        x = self._x(source)
        q = [(1 - interval) / 2, (1 + interval) / 2]
        out = np.empty((x.shape[0], 3))
        for s in range(0, x.shape[0], chunk):
            p = special.expit(self.draws[:, 0] + x[s:s + chunk] @ self.draws[:, 1:].T)  # [rows, draws]
            out[s:s + chunk, 0] = p.mean(1)
            out[s:s + chunk, 1:] = np.quantile(p, q, axis=1).T
        return pd.DataFrame(out, columns=["score", "lower", "upper"])

    def table(self, interval: float = 0.9) -> pd.DataFrame:
        """Coefficients with intervals (Bayes) and the odds ratio per unit of each raw feature."""
        rows = []
        for j, name in enumerate(self.names):
            unit = 1.0 if j == 0 else self.scale[j - 1]
            row = {"feature": name, "meaning": "baseline log-odds" if j == 0 else FEATURES[name][1],
                   "coefficient (per sd)": self.coef[j]}
            if self.draws is not None:
                lo, hi = np.quantile(self.draws[:, j], [(1 - interval) / 2, (1 + interval) / 2])
                row.update({"lower": lo, "upper": hi})
            if j:
                row["odds ratio per unit"] = np.exp(self.coef[j] / unit)
                if self.draws is not None:
                    row.update({"OR lower": np.exp(row["lower"] / unit), "OR upper": np.exp(row["upper"] / unit)})
            rows.append(row)
        return pd.DataFrame(rows).set_index("feature")

    def plain_table(self, interval: float = 0.9) -> pd.DataFrame:
        """What the tool learned, for readers: the odds ratio for one unit more of each feature, in plain words.

        An odds ratio above 1 means the feature raises the score. The baseline (intercept) is left
        out: it is not something a reader can interpret. Posterior intervals appear for Bayes tools.
        """
        t = self.table(interval)
        rows = []
        for name in self.features:
            plain, unit = PLAIN[name]
            row = {"what the tool sees": plain, "one unit more is": unit,
                   "odds ratio for one unit more": t.loc[name, "odds ratio per unit"]}
            if self.draws is not None:
                row[f"{interval:.0%} interval, from"] = t.loc[name, "OR lower"]
                row[f"{interval:.0%} interval, to"] = t.loc[name, "OR upper"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("what the tool sees")

    def odds_ratio(self, feature: str, which: str = "estimate", interval: float = 0.9) -> float:
        """One feature's odds ratio per raw unit: its 'estimate', or the 'lower' or 'upper' end of its interval."""
        if feature not in self.features:
            raise DecideError(f"this tool does not see '{feature}'; it sees {list(self.features)}")
        column = {"estimate": "odds ratio per unit", "lower": "OR lower", "upper": "OR upper"}.get(which)
        if column is None or (which != "estimate" and self.draws is None):
            raise DecideError(f"which must be 'estimate'{', lower or upper' if self.draws is not None else ''}, "
                              f"got {which!r}")
        return float(self.table(interval).loc[feature, column])


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(0)
    scale = x.std(0)
    return mean, np.where(scale > 0, scale, 1.0)


def _check_target(y: np.ndarray, n: int, fractional: bool) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (n,):
        raise DecideError(f"the recorded label must have one value per family ({n}), got shape {y.shape}")
    if not np.isfinite(y).all() or (y < 0).any():
        raise DecideError("the recorded label must be 0 or 1 (or, for weighted records, a number >= 0) with no gaps")
    if not fractional and not np.isin(y, (0.0, 1.0)).all():
        raise DecideError("fit_bayes needs a 0/1 recorded label; fractional (weighted) labels go to fit_fast")
    return y


def fit_fast(source, target, *, features=("prior_contact", "benefits", "needs_indicator", "deprivation"),
             start: Tool | None = None, max_steps: int = 30, tol: float = 1e-7) -> Tool:
    """Posterior mode of the tool's logistic regression by Newton's method, vectorised.

    ``target`` is the recorded label (0/1) or a weighted label y / scrutiny, which may exceed 1
    for a record found under less than ordinary scrutiny: the model then fits a quasi-likelihood
    whose solution matches the mean of the weighted records (inverse-probability weighting).
    ``start`` warm-starts from an earlier tool (the loop's previous generation).
    """
    features = tuple(features)
    raw = design(source, features)
    y = _check_target(target, raw.shape[0], fractional=True)
    mean, scale = _standardise(raw)
    x = np.column_stack([np.ones(raw.shape[0]), (raw - mean) / scale])
    k = x.shape[1]
    penalty = np.full(k, 1 / COEF_SD**2)
    penalty[0] = 1 / INTERCEPT_SD**2
    if start is not None and start.features == features:
        beta = start.coef.astype(float).copy()
    else:
        beta = np.zeros(k)
        beta[0] = special.logit(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    current = _objective(x, y, beta, penalty)
    for _ in range(max_steps):
        p = special.expit(x @ beta)
        grad = x.T @ (y - p) - penalty * beta
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        if np.max(np.abs(step)) < tol:
            beta = beta + step
            break
        # Halve the step while it lowers the penalised log-likelihood (Newton can overshoot far from the mode).
        for _ in range(30):
            new = beta + step
            value = _objective(x, y, new, penalty)
            if value >= current - 1e-12 * abs(current):
                break
            step = step / 2
        beta, current = new, value
    return Tool(features, mean, scale, beta, method="fast", trained_on=int(raw.shape[0]))


def _objective(x, y, beta, penalty) -> float:
    eta = x @ beta
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)) - 0.5 * np.sum(penalty * beta**2))


def fit_bayes(source, target, *, features=("prior_contact", "benefits", "needs_indicator", "deprivation"),
              subsample: int | None = 3000, chains: int = 2, draws: int = 1000, tune: int = 500, seed: int,
              sampler: str = "pymc") -> Tool:
    """Bayesian logistic regression in PyMC on a random subsample of families.

    Small on purpose (a few thousand families, 2 chains x 1000 draws) so it runs in seconds; the
    subsample is what the posterior's width reflects. (With 500 draws per chain, r-hat reached
    1.0095 for one seed in ten, too near the 1.01 limit; 1000 kept it at or below 1.006.)
    Diagnostics (r-hat, effective sample size, divergences) are checked with
    :func:`decide.evidence.check_convergence`, which warns on failure.
    """
    import pymc as pm

    from decide.evidence import check_convergence

    features = tuple(features)
    raw = design(source, features)
    y = _check_target(target, raw.shape[0], fractional=False)
    rng = np.random.default_rng([int(seed), 7])
    if subsample is not None and subsample < raw.shape[0]:
        if subsample < 50:
            raise DecideError(f"subsample must be at least 50 families, got {subsample}")
        keep = np.sort(rng.choice(raw.shape[0], subsample, replace=False))
        raw, y = raw[keep], y[keep]
    if y.min() == y.max():
        raise DecideError(f"every family in the training data has recorded label {int(y[0])}: nothing to learn; "
                          "use more families (subsample=) or a world with more records")
    mean, scale = _standardise(raw)
    xs = (raw - mean) / scale
    logging.getLogger("pymc").setLevel(logging.ERROR)
    with pm.Model(coords={"feature": list(features)}) as model:
        x = pm.Data("x", xs)
        intercept = pm.Normal("intercept", 0.0, INTERCEPT_SD)
        beta = pm.Normal("beta", 0.0, COEF_SD, dims="feature")
        pm.Bernoulli("recorded", logit_p=intercept + x @ beta, observed=y.astype(np.int8))
    kwargs = dict(draws=draws, tune=tune, chains=chains, random_seed=int(seed), progressbar=False, model=model,
                  nuts_sampler=sampler, compute_convergence_checks=False)
    if sampler == "pymc":
        kwargs["cores"] = 1
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*effective sample size per chain.*")
        dt = pm.sample(**kwargs)
    post = dt["posterior"].to_dataset()
    b = post["beta"].transpose("chain", "draw", "feature").values.reshape(-1, len(features))
    a = post["intercept"].values.reshape(-1, 1)
    samples = np.hstack([a, b])
    diag = check_convergence(dt, ["intercept", "beta"])
    return Tool(features, mean, scale, samples.mean(0), draws=samples, method="bayes", trained_on=int(raw.shape[0]),
                diagnostics=diag, datatree=dt)


__all__ = ["FEATURES", "PLAIN", "Tool", "design", "fit_bayes", "fit_fast"]
