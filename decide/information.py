"""Information: what finding out would be worth to the child, and whether it is worth the wait.

* **EVPI** (expected value of perfect information): how much better, on average, the decision
  would be if every uncertain quantity were known before choosing. It is the expected regret of
  the option preferred now, so it is the most any enquiry could be worth.
* **EVPPI** (partial): the same for one quantity, or a group, learned exactly. Computed by the
  regression method of Strong, Oakley & Brennan (2014, *Medical Decision Making* 34(3):311-326):
  regress each option's net value relative to a reference option on just the quantities of
  interest; the fitted values estimate the value each option would have once those quantities
  were known, so EVPPI = mean of the row-wise best fitted value - the best of their means.
  Up to four quantities use a tensor product of cubic regression splines (B-splines from
  SciPy, the basis of scikit-learn's ``SplineTransformer``); more use a Gaussian process
  (scikit-learn). Each estimate carries a standard error and a check of the regression fit.
  Nested Monte Carlo (:func:`evppi_nested`) is the slow reference.
* **EVSI** for a rate: what a study of ``n`` further cases (Binomial data on a probability)
  would be worth (:func:`evsi_rate`).
* **Deciding now or finding out more** (:func:`enquiry_value`): an enquiry that informs some
  quantities is worth its EVPPI (or EVSI); waiting for it costs harm per week of drift. The
  answer is "decide now" or "find out more first, worth up to N weeks", with its uncertainty.

All values are in the decision's value points (the case's ``values.scale``), per child.
"""

from __future__ import annotations

import difflib
import functools
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from decide.errors import DecideError
from decide.frame import Enquiry  # noqa: F401  (part of the case model; re-exported here)
from decide.judge import Judgement
from decide.simulate import Simulation

#: Basis functions per quantity for the spline tensor product, by number of quantities
#: (10, 36, 125, 256 columns): mgcv's defaults for s() and te(), as used by Strong et al.
SPLINE_BASIS = {1: 10, 2: 6, 3: 5, 4: 4}
MAX_SPLINE_QUANTITIES = max(SPLINE_BASIS)


@dataclass(frozen=True)
class InformationValue:
    """The value of learning some quantities before deciding (value points per child).

    ``se`` is the standard error of the estimate; for the regression methods it combines the
    uncertainty of the fitted curve (Strong et al.'s method) and Monte Carlo error.
    ``fit`` holds the regression check: for each option compared with the reference, the share
    of variance explained in the sample (``r2``) and left-one-out (``r2_loo``); a large gap
    between the two means the smoother is fitting noise and the EVPPI is biased upwards.
    """

    quantities: tuple[str, ...]
    value: float
    se: float
    method: str
    draws: int
    seconds: float
    fit: dict = field(default_factory=dict)
    note: str = ""

    def __float__(self) -> float:
        return float(self.value)


# --- shared helpers ---------------------------------------------------------------------------------


def _values(sim: Simulation, harm_weight: float | None = None) -> np.ndarray:
    """Each option's expected net value in each draw [draw, option]."""
    if harm_weight is None:
        return sim.dataset["expected_value"].values
    if harm_weight <= 0:
        raise DecideError(f"harm_weight must be above 0, got {harm_weight!r}")
    return sim.model.expected_value(sim.quantity_draws(), harm_weight)


def _quantity_indices(sim: Simulation, quantities) -> list[int]:
    names = [quantities] if isinstance(quantities, str) else list(quantities)
    if not names:
        raise DecideError("name at least one quantity")
    known = sim.model.quantities
    out = []
    # a factor's name stands for its odds ratio
    names = [sim.decision.resolve_input(n) or n if isinstance(n, str) else n for n in names]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise DecideError(f"no quantity '{name}'{hint}; quantities: {', '.join(known)}")
        out.append(known.index(name))
    if len(set(out)) != len(out):
        raise DecideError(f"a quantity is named twice in {names}")
    return out


