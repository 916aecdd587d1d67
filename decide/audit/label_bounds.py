"""Label bias: if the recorded outcome is inflated or deflated by who is watched, where could each rate and
disparity lie? Partial identification over a stated range of factors, and the tipping factor at which parity with the
reference first becomes possible. (Named label_bounds, not label_bias, so the function keeps that name.)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from decide.audit.common import LABEL_DEPENDENT, RATES, _interval_bounds, _listing, _rate, _suggest
from decide.errors import DecideError

if TYPE_CHECKING:
    from decide.audit.rates import Audit


def relabel(cells: np.ndarray, k, *, split: str = "low") -> np.ndarray:
    """Confusion cells with recorded positives scaled to true positives = recorded / k.

    ``split`` says which families the extra (k > 1) or missing (k < 1) records belong to:
    'low' and 'high' are the two extremes (as many as possible among the unflagged, or among
    the flagged), 'proportional' spreads them like the recorded ones (mislabelling unrelated to
    the flag). Works on counts or proportions, any leading shape; ``k`` broadcasts.
    """
    if split not in ("low", "high", "proportional"):
        raise ValueError(f"split must be 'low', 'high' or 'proportional', got {split!r}")
    return np.stack(_relabelled_cells(np.asarray(cells, dtype=float), np.asarray(k, dtype=float), (split,))[0], axis=-1)


def _k_grid(lo: float, hi: float, grid: int) -> np.ndarray:
    ks = np.geomspace(lo, hi, grid) if lo != hi else np.array([lo])
    return np.unique(np.concatenate([ks, [1.0] if lo <= 1 <= hi else []]))


def rate_bounds(cells: np.ndarray, k_range: tuple[float, float], metric: str, grid: int = 61,
                splits=("low", "high"), extra_k=()) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest value of one rate over every factor k in ``k_range`` and every split.

    ``cells`` has shape (..., 4); returns two arrays of shape (...). Each rate is linear in the
    split for a given k, so its extremes are at the two extreme splits; k is searched on a grid.
    ``splits=("proportional",)`` gives the narrower range under the assumption that mislabelling
    is unrelated to the flag.
    """
    return _bounds_of_rates(cells, k_range, (metric,), grid, splits, extra_k)[metric]


def _bounds_of_rates(cells: np.ndarray, k_range, metrics, grid: int = 61, splits=("low", "high"),
                     extra_k=()) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`rate_bounds` of several rates at once: the cells are relabelled once per split and every rate is read
    off them (the relabelling is most of the work, and the same for every rate). The lowest over splits and factors
    is the lowest over splits of the lowest over factors (NaN, a rate without cases, left aside either way). Many
    cells (posterior draws) are done a few hundred at a time, so the arrays stay in the processor's cache."""
    ks = np.unique(np.concatenate([_k_grid(*k_range, grid), np.asarray(extra_k, dtype=float)]))
    cells = np.asarray(cells, dtype=float)
    if cells.ndim == 2 and len(cells) > _CHUNK:
        parts = [_bounds_of_rates(cells[i:i + _CHUNK], k_range, metrics, grid, splits, extra_k)
                 for i in range(0, len(cells), _CHUNK)]
        return {m: tuple(np.concatenate([p[m][j] for p in parts]) for j in (0, 1)) for m in metrics}
    by_split = [_rates_of_cells(four, metrics) for four in _relabelled_cells(cells[..., None, :], ks, splits)]
    out = {}
    for metric in metrics:
        low = high = by_split[0][metric]
        for rates in by_split[1:]:
            low, high = np.fmin(low, rates[metric]), np.fmax(high, rates[metric])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a rate can be undefined at some k (no cases)
            out[metric] = np.nanmin(low, axis=-1), np.nanmax(high, axis=-1)
    return out


#: Posterior draws relabelled at a time (with some 60 factors each, about 100 kB an array).
_CHUNK = 250


def _relabelled_cells(cells: np.ndarray, k, splits) -> list[tuple[np.ndarray, ...]]:
    """:func:`relabel`'s four cells as separate arrays (tp, fp, fn, tn), for each split in ``splits``, without
    stacking them and with what the splits share worked out once: the same arithmetic, so the same numbers."""
    tp, fp, fn, tn = (cells[..., i] for i in range(4))
    pos, neg = tp + fn, fp + tn
    true_pos = np.minimum(pos / k, pos + neg)
    remove = np.maximum(pos - true_pos, 0.0)  # recorded positives that are not true positives
    add = np.maximum(true_pos - pos, 0.0)  # true positives recorded as negatives
    out = []
    for split in splits:
        with np.errstate(divide="ignore", invalid="ignore"):
            if split == "low":  # extra records as few as possible among the flagged; missing ones among the unflagged
                xr, xa = np.maximum(0.0, remove - fn), np.maximum(0.0, add - tn)
            elif split == "high":
                xr, xa = np.minimum(remove, tp), np.minimum(add, fp)
            else:
                xr = np.where(pos > 0, remove * tp / np.where(pos > 0, pos, 1), 0.0)
                xa = np.where(neg > 0, add * fp / np.where(neg > 0, neg, 1), 0.0)
        out.append((tp - xr + xa, fp + xr - xa, fn - (remove - xr) + (add - xa), tn + (remove - xr) - (add - xa)))
    return out


def _rates_of_cells(four: tuple[np.ndarray, ...], metrics) -> dict[str, np.ndarray]:
    """:func:`_rate` of several rates from four cell arrays: each sum added left to right in the order RATES lists
    the cells, as numpy adds a few numbers, so the same numbers; a sum shared by several rates is made once."""
    sums: dict = {}

    def total(idx):
        if idx not in sums:
            s = four[idx[0]]
            for i in idx[1:]:
                s = s + four[i]
            sums[idx] = s
        return sums[idx]

    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for metric in metrics:
            num, den, _ = RATES[metric]
            out[metric] = total(tuple(num)) / total(tuple(den))
    return out


@dataclass
class LabelBias:
    """Label-bias bounds: each rate's range, each disparity's range, and tipping points."""

    ranges: dict[str, tuple[float, float]]
    rates: pd.DataFrame  # group, metric, recorded, low, high, low_interval, high_interval, low/high_if_unrelated
    disparities: pd.DataFrame  # the same for each disparity, and whether parity is possible
    tipping: pd.DataFrame  # group, metric, factor: smallest symmetric factor at which parity becomes possible


def _check_range(g, rng) -> tuple[float, float]:
    try:
        lo, hi = float(rng[0]), float(rng[1])
    except (TypeError, ValueError, IndexError):
        raise DecideError(f"label-bias range for '{g}' must be two numbers LOW:HIGH, e.g. 0.8:1.25, got {rng!r}") from None
    if not (0 < lo <= hi) or not np.isfinite(hi):
        raise DecideError(f"label-bias range for '{g}' must satisfy 0 < LOW <= HIGH (1 = recorded as it happened), got {lo:g}:{hi:g}")
    return lo, hi