def expected_loss(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of (best option in each row - the option best on average).

    With rows = draws of what we do not know this is the EVPI; with rows = fitted values given
    some quantities it is the EVPPI. Equal to mean(row max) - max(column means).
    """
    columns = np.asarray(values, dtype=float).T  # option by option: reductions along rows are slow
    n = columns.shape[1]
    means = [c.mean() for c in columns]
    best = int(np.argmax(means))
    top = columns[0].copy()
    for c in columns[1:]:
        np.maximum(top, c, out=top)
    loss = top - columns[best]
    se = float(loss.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return float(loss.mean()), se


def evpi(sim: Simulation, harm_weight: float | None = None) -> InformationValue:
    """Expected value of perfect information: the expected regret of the option preferred now."""
    start = time.perf_counter()
    v = _values(sim, harm_weight)
    value, se = expected_loss(v)
    return InformationValue(tuple(sim.model.quantities), value, se, "monte carlo", v.shape[0], time.perf_counter() - start)


def relevant_quantities(sim: Simulation, harm_weight: float | None = None, seed: int = 0,
                        max_draws: int = 4000) -> pd.Series:
    """Whether each quantity changes any option's value relative to the others (True/False).

    Found by shuffling the quantity's draws: if no difference between options moves, learning it
    cannot change the choice, and its EVPPI is exactly 0. (Whether a quantity matters is a
    matter of the case's structure, so ``max_draws`` draws are plenty.)
    """
    m = sim.model
    q = sim.quantity_draws()[:max_draws]
    v = m.expected_value(q, harm_weight)
    rel = v - v[:, :1]
    scale = max(float(np.abs(rel).max()), 1.0)
    rng = np.random.default_rng(seed)
    out = []
    for j in range(len(m.quantities)):
        qq = q.copy()
        qq[:, j] = rng.permutation(qq[:, j])
        if np.ptp(q[:, j]) == 0:
            out.append(False)
            continue
        vv = m.expected_value(qq, harm_weight)
        out.append(not np.allclose(vv - vv[:, :1], rel, rtol=0, atol=1e-9 * scale))
    return pd.Series(out, index=pd.Index(m.quantities, name="quantity"), name="relevant")


# --- the regression smoothers ------------------------------------------------------------------------


def cubic_bsplines(x: np.ndarray, n_knots: int) -> np.ndarray:
    """Cubic B-spline basis [len(x), n_knots + 2] with ``n_knots`` evenly spaced knots over the
    range of x, the same basis as scikit-learn's ``SplineTransformer(knots='uniform')`` (tested).

    Worked out here by the de Boor-Cox recursion, step for step as SciPy's
    ``BSpline.design_matrix`` does it (so the same numbers, bit for bit: tested), for every x at
    once; importing scipy.interpolate for it cost a report more than the basis itself.
    """
    x = np.asarray(x, dtype=float)
    lo, hi = float(x.min()), float(x.max())
    if not hi > lo:
        return np.ones((x.size, 1))
    k = 3
    inner = np.linspace(lo, hi, int(n_knots))
    step = inner[1] - inner[0]
    knots = np.r_[lo - step * np.arange(3, 0, -1), inner, hi + step * np.arange(1, 4)]
    n = knots.size - k - 1  # basis functions
    # the knot interval of each x: the last knot at or below it, within [knots[k], knots[n]]
    ell = np.clip(np.searchsorted(knots, x, side="right") - 1, k, n - 1)
    h = np.zeros((k + 1, x.size))  # h[m]: basis function ell - k + m at x
    h[0] = 1.0
    for j in range(1, k + 1):
        previous = h[:j].copy()
        h[0] = 0.0
        for m in range(1, j + 1):
            right, left = knots[ell + m], knots[ell + m - j]  # distinct: the knots are evenly spaced
            w = previous[m - 1] / (right - left)
            h[m - 1] += w * (right - x)
            h[m] = w * (x - left)
    out = np.zeros((x.size, n))
    rows = np.arange(x.size)
    for m in range(k + 1):
        out[rows, ell - k + m] = h[m]
    return out


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank: scipy.stats.rankdata's 'average' method by
    the same steps (so the same numbers), without importing scipy.stats (half a second)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    first = np.r_[True, xs[1:] != xs[:-1]]
    dense = np.cumsum(first)
    count = np.r_[np.nonzero(first)[0], len(x)]
    out = np.empty(len(x))
    out[order] = 0.5 * (count[dense] + count[dense - 1] + 1)
    return out


def spline_basis(phi: np.ndarray) -> np.ndarray:
    """Tensor product of cubic regression splines (knots at quantiles) over the columns of phi.

    Each quantity is first replaced by its rank (as a share of the draws), so knots sit at its
    quantiles and long tails (odds ratios) do not give a few draws undue leverage; a smooth
    function of the rank is a smooth function of the quantity. Each column's B-spline basis
    sums to one, so the product contains the intercept; each quantity's own value is added as a
    linear term.
    """
    phi = np.asarray(phi, dtype=float)
    if phi.ndim == 1:
        phi = phi[:, None]
    k = phi.shape[1]
    if k not in SPLINE_BASIS:
        raise DecideError(f"spline regression handles 1 to {MAX_SPLINE_QUANTITIES} quantities, got {k}; use method='gp'")
    n_basis = SPLINE_BASIS[k]
    basis = np.ones((phi.shape[0], 1))
    for j in range(k):
        x = ((average_ranks(phi[:, j]) - 0.5) / phi.shape[0])[:, None]
        n_knots = int(min(n_basis - 2, max(len(np.unique(x)) - 1, 2)))
        b = cubic_bsplines(x[:, 0], n_knots)
        basis = (basis[:, :, None] * b[:, None, :]).reshape(phi.shape[0], -1)
    # plus each quantity itself, so a straight line in the original units (steep at the ends in
    # rank units) is fitted exactly
    sd = phi.std(axis=0)
    raw = (phi - phi.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return np.concatenate([basis, raw], axis=1)


def _fit_spline(phi: np.ndarray, y: np.ndarray, se_draws: int, rng: np.random.Generator, se_rows: int = 2000):
    """Least squares on the spline basis. Returns fitted [n, m], a function giving the EVPPI under
    each of ``se_draws`` draws of the fitted curves (or None), and the fit check."""
    phi = np.asarray(phi, dtype=float)
    if phi.ndim == 1:
        phi = phi[:, None]
    yt = np.ascontiguousarray(np.asarray(y, dtype=float).T)  # [m, n]: each curve contiguous
    order = None
    if phi.shape[1] == 1:
        # One quantity without ties: in sorted order its ranks are the fixed grid (i + 1/2) / n, so
        # the spline part of the design is the same for every quantity and its orthonormal basis
        # is computed once; only the straight-line column is new. Same column space, same fit.
        order = np.argsort(phi[:, 0])
        xs = phi[order, 0]
        if np.any(xs[1:] == xs[:-1]):
            order = None
    if order is not None:
        n = xs.size
        grid, grid_hat = _grid_basis(n, SPLINE_BASIS[1])
        sd = xs.std()
        raw = (xs - xs.mean()) / (sd if sd > 0 else 1.0)
        r = raw - grid @ (grid.T @ raw)
        norm = np.linalg.norm(r)
        line = r / norm if norm > 1e-8 * max(np.linalg.norm(raw), 1.0) else None
        yt = np.take(yt, order, axis=1)
        # the design is [grid, line] with orthonormal columns; kept as two blocks to save a copy
        fitted = (yt @ grid) @ grid.T
        hat = grid_hat
        if line is not None:
            fitted += np.outer(yt @ line, line)
            hat = grid_hat + line**2
        p = grid.shape[1] + (line is not None)

        def basis_rows(i):
            return grid[i] if line is None else np.column_stack([grid[i], line[i]])
    else:
        X = spline_basis(phi)
        n = X.shape[0]
        U, s, _ = np.linalg.svd(X, full_matrices=False)
        U = U[:, s > s[0] * 1e-10]
        hat = (U**2).sum(axis=1)
        fitted = (yt @ U) @ U.T
        p = U.shape[1]

        def basis_rows(i):
            return U[i]
    if n - p < 10:
        raise DecideError(f"too few draws ({n}) for a regression with {p} terms; simulate more draws")
    resid = yt - fitted
    rss = np.einsum("ij,ij->i", resid, resid)
    sigma = np.sqrt(rss / (n - p))
    loo = resid / np.clip(1 - hat, 1e-6, None)
    centred = yt - yt.mean(axis=1, keepdims=True)
    tss = np.einsum("ij,ij->i", centred, centred)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(tss > 0, 1 - rss / tss, 1.0)
        r2_loo = np.where(tss > 0, 1 - np.einsum("ij,ij->i", loo, loo) / tss, 1.0)
    # the curve's uncertainty is shared by all rows, so a subsample of rows shows it as well
    rows = np.sort(rng.choice(n, se_rows, replace=False)) if se_draws and n > se_rows else np.arange(n)
    curve_evppis = None
    if se_draws:
        U_s, f_s = basis_rows(rows), fitted[:, rows]

        def curve_evppis():
            return _curve_evppis(U_s, f_s, sigma, se_draws, rng)

    if order is not None:  # back to the draws' own order
        position = np.empty(n, dtype=np.intp)
        position[order] = np.arange(n)
        fitted = np.take(fitted, position, axis=1)
        rows = order[rows]
    return fitted.T, curve_evppis, {"terms": p, "r2": r2, "r2_loo": r2_loo, "se_rows": rows}


def _curve_evppis(U: np.ndarray, fitted: np.ndarray, sigma: np.ndarray, draws: int,
                  rng: np.random.Generator) -> np.ndarray:
    """EVPPI under each of ``draws`` draws of the fitted curves (Strong et al.'s standard error).

    With an orthonormal design U, beta ~ N(beta_hat, sigma^2 (X'X)^-1) gives
    fitted* = fitted + sigma U z with z standard normal, one z per curve (option compared).
    ``fitted`` is [curve, row] at the rows of U; the reference option is 0.
    """
    n_draws, (rows, p), curves = int(draws), U.shape, fitted.shape[0]
    noise = [sigma[d] * rng.standard_normal((n_draws, p)) for d in range(curves)]  # one z per curve, in turn
    # a few draws at a time, so the curves (draws x rows) stay in cache rather than each being
    # written to fresh memory and read back three times: four times quicker, the same numbers
    # (each draw's row is worked out by itself either way)
    chunk = min(CURVE_CHUNK, n_draws)
    out = np.empty(n_draws)
    best, curve, means = np.empty((chunk, rows)), np.empty((chunk, rows)), np.empty((chunk, curves))
    for start in range(0, n_draws, chunk):
        stop = min(start + chunk, n_draws)
        b, c, m = best[:stop - start], curve[:stop - start], means[:stop - start]
        b.fill(0.0)  # the reference option's value, 0
        for d in range(curves):
            np.matmul(noise[d][start:stop], U.T, out=c)
            c += fitted[d]
            np.maximum(b, c, out=b)
            m[:, d] = c.mean(axis=1)
        out[start:stop] = b.mean(axis=1) - np.maximum(m.max(axis=1), 0.0)
    return out


#: Draws of the fitted curves worked out together in :func:`_curve_evppis` (25 x 2,000 rows: 400 kB).
CURVE_CHUNK = 25


@functools.lru_cache(maxsize=8)
def _grid_basis(n: int, n_basis: int) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal basis (and its leverages) of the cubic B-splines on the rank grid (i + 1/2) / n,
    exactly as :func:`spline_basis` builds them for one quantity without ties."""
    x = (np.arange(n) + 0.5) / n
    b = cubic_bsplines(x, int(min(n_basis - 2, max(n - 1, 2))))
    U, s, _ = np.linalg.svd(b, full_matrices=False)
    U = U[:, s > s[0] * 1e-10]
    U.setflags(write=False)
    hat = (U**2).sum(axis=1)
    hat.setflags(write=False)
    return U, hat


def _fit_gp(phi: np.ndarray, y: np.ndarray, se_draws: int, rng: np.random.Generator,
            hyper_points: int = 300, fit_points: int = 2000, se_points: int = 400):
    """Gaussian process regression (scikit-learn) for more than four quantities.

    As in Strong et al., the hyperparameters are fitted on a subsample; the posterior mean then
    uses a larger one. The curve's uncertainty is drawn from the latent posterior at a further
    subsample of points.
    """
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    n, k = phi.shape
    sd = phi.std(axis=0)
    Z = (phi - phi.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    order = rng.permutation(n)
    hyper, train, check = order[: min(n, hyper_points)], order[: min(n, fit_points)], order[: min(n, se_points)]
    fitted = np.empty_like(y)
    samples = np.empty((se_draws, len(check), y.shape[1])) if se_draws else None
    r2, r2_loo = [], []
    for d in range(y.shape[1]):
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.ones(k), (1e-2, 1e3)) + WhiteKernel(0.1, (1e-6, 1e1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=int(rng.integers(2**31)))
            gp.fit(Z[hyper], y[hyper, d])
            gp = GaussianProcessRegressor(gp.kernel_, normalize_y=True, optimizer=None).fit(Z[train], y[train, d])
        fitted[:, d] = gp.predict(Z)
        resid = y[:, d] - fitted[:, d]
        tss = ((y[:, d] - y[:, d].mean()) ** 2).sum()
        r2.append(1 - (resid**2).sum() / tss if tss > 0 else 1.0)
        out = np.setdiff1d(np.arange(n), train)
        if out.size > 10 and tss > 0:  # points not used in the fit: an out-of-sample check
            tss_out = ((y[out, d] - y[out, d].mean()) ** 2).sum()
            r2_loo.append(1 - (resid[out] ** 2).sum() / tss_out if tss_out > 0 else 1.0)
        else:
            r2_loo.append(np.nan)
        if se_draws:
            mean, cov = gp.predict(Z[check], return_cov=True)
            noise = gp.kernel_.k2.noise_level * float(np.atleast_1d(gp._y_train_std)[0]) ** 2
            cov = cov - noise * np.eye(len(check))
            w, V = np.linalg.eigh((cov + cov.T) / 2)
            root = V * np.sqrt(np.clip(w, 0, None))
            samples[:, :, d] = mean[None] + rng.standard_normal((se_draws, len(check))) @ root.T
    curve_evppis = (lambda: _evppi_batch(samples)) if se_draws else None
    return fitted, curve_evppis, {"terms": len(train), "r2": np.array(r2), "r2_loo": np.array(r2_loo), "se_rows": check}


def _group_means(groups: np.ndarray, y: np.ndarray, se_draws: int, rng: np.random.Generator):
    """The saturated regression: each row's fitted value is the mean of y in its group.

    Returns fitted [n, m] and a function giving the EVPPI under each of ``se_draws`` redraws of
    the group means (or None). A group mean's error has covariance S_g / n_g; it is redrawn as
    the mean of the group's residuals times independent standard normal weights (a wild
    bootstrap), which has that covariance (with n_g - 1 in S_g) for any number of options.
    """
    n_groups = int(groups.max()) + 1
    counts = np.bincount(groups, minlength=n_groups).astype(float)
    yt = np.ascontiguousarray(np.asarray(y, dtype=float).T)  # [m, n]
    means = np.stack([np.bincount(groups, weights=c, minlength=n_groups) for c in yt]) / counts  # [m, g]
    fitted = means[:, groups].T
    if not se_draws:
        return fitted, None
    order = np.argsort(groups, kind="stable")  # rows group by group, so each group is one slice
    starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.intp)
    resid = (yt - fitted.T)[:, order]
    # n_g / (n_g - 1) makes the residuals' spread the unbiased one; a group of one has no spread
    # of its own, so it borrows the pooled residual spread
    sorted_counts = counts[groups[order]]
    pooled = np.sqrt(np.einsum("ij,ij->i", resid, resid) / max(len(groups) - n_groups, 1))
    resid = np.where(sorted_counts > 1, resid * np.sqrt(sorted_counts / np.clip(sorted_counts - 1, 1, None)),
                     pooled[:, None])
    weights = counts / counts.sum()

    def curve_evppis():
        top = np.zeros((int(se_draws), n_groups))
        overall = np.empty((int(se_draws), yt.shape[0]))
        for d, r in enumerate(resid):  # one curve (option compared) at a time
            z = rng.standard_normal((int(se_draws), len(groups)))
            z *= r
            m = means[d] + np.add.reduceat(z, starts, axis=1) / counts  # [draw, group]
            np.maximum(top, m, out=top)
            overall[:, d] = m @ weights
        return top @ weights - np.maximum(overall.max(axis=1), 0.0)

    return fitted, curve_evppis


def _evppi_batch(fitted: np.ndarray) -> np.ndarray:
    """EVPPI for each of a batch of fitted curves [batch, n, options-1] (reference option is 0)."""
    best = np.zeros(fitted.shape[:2])
    for d in range(fitted.shape[2]):  # a loop over the few options is faster than a strided max
        np.maximum(best, fitted[:, :, d], out=best)
    return best.mean(axis=1) - np.maximum(fitted.mean(axis=1).max(axis=1), 0.0)


def _evppi_from_fit(fitted: np.ndarray) -> tuple[float, float]:
    """EVPPI from fitted relative values [n, options-1] (the reference option is 0)."""
    n = fitted.shape[0]
    return expected_loss(np.column_stack([np.zeros(n), fitted]))


def evppi(
    sim: Simulation,
    quantities,
    *,
    method: str = "auto",
    harm_weight: float | None = None,
    seed: int = 0,
    se_draws: int = 200,
    relevant: pd.Series | None = None,
    shortcuts: bool = True,
) -> InformationValue:
    """Expected value of learning ``quantities`` (a name or a list of names) exactly before deciding.

    ``method``: 'auto' (splines up to four quantities, a Gaussian process beyond), 'spline', 'gp',
    or 'nested' (nested Monte Carlo with default sizes; see :func:`evppi_nested`). Exact shortcuts:
    quantities that no option's relative value depends on are worth 0; a group holding every
    quantity that matters is worth the EVPI. ``relevant`` (from :func:`relevant_quantities`)
    saves recomputing which quantities matter when many EVPPIs are wanted; ``shortcuts=False``
    always runs the regression (to check it).
    """
    if method not in ("auto", "spline", "gp", "nested"):
        raise DecideError(f"method must be 'auto', 'spline', 'gp' or 'nested', got {method!r}")
    idx = _quantity_indices(sim, quantities)
    names = tuple(sim.model.quantities[j] for j in idx)
    if method == "nested":
        return evppi_nested(sim, names, seed=seed, harm_weight=harm_weight)
    start = time.perf_counter()
    v = _values(sim, harm_weight)
    n = v.shape[0]
    if relevant is None:
        relevant = relevant_quantities(sim, harm_weight, seed=seed)
    relevant = np.asarray(relevant, dtype=bool) if shortcuts else np.ones(len(sim.model.quantities), bool)
    if not relevant[idx].any():
        return InformationValue(names, 0.0, 0.0, "exact", n, time.perf_counter() - start,
                                note="no option's value relative to the others depends on these quantities")
    if shortcuts and relevant.sum() == relevant[idx].sum():
        value, se = expected_loss(v)
        return InformationValue(names, value, se, "exact", n, time.perf_counter() - start,
                                note="these include every quantity that matters, so learning them is perfect information (EVPI)")
    use = [j for j in idx if relevant[j]]
    phi = sim.quantity_draws()[:, use]
    if method == "auto":
        method = "spline" if len(use) <= MAX_SPLINE_QUANTITIES else "gp"
    ref = int(np.argmax(v.mean(axis=0)))
    others = [d for d in range(v.shape[1]) if d != ref]
    y = v[:, others] - v[:, [ref]]
    rng = np.random.default_rng([seed, len(use), *use])
    if method == "spline":
        fitted, curve_evppis, fit = _fit_spline(phi, y, se_draws, rng)
    else:
        fitted, curve_evppis, fit = _fit_gp(phi, y, se_draws, rng)
    rows = fit.pop("se_rows")
    value, se_mc = _evppi_from_fit(fitted)
    se_fit = 0.0
    if curve_evppis is not None:
        # Strong et al.: the spread of the EVPPI over draws of the fitted curve
        base = _evppi_from_fit(fitted[rows])[0]
        sims = curve_evppis()
        se_fit = float(sims.std(ddof=1))
        fit["bias_check"] = float(sims.mean() - base)
    opt = sim.options
    fit["compared"] = [f"{opt[d]} vs {opt[ref]}" for d in others]
    fit["se_fit"], fit["se_monte_carlo"] = se_fit, se_mc
    note = ""
    bias = fit.get("bias_check", 0.0)
    if bias > 0.1 * value and bias > 0.01 * expected_loss(v)[0]:
        share = f" ({bias / value:.0%} of the estimate)" if value > 0 else ""
        note = (f"the regression may be fitting noise: noise of the size of its own error would add about "
                f"{bias:.3g} points{share}; simulate more draws")
    return InformationValue(names, max(value, 0.0), float(np.hypot(se_fit, se_mc)), method, n,
                            time.perf_counter() - start, fit, note)


def evppi_table(
    sim: Simulation,
    groups: dict[str, list[str]] | None = None,
    *,
    method: str = "auto",
    harm_weight: float | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """EVPPI for every quantity on its own, and for each named group, largest first.

    ``attrs`` hold the EVPI and its standard error, so every row can be read as a share of it.
    """
    full = evpi(sim, harm_weight)
    items = [(name, [name]) for name in sim.model.quantities]
    for label, members in (groups or {}).items():
        items.append((label, list(members)))
    relevant = relevant_quantities(sim, harm_weight, seed=seed)
    rows = []
    for label, members in items:
        r = evppi(sim, members, method=method, harm_weight=harm_weight, seed=seed, relevant=relevant)
        rows.append({
            "name": label,
            "quantities": ", ".join(r.quantities),
            "group": len(members) > 1 or label not in sim.model.quantities,
            "description": sim.model.labels.get(label, "") if len(members) == 1 else f"group of {len(members)}",
            "evppi": r.value,
            "se": r.se,
            "share_of_evpi": r.value / full.value if full.value > 0 else 0.0,
            "r2": float(np.min(r.fit["r2"])) if "r2" in r.fit else np.nan,
            "r2_loo": float(np.nanmin(r.fit["r2_loo"])) if "r2_loo" in r.fit else np.nan,
            "method": r.method,
            "seconds": r.seconds,
            "note": r.note,
        })
    out = pd.DataFrame(rows).sort_values("evppi", ascending=False, ignore_index=True)
    out.attrs.update(evpi=full.value, evpi_se=full.se, draws=full.draws, harm_weight=(
        sim.decision.values.harm_weight if harm_weight is None else harm_weight), question=sim.decision.question)
    return out


# --- nested Monte Carlo: the slow reference -------------------------------------------------------------


def evppi_nested(
    sim: Simulation,
    quantities,
    *,
    outer: int = 1000,
    inner: int = 1000,
    seed: int = 0,
    harm_weight: float | None = None,
    stratified: bool = True,
    max_rows: int = 250_000,
) -> InformationValue:
    """EVPPI by nested Monte Carlo: for each of ``outer`` values of the quantities of interest,
    average every option's value over ``inner`` draws of the rest, take the best, and average.

    Quantities are independent a priori in the case model, so the inner draws are fresh draws of
    the other quantities with the quantities of interest held fixed, new ones for every outer
    value (so inner sampling error shows in the standard error rather than hiding as a shared
    shift). With one quantity and ``stratified`` the outer values are evenly spaced quantiles,
    which removes most outer sampling error (the standard error then overstates the error).
    The finite inner sample biases the result slightly upwards (by about the variance of an
    inner mean). Slow (outer x inner evaluations): a reference for tests and benchmarks.
    """
    start = time.perf_counter()
    idx = _quantity_indices(sim, quantities)
    if outer < 2 or inner < 2:
        raise DecideError(f"outer and inner need at least 2 draws each, got {outer} and {inner}")
    m = sim.model
    if stratified and len(idx) == 1:
        pool = m.draw(max(50 * outer, 50_000), seed)[:, idx[0]]
        phi = np.quantile(pool, (np.arange(outer) + 0.5) / outer)[:, None]
    else:
        phi = m.draw(outer, seed)[:, idx]
    means = np.empty((outer, len(m.options)))
    chunk = max(1, max_rows // inner)
    for a in range(0, outer, chunk):
        b = min(outer, a + chunk)
        qq = m.draw((b - a) * inner, seed * 100_003 + 1 + a).reshape(b - a, inner, -1)
        qq[:, :, idx] = phi[a:b, None, :]
        means[a:b] = m.expected_value(qq, harm_weight).mean(axis=1)
    value, se = expected_loss(means)
    names = tuple(m.quantities[j] for j in idx)
    return InformationValue(names, value, se, "nested monte carlo", outer * inner, time.perf_counter() - start,
                            {"outer": outer, "inner": inner, "stratified": bool(stratified and len(idx) == 1)})


# --- a study of n further cases: EVSI for a rate ---------------------------------------------------------


def _binomial_loglik(x: np.ndarray, cases: int, theta: np.ndarray) -> np.ndarray:
    """log Binomial(x | cases, theta) for every count x and every draw theta [count, draw], from the
    two logs of theta (as SciPy's logpmf gives, with 0 log 0 = 0 at theta 0 or 1)."""
    from scipy.special import gammaln

    x = np.asarray(x, dtype=float)[:, None]
    with np.errstate(divide="ignore"):
        log_t, log_1mt = np.log(theta)[None, :], np.log1p(-theta)[None, :]
    log_choose = gammaln(cases + 1.0) - gammaln(x + 1.0) - gammaln(cases - x + 1.0)
    with np.errstate(invalid="ignore"):  # 0 x log 0 is nan here, and 0 in the likelihood
        hits = np.where(x > 0, x * log_t, 0.0)
        misses = np.where(x < cases, (cases - x) * log_1mt, 0.0)
    return log_choose + hits + misses


def evsi_rate(
    sim: Simulation,
    quantity: str,
    cases: int,
    *,
    method: str = "preposterior",
    harm_weight: float | None = None,
    seed: int = 0,
    bootstrap: int = 20,
    max_counts: int = 401,
    se_draws: int = 200,
) -> InformationValue:
    """Expected value of sample information: learning how many of ``cases`` further, similar
    cases have the outcome whose chance is ``quantity`` (Binomial data on a probability).

    ``method='preposterior'``: for every possible count x = 0..cases, update the draws by Bayes'
    rule (weights proportional to the Binomial likelihood, which for a Beta prior is exactly the
    conjugate Beta posterior), take the best option given x, and average over the prior
    predictive chance of x (for more than ``max_counts`` possible counts, ``max_counts`` data
    sets are drawn from the prior predictive instead). ``method='regression'``: draw one count per draw and regress each
    option's relative value on it (Strong et al.'s moment/regression approach to EVSI); its standard
    error adds the error of the fitted means (``se_draws`` redraws of them) to the Monte Carlo error.
    Approaches the EVPPI of ``quantity`` as ``cases`` grows.
    """
    if method not in ("preposterior", "regression"):
        raise DecideError(f"method must be 'preposterior' or 'regression', got {method!r}")
    if not isinstance(cases, int | np.integer) or cases < 1:
        raise DecideError(f"cases must be a whole number of at least 1, got {cases!r}")
    start = time.perf_counter()
    (j,) = _quantity_indices(sim, [quantity])
    if sim.model.kinds[j] != "probability":
        raise DecideError(f"'{quantity}' is a {sim.model.kinds[j]}, not a rate; a study of cases informs a probability")
    theta = sim.quantity_draws()[:, j]
    v = _values(sim, harm_weight)
    n = v.shape[0]
    rng = np.random.default_rng([seed, int(cases), j])
    if method == "regression":
        x = rng.binomial(int(cases), theta)
        ref = int(np.argmax(v.mean(axis=0)))
        others = [d for d in range(v.shape[1]) if d != ref]
        y = v[:, others] - v[:, [ref]]
        levels, inverse = np.unique(x, return_inverse=True)
        if len(levels) <= 60:  # few possible counts: the mean in each group is the saturated regression
            fitted, curve_evppis = _group_means(inverse, y, se_draws, rng)
        else:
            fitted, curve_evppis, _ = _fit_spline(x[:, None].astype(float), y, se_draws, rng)
        value, se_mc = _evppi_from_fit(fitted)
        # the fitted means are estimates too: with a study of one case the whole value rests on
        # two group means, so their error, not the Monte Carlo error of the rows, dominates
        se_fit = float(curve_evppis().std(ddof=1)) if curve_evppis is not None else 0.0
        return InformationValue((quantity,), max(value, 0.0), float(np.hypot(se_fit, se_mc)), "evsi regression", n,
                                time.perf_counter() - start,
                                {"cases": int(cases), "se_fit": se_fit, "se_monte_carlo": se_mc})
    if cases + 1 <= max_counts:
        x = np.arange(int(cases) + 1)  # every possible count, weighted by its prior predictive chance
        enumerate_all = True
    else:  # many possible counts: draw data sets from the prior predictive instead
        x = rng.binomial(int(cases), theta[rng.integers(0, n, max_counts)])
        enumerate_all = False
    loglik = _binomial_loglik(x, int(cases), theta)  # [data set, draw]
    # Bayes' rule for every data set at once: the likelihoods, scaled per data set so the largest
    # is 1, are the draws' posterior weights up to a constant; one product gives every option's
    # expected value given each data set (no per-draw or per-data-set loop)
    top = loglik.max(axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0.0  # a count no draw allows (all rates 0 or 1): weight 0 below
    lik = np.exp(loglik - top)
    total = lik.sum(axis=1)
    seen = total > 0
    safe = np.where(seen, total, 1.0)
    w_sq = np.where(seen, np.einsum("ij,ij->i", lik, lik) / safe**2, 1.0)  # sum of squared normalised weights
    cond = (lik @ v) / safe[:, None]  # expected value of each option given each data set
    with np.errstate(divide="ignore"):
        norm = top[:, 0] + np.log(total)
    if enumerate_all:
        p_x = np.exp(norm - norm.max())
        p_x = p_x / p_x.sum()
    else:
        p_x = np.full(len(x), 1.0 / len(x))
    best = int(np.argmax(v.mean(axis=0)))
    gain = cond.max(axis=1) - cond[:, best]
    value = float(p_x @ gain)
    ess = float(p_x @ (1.0 / w_sq))
    if enumerate_all:  # error from the finite prior draws, by a small bootstrap
        # a resample of the draws is a count of how often each draw was picked: every bootstrap
        # replicate is then two matrix products with those counts, not a new pass over the data
        boots = []
        for _ in range(bootstrap):
            k = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
            kv = np.column_stack([k[:, None] * v, k])  # [draw, option + 1]
            sums = lik @ kv
            c = np.divide(sums[:, :-1], sums[:, -1:], out=np.zeros((len(x), v.shape[1])), where=sums[:, -1:] > 0)
            with np.errstate(divide="ignore"):
                nb = top[:, 0] + np.log(sums[:, -1])
            pb = np.exp(nb - nb.max())
            pb = pb / pb.sum()
            boots.append(float(pb @ c.max(axis=1) - (pb @ c).max()))
        se = float(np.std(boots, ddof=1)) if bootstrap > 1 else float("nan")
    else:
        se = float(gain.std(ddof=1) / np.sqrt(len(x)))
    return InformationValue((quantity,), max(value, 0.0), se, "evsi preposterior", n, time.perf_counter() - start,
                            {"cases": int(cases), "effective_draws": ess, "data_sets": len(x), "enumerated": enumerate_all})


# --- deciding now or finding out more --------------------------------------------------------------------

def _judged(x, what: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of a non-negative number given as a number or a judgement (low/likely/high, distribution)."""
    if isinstance(x, int | float):
        if x < 0:
            raise DecideError(f"{what} cannot be negative, got {x:g}")
        return np.full(n, float(x))
    if not isinstance(x, Judgement):
        try:
            x = Judgement.model_validate(x)
        except Exception as exc:
            raise DecideError(f"{what}: give a number or a judgement such as {{low: 0.2, likely: 0.5, high: 1}} ({exc})") from None
    if x.verbal is not None:
        raise DecideError(f"{what}: a verbal likelihood ('{x.verbal}') describes a probability; give low/likely/high instead")
    dist = x.to_distribution("magnitude", (0.0, None))
    draws = np.asarray(dist.rvs(n, random_state=rng), dtype=float)
    if np.any(draws < 0):
        raise DecideError(f"{what}: the judged distribution {dist} allows negative values; use one that stays above 0")
    return draws


@dataclass(frozen=True)
class EnquiryVerdict:
    """Whether to decide now or wait for an enquiry, and why, in plain words."""

    enquiry: str
    verdict: str  # "decide now" or "find out more first"
    message: str
    value: InformationValue
    weeks: float  # expected wait
    delay_cost: float  # expected harm of the wait (points)
    net_gain: float  # value - delay_cost: expected gain from waiting for the enquiry
    worth_weeks: float  # break-even wait: value / expected harm per week
    worth_weeks_lower: float
    worth_weeks_upper: float
    probability_worth_waiting: float
    decide_now_option: str
    interval: float

    def as_row(self) -> dict:
        return {
            "enquiry": self.enquiry, "informs": ", ".join(self.value.quantities), "verdict": self.verdict,
            "value": self.value.value, "value_se": self.value.se, "weeks": self.weeks, "delay_cost": self.delay_cost,
            "net_gain": self.net_gain, "worth_weeks": self.worth_weeks, "worth_weeks_lower": self.worth_weeks_lower,
            "worth_weeks_upper": self.worth_weeks_upper, "probability_worth_waiting": self.probability_worth_waiting,
            "method": self.value.method, "message": self.message,
        }


def enquiry_value(
    sim: Simulation,
    enquiry: Enquiry | dict,
    delay_harm_per_week: float | Judgement | dict,
    *,
    seed: int = 0,
    draws: int = 20_000,
    interval: float = 0.9,
    harm_weight: float | None = None,
) -> EnquiryVerdict:
    """Decide now, or wait for the enquiry? Compare what it would be worth with the harm of drift.

    Waiting is worth it when the enquiry's value (EVPPI of what it informs, or EVSI of a study)
    exceeds the expected harm of the wait (weeks x harm per week). The harm of drift is taken to
    fall on the child whichever option is chosen afterwards. Its uncertainty, and the standard
    error of the value, give a range for how many weeks the enquiry is worth and the chance
    that waiting is worth it.
    """
    if isinstance(enquiry, dict):
        try:
            enquiry = Enquiry.model_validate(enquiry)
        except Exception as exc:
            raise DecideError(f"enquiry {enquiry.get('name', '')!r}: {exc}") from None
    if not 0 < interval < 1:
        raise DecideError(f"interval must be between 0 and 1, got {interval!r}")
    if enquiry.cases is not None:
        if len(enquiry.informs) != 1:
            raise DecideError(f"enquiry '{enquiry.name}': a study of {enquiry.cases} cases informs one rate; "
                              f"it names {len(enquiry.informs)} quantities")
        value = evsi_rate(sim, enquiry.informs[0], enquiry.cases, harm_weight=harm_weight, seed=seed)
    else:
        value = evppi(sim, enquiry.informs, harm_weight=harm_weight, seed=seed)
    rng = np.random.default_rng([seed, 104729])
    harm = _judged(delay_harm_per_week, "delay_harm_per_week", draws, rng)
    weeks = _judged(enquiry.weeks, f"enquiry '{enquiry.name}' weeks", draws, rng)
    worth = value.value + value.se * rng.standard_normal(draws)  # what the enquiry is worth, with its error
    cost = weeks * harm
    mean_harm = float(harm.mean())
    delay_cost = float(weeks.mean() * mean_harm)
    net = value.value - delay_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(harm > 0, np.clip(worth, 0, None) / harm, np.inf)
    lo, hi = np.quantile(ratio, [(1 - interval) / 2, (1 + interval) / 2])
    worth_weeks = value.value / mean_harm if mean_harm > 0 else float("inf")
    p_worth = float(np.mean(worth > cost))
    from decide.compare import preferred

    now = preferred(sim) if harm_weight is None else sim.options[int(np.argmax(_values(sim, harm_weight).mean(axis=0)))]
    pct = f"{interval:.0%}"
    if net > 0:
        verdict = "find out more first"
        message = (f"Find out more first: the {enquiry.name} is worth up to about {worth_weeks:.1f} weeks of delay "
                   f"({pct} range {lo:.1f} to {hi:.1f} weeks) and would take about {weeks.mean():.1f}. "
                   f"Chance that waiting is worth it: {p_worth:.0%}.")
    elif worth_weeks < 0.05 and hi < 0.05:
        verdict = "decide now"
        message = (f"Decide now ({now}): whatever the {enquiry.name} found, it would almost certainly not change the "
                   f"choice, so it is not worth the {weeks.mean():.1f} weeks it would take.")
    else:
        verdict = "decide now"
        message = (f"Decide now ({now}): the {enquiry.name} would take about {weeks.mean():.1f} weeks but is worth "
                   f"only about {worth_weeks:.1f} weeks of delay ({pct} range {lo:.1f} to {hi:.1f}). "
                   f"Chance that waiting would be worth it: {p_worth:.0%}.")
    return EnquiryVerdict(enquiry.name, verdict, message, value, float(weeks.mean()), delay_cost, float(net),
                          float(worth_weeks), float(lo), float(hi), p_worth, now, interval)


def enquiries_table(sim: Simulation, enquiries, delay_harm_per_week, **kwargs) -> pd.DataFrame:
    """One row per enquiry: its value, the cost of waiting for it, and the verdict; best first."""
    rows = [enquiry_value(sim, e, delay_harm_per_week, **kwargs).as_row() for e in enquiries]
    out = pd.DataFrame(rows)
    if len(out):
        out = out.sort_values("net_gain", ascending=False, ignore_index=True)
    return out


__all__ = [
    "Enquiry", "EnquiryVerdict", "InformationValue", "enquiries_table", "enquiry_value", "evpi", "evppi",
    "evppi_nested", "evppi_table", "evsi_rate", "expected_loss", "relevant_quantities", "spline_basis",
]