def label_bias(audit: Audit, ranges=None, *, default=(0.8, 1.25), grid: int = 61, max_factor: float = 3.0) -> LabelBias:
    """See :meth:`Audit.label_bias`."""
    names, ref = audit.group_names, audit.reference
    ranges = dict(ranges or {})
    for g in ranges:
        if g not in names:
            raise DecideError(f"label-bias range names group '{g}', which does not exist{_suggest(g, names)}; "
                              f"the groups are {_listing(names)}")
    full = {g: _check_range(g, ranges.get(g, (1.0, 1.0) if g == ref else default)) for g in names}
    lo_q, hi_q = _interval_bounds(audit.settings["interval"])
    cells = audit.cells()
    tipping = _tipping(cells, names, ref, grid, max_factor)
    rate_rows, bounds, bounds_d, bounds_u = [], {}, {}, {}
    for gi, g in enumerate(names):
        # Each tipping k inside the group's range is on the grid, so 'parity possible' and the tipping
        # factor always agree (a k inside the stated range that makes parity possible is seen).
        tk = tipping.loc[tipping["group"] == g, ["factor_up", "factor_down"]].to_numpy().ravel()
        extra = tk[np.isfinite(tk) & (tk >= full[g][0]) & (tk <= full[g][1])]
        point = _bounds_of_rates(cells[gi], full[g], LABEL_DEPENDENT, grid, extra_k=extra)
        drawn = _bounds_of_rates(audit._joint[g], full[g], LABEL_DEPENDENT, grid, extra_k=extra)
        unrelated = _bounds_of_rates(cells[gi], full[g], LABEL_DEPENDENT, grid, splits=("proportional",), extra_k=extra)
        for metric in LABEL_DEPENDENT:
            (lo, hi), (dlo, dhi), (ulo, uhi) = point[metric], drawn[metric], unrelated[metric]
            bounds[g, metric], bounds_d[g, metric] = (float(lo), float(hi)), (dlo, dhi)
            bounds_u[g, metric] = (float(ulo), float(uhi))
            rate_rows.append(dict(group=g, metric=metric, factor_low=full[g][0], factor_high=full[g][1],
                                  recorded=float(_rate(cells[gi], metric)), low=float(lo), high=float(hi),
                                  low_interval=float(np.nanquantile(dlo, lo_q)), high_interval=float(np.nanquantile(dhi, hi_q)),
                                  low_if_unrelated=float(ulo), high_if_unrelated=float(uhi)))
    disp_rows = []
    for gi, g in enumerate(names):
        if g == ref:
            continue
        for metric in LABEL_DEPENDENT:
            (glo, ghi), (rlo, rhi) = bounds[g, metric], bounds[ref, metric]
            (gdlo, gdhi), (rdlo, rdhi) = bounds_d[g, metric], bounds_d[ref, metric]
            (gulo, guhi), (rulo, ruhi) = bounds_u[g, metric], bounds_u[ref, metric]
            rec_g, rec_r = _rate(cells[gi], metric), _rate(cells[names.index(ref)], metric)
            glo, ghi, rlo, rhi, gulo, guhi, rulo, ruhi = np.array([glo, ghi, rlo, rhi, gulo, guhi, rulo, ruhi], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                for scale, rec, lo, hi, dlo, dhi, ulo, uhi, null in (
                        ("ratio", rec_g / rec_r, glo / rhi, ghi / rlo, gdlo / rdhi, gdhi / rdlo, gulo / ruhi, guhi / rulo, 1.0),
                        ("difference", rec_g - rec_r, glo - rhi, ghi - rlo, gdlo - rdhi, gdhi - rdlo, gulo - ruhi, guhi - rulo, 0.0)):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        dlo_q, dhi_q = np.nanquantile(dlo, lo_q), np.nanquantile(dhi, hi_q)
                    disp_rows.append(dict(group=g, metric=metric, scale=scale, recorded=float(rec), low=float(lo), high=float(hi),
                                          low_interval=float(dlo_q), high_interval=float(dhi_q),
                                          low_if_unrelated=float(ulo), high_if_unrelated=float(uhi),
                                          parity_possible=bool(lo <= null <= hi)))
    return LabelBias(full, pd.DataFrame(rate_rows), pd.DataFrame(disp_rows), tipping)


def _tipping(cells, names, ref, grid, max_factor) -> pd.DataFrame:
    """Where parity with the reference first becomes *possible* (not certain) under label bias in one group alone.

    For each group and rate: ``factor_up``, the smallest k >= 1 (recorded outcomes over-counting
    true ones by k) and ``factor_down``, the largest k <= 1 (under-counting), such that some k
    between 1 and it, with some split of the mislabelled records, gives the reference's rate;
    ``factor`` is the nearer of the two as a symmetric factor f (k anywhere in [1/f, f]) and
    ``nearest_k`` the k itself. NaN (with ``beyond``) when no k up to ``max_factor`` does it.
    """
    half = 200
    ks = np.exp(np.linspace(-np.log(max_factor), np.log(max_factor), 2 * half + 1))
    r = names.index(ref)
    splits = ("low", "high")
    found, pending = {}, []  # pending: (group, metric, side, cells, reference's rate, a_k, b_k, lo0, hi0)
    for gi, g in enumerate(names):
        if gi == r:
            continue
        c = cells[gi][None, :]
        on_grid = [_rates_of_cells(four, LABEL_DEPENDENT) for four in _relabelled_cells(c, ks[:, None], splits)]
        for metric in LABEL_DEPENDENT:
            ref_val = _rate(cells[r], metric)
            low, high = (rates[metric][:, 0] for rates in on_grid)
            mins, maxs = np.fmin(low, high), np.fmax(low, high)
            for side, sl in (("up", slice(half, None)), ("down", slice(half, None, -1))):
                lo, hi = np.fmin.accumulate(mins[sl]), np.fmax.accumulate(maxs[sl])  # range over k from 1 to ks[sl][j]
                ok = np.flatnonzero((lo <= ref_val) & (ref_val <= hi)) if np.isfinite(ref_val) else np.array([], dtype=int)
                if not ok.size:
                    found[g, metric, side] = np.nan
                elif ok[0] == 0:
                    found[g, metric, side] = 1.0
                else:  # between two grid points: bisected below, keeping the range reached at the point before
                    j = ok[0]
                    pending.append((g, metric, side, cells[gi], ref_val, ks[sl][j - 1], ks[sl][j], lo[j - 1], hi[j - 1]))
    if pending:  # every bisection at once, each step the same arithmetic as one at a time
        keys = [p[:3] for p in pending]
        c, ref_val, a_k, b_k, lo0, hi0 = (np.array(v, dtype=float) for v in zip(*(p[3:] for p in pending)))
        which = np.array([LABEL_DEPENDENT.index(k[1]) for k in keys])
        for _ in range(40):
            mid = np.sqrt(a_k * b_k)
            v = [np.choose(which, list(_rates_of_cells(four, LABEL_DEPENDENT).values()))
                 for four in _relabelled_cells(c, mid, splits)]
            reached = (np.fmin(lo0, np.fmin(*v)) <= ref_val) & (ref_val <= np.fmax(hi0, np.fmax(*v)))
            a_k, b_k = np.where(reached, a_k, mid), np.where(reached, mid, b_k)
        found.update((k, float(b)) for k, b in zip(keys, b_k))
    rows = []
    for g in names:
        if g == ref:
            continue
        for metric in LABEL_DEPENDENT:
            up, down = found[g, metric, "up"], found[g, metric, "down"]
            sym = np.fmin(up, 1 / down) if np.isfinite(up) or np.isfinite(down) else np.nan
            nearest = (np.nan if not np.isfinite(sym) else up if np.isfinite(up) and up <= sym * (1 + 1e-12) else down)
            rows.append(dict(group=g, metric=metric, factor=float(sym), nearest_k=float(nearest), factor_up=up,
                             factor_down=down, beyond=f"more than {max_factor:g}" if not np.isfinite(sym) else ""))
    return pd.DataFrame(rows)


