"""Counting: the one step that touches every row. It turns the referrals into the audit's small count table,
one row per (group..., score, flag, outcome) with how many referrals fall in it; everything after works on that
table alone. :func:`count_rows` counts a pandas DataFrame with numpy; :func:`count_table` counts any Ibis table
where it lives (DuckDB, PostgreSQL, Spark), with every check done as a query; both give the same table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from decide.audit.common import MISSING_GROUP, _NOT_FINITE_TEXT, _listing, _suggest, _where
from decide.errors import DecideError

# ----------------------------------------------------------------------------------------------
# Counting rows (the thin, vectorised layer)
# ----------------------------------------------------------------------------------------------

_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}


def _binary(values: pd.Series, column: str, where_, drop_missing: bool, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """A 0/1 column as int8, and a mask of missing rows (None when there are none)."""
    if pd.api.types.is_bool_dtype(values.dtype) and not values.hasnans:
        return values.to_numpy(dtype=np.int8), None
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:  # the common, fast case
        arr = values.to_numpy()
        bad = (arr != 0) & (arr != 1)
        if not bad.any():
            return arr.astype(np.int8), None
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(arr)
        bad = ~missing & (arr != 0) & (arr != 1)
        out = np.where(arr == 1, 1, 0).astype(np.int8)
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        keys = [str(u).strip().lower() for u in uniques]
        mapped = np.array([1 if k in _TRUE else 0 if k in _FALSE else -1 for k in keys] + [-2], dtype=np.int8)
        code_vals = mapped[codes]  # codes == -1 (missing) picks the sentinel -2
        missing = code_vals == -2
        bad = code_vals == -1
        out = np.where(code_vals == 1, 1, 0).astype(np.int8)
    if bad.any():
        idx = np.flatnonzero(bad)
        found = pd.unique(values.iloc[idx[:10000]])
        raise DecideError(f"column '{column}' must be binary (1 = yes, 0 = no; true/false and yes/no are also read), "
                          f"but {len(idx)} row(s) hold other values, e.g. {_listing(found, 5)} (first at {where_(idx[0])}). "
                          "Recode it so 1 means the event happened")
    if missing.any():
        idx = np.flatnonzero(missing)
        if not drop_missing:
            raise DecideError(f"column '{column}' is empty in {len(idx)} row(s) (first at {where_(idx[0])}); "
                              "fill them in, or pass --drop-missing to leave those rows out (and say so in the write-up)")
        return out, missing
    return out, None


def _scores(values: pd.Series, column: str, where_, score_range, drop_missing: bool, notes: list[str]):
    if pd.api.types.is_bool_dtype(values.dtype):
        raise DecideError(f"column '{column}' holds true/false values; pass it as --flag, not --score")
    if not pd.api.types.is_numeric_dtype(values.dtype):
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & values.notna()
        if bad.any():
            idx = np.flatnonzero(bad.to_numpy())
            raise DecideError(f"column '{column}' must hold numbers (the tool's score), but {len(idx)} row(s) do not, "
                              f"e.g. {_listing(pd.unique(values.iloc[idx[:1000]]), 5)} (first at {where_(idx[0])})")
        values = num
    s = values.to_numpy(dtype=float, na_value=np.nan)
    missing = ~np.isfinite(s)
    if missing.any():
        idx = np.flatnonzero(missing)
        what = "empty or not a number" if np.isnan(s[idx[0]]) else "infinite"
        if not drop_missing or np.isinf(s[idx]).any():
            raise DecideError(f"column '{column}' is {what} in {len(idx)} row(s) (first at {where_(idx[0])}, value {s[idx[0]]!r}); "
                              "every referral needs a score: fill them in, or pass --drop-missing to leave those rows out")
    ok = s[~missing]
    if score_range is not None:
        lo, hi = check_score_range(score_range)
        out = ~missing & ((s < lo) | (s > hi))
        if out.any():
            raise DecideError(f"column '{column}': {_count_share(out)} score(s) outside the stated range [{lo:g}, {hi:g}] "
                              f"(lowest {np.nanmin(s[out]):g}, highest {np.nanmax(s[out]):g}): {_rows_at(s, out, where_)}; "
                              "correct them, or state the score's real range with --score-range LOW HIGH")
    elif ok.size:
        inside = ((ok >= 0) & (ok <= 1)).mean()
        if PROBABILITY_LIKE <= inside < 1:
            out = ~missing & ((s < 0) | (s > 1))
            raise DecideError(f"column '{column}': nearly every score lies between 0 and 1, as a probability does, but "
                              f"{_count_share(out)} do not: {_rows_at(s, out, where_)}. If the score is a probability "
                              "these are errors: correct them. If the tool's scale is wider, say so with --score-range LOW HIGH")
    return s, (missing if missing.any() else None)


#: Without a stated score range, scores are read as probabilities when at least this share lie in [0, 1];
#: the rest are then refused as errors rather than silently audited.
PROBABILITY_LIKE = 0.8


def check_score_range(score_range) -> tuple[float, float]:
    """A stated score range as two finite numbers, low below high."""
    try:
        lo, hi = (float(v) for v in score_range)
    except (TypeError, ValueError):
        raise DecideError(f"the score range must be two numbers LOW HIGH (e.g. 0 1), got {score_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise DecideError(f"the score range must be two finite numbers (e.g. 0 1), got {lo:g} {hi:g}")
    if lo > hi:
        raise DecideError(f"the score range {lo:g} {hi:g} is reversed: give the lowest possible score first, "
                          f"e.g. --score-range {hi:g} {lo:g}")
    if lo == hi:
        raise DecideError(f"the score range {lo:g} {hi:g} is a single value: give the lowest and the highest possible score")
    return lo, hi


def _count_share(mask: np.ndarray) -> str:
    return f"{int(mask.sum())} ({mask.mean():.0%})" if mask.mean() >= 0.01 else f"{int(mask.sum())}"


def _rows_at(s: np.ndarray, mask: np.ndarray, where_, limit: int = 8) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(f"{s[i]:g} at {where_(i)}" for i in idx[:limit])
    return shown + (f", and {idx.size - limit} more" if idx.size > limit else "")


def _score_bins(s: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer bin codes for the scores, each bin's score value, and whether the bins are exact.

    Scores on a decimal grid (integers, or probabilities given to a few decimals) are binned
    exactly, one bin per possible value, in a few vector operations (no sort). Otherwise the range
    is cut into ``max_bins`` equal widths; the AUC then treats scores in one bin as ties, and the
    audit reports the most that can change it.
    """
    lo, hi = float(s.min()), float(s.max())
    sample = s[:: max(1, s.size // 100_000)]  # find the grid on a sample, then check every score once
    for decimals in range(0, 7):
        scale = 10.0 ** decimals
        if (hi - lo) * scale + 1 > max(max_bins, 2001):
            break
        tol = 1e-6 * max(1.0, abs(lo) * scale, abs(hi) * scale)
        if np.abs(sample * scale - np.rint(sample * scale)).max() > tol:
            continue
        rounded = np.rint(s * scale)
        if np.abs(s * scale - rounded).max() <= tol:
            base = rounded.min()
            codes = (rounded - base).astype(np.int64)
            k = int(codes.max()) + 1
            return codes, (base + np.arange(k)) / scale, True
    if hi == lo:
        return np.zeros(s.size, dtype=np.int64), np.array([lo]), True
    width = (hi - lo) / max_bins
    codes = np.minimum(((s - lo) / width).astype(np.int64), max_bins - 1)
    return codes, lo + width * (np.arange(max_bins) + 0.5), False


@dataclass
class Counts:
    """The counts an audit works from, and what is known about how they were made.

    ``table`` has one row per (group columns..., score, flag, outcome) with ``n`` referrals and
    ``score_sum`` (the sum of their scores, for the mean score in a calibration band).
    """

    table: pd.DataFrame
    group_columns: list[str]
    score_exact: bool = True  # False when continuous scores were binned (AUC then has a tie bound)
    threshold: float | None = None
    flag_column: str | None = None
    score_column: str | None = None
    outcome_column: str | None = None
    source: str = "data"
    rows: int = 0
    notes: list[str] = field(default_factory=list)


def count_rows(data: pd.DataFrame, *, score: str | None, outcome: str, group, threshold: float | None = None,
               flag: str | None = None, score_range=None, drop_missing: bool = False, max_bins: int = 1000,
               source: str | None = None) -> Counts:
    """Count referrals by group, score, flag and recorded outcome, in one ``np.bincount`` pass.

    ``group`` is a column name or a list of them (several columns give their intersections, like
    fairlearn's MetricFrame). The flag is ``score >= threshold``, or an existing 0/1 column. The
    input DataFrame is not modified.
    """
    groups = [group] if isinstance(group, str) else list(group)
    source = source or data.attrs.get("source", "data")
    line_offset = data.attrs.get("line_offset")
    lines = data.attrs.get("lines")
    notes: list[str] = []

    def where_(i):
        return _where(data.index, i, line_offset, lines)

    if not groups:
        raise DecideError("name at least one group column (--group COLUMN)")
    how = ("say how referrals are flagged: give either a threshold on the score (--threshold T: flagged when the score is "
           "T or more) or a 0/1 column that records the decision (--flag COLUMN)")
    if threshold is None and flag is None:
        raise DecideError(how)
    if threshold is not None and flag is not None:
        raise DecideError(how + ", not both")
    if threshold is not None and score is None:
        raise DecideError("--threshold needs a score column (--score COLUMN)")
    if threshold is not None:
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise DecideError(f"--threshold must be a number, got {threshold!r}") from None
        if not math.isfinite(threshold):
            raise DecideError(f"--threshold must be a finite number inside the score's range, got {threshold}")
    if score_range is not None:
        score_range = check_score_range(score_range)
    needed = [c for c in [score, outcome, flag, *groups] if c is not None]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        cols = list(map(str, data.columns))
        raise DecideError(f"{source}: " + "; ".join(f"column '{c}' not found{_suggest(c, cols)}" for c in missing)
                          + f". The columns are: {_listing(cols, 30)}")
    if len(set(needed)) < len(needed):
        raise DecideError(f"a column is named twice among score, outcome, flag and group: {needed}")
    reserved = {"score", "flag", "outcome", "n", "score_sum"} & set(groups)
    if reserved:
        raise DecideError(f"a group column may not be called {_listing(sorted(reserved))}: rename it in the file")
    if len(data) == 0:
        raise DecideError(f"{source} has no rows")

    drop = np.zeros(len(data), dtype=bool)
    y, miss = _binary(data[outcome], outcome, where_, drop_missing, notes)
    if miss is not None:
        drop |= miss
    s = None
    if score is not None:
        s, miss = _scores(data[score], score, where_, score_range, drop_missing, notes)
        if miss is not None:
            drop |= miss
    if flag is not None:
        f, miss = _binary(data[flag], flag, where_, drop_missing, notes)
        if miss is not None:
            drop |= miss
    group_codes, group_values = [], []
    for col in groups:
        codes, uniques = pd.factorize(data[col], sort=True, use_na_sentinel=True)
        uniques = [str(u) for u in uniques]
        broken = [u for u in uniques if _NOT_FINITE_TEXT.match(u)]
        if broken:
            first = int(np.flatnonzero(np.isin(codes, [uniques.index(u) for u in broken]))[0])
            raise DecideError(f"column '{col}' holds {_listing(broken)} as a group (first at {where_(first)}): that is a "
                              "number that is not finite, usually left by a broken export, not a group's name; fix or rename it")
        if (codes < 0).any():
            idx = np.flatnonzero(codes < 0)
            notes.append(f"column '{col}' is empty in {len(idx)} row(s) (first at {where_(idx[0])}); "
                         f"they are kept as their own group, '{MISSING_GROUP}'")
            codes = np.where(codes < 0, len(uniques), codes)
            uniques.append(MISSING_GROUP)
        group_codes.append(codes)
        group_values.append(uniques)
    if drop.any():
        keep = ~drop
        notes.append(f"{int(drop.sum())} of {len(data)} row(s) left out because the score, outcome or flag was empty "
                     "(--drop-missing)")
        y = y[keep]
        s = s[keep] if s is not None else None
        if flag is not None:
            f = f[keep]
        group_codes = [c[keep] for c in group_codes]
        if y.size == 0:
            raise DecideError(f"{source}: no rows left after leaving out the empty ones")
    if threshold is not None:
        if score_range is not None:
            lo, hi = check_score_range(score_range)
            scale = f"the stated score range [{lo:g}, {hi:g}]"
        elif s.min() >= 0 and s.max() <= 1:
            lo, hi = 0.0, 1.0
            scale = "0 to 1 (the scores look like probabilities)"
        else:
            lo, hi = float(s.min()), float(s.max())
            scale = f"the range of the scores, {lo:g} to {hi:g} (pass --score-range LOW HIGH to state the tool's own)"
        if not lo <= threshold <= hi:
            raise DecideError(f"--threshold {threshold:g} is outside {scale}: choose a threshold inside it")
        f = (s >= threshold).astype(np.int8)
        if s.min() == s.max():
            raise DecideError(f"column '{score}' holds the same score, {s.min():g}, for every referral: it cannot tell "
                              "families apart, so there is nothing to audit; check that --score names the tool's score")
        share = f.mean()
        if 0 < share < 1 and not 0.05 <= share <= 0.95:
            notes.append(f"--threshold {threshold:g} flags {share:.1%} of referrals (the scores run from {s.min():g} to "
                         f"{s.max():g}): check that it is on the score's own scale")
        if not f.any() or f.all():
            raise DecideError(f"--threshold {threshold:g} flags {'nobody' if not f.any() else 'everybody'} (the scores run "
                              f"from {s.min():g} to {s.max():g}): an audit compares flagged with unflagged families, so "
                              f"choose a threshold above {s.min():g} and at most {s.max():g}")
    elif not f.any() or f.all():
        raise DecideError(f"column '{flag}' is {int(f[0])} for every referral: {'nobody' if not f.any() else 'everybody'} "
                          "is flagged, so there is nothing to compare; check that --flag names the tool's flag or decision")
    if not y.any() or y.all():
        raise DecideError(f"column '{outcome}' is {int(y[0])} for every referral: with {'no' if not y.any() else 'every'} "
                          "family having the outcome, error rates cannot be measured; check that --outcome names the "
                          "recorded outcome (1 = it happened)")
    # One combined integer code per row: group, score bin, flag, outcome.
    g = np.zeros(y.size, dtype=np.int64)
    for codes, values in zip(group_codes, group_values):
        g = g * len(values) + codes
    n_groups = math.prod(len(v) for v in group_values)
    if s is not None:
        bins, bin_scores, exact = _score_bins(s, max_bins)
    else:
        bins, bin_scores, exact = np.zeros(y.size, dtype=np.int64), np.array([np.nan]), True
    k = len(bin_scores)
    key = ((g * k + bins) * 2 + f) * 2 + y
    size = n_groups * k * 4
    n = np.bincount(key, minlength=size)
    nz = np.flatnonzero(n)
    ssum = np.bincount(key, weights=s, minlength=size)[nz] if s is not None else np.full(nz.size, np.nan)
    gi, rest = np.divmod(nz, k * 4)
    bi, rest = np.divmod(rest, 4)
    fi, yi = np.divmod(rest, 2)
    table = {}
    for col, values in reversed(list(zip(groups, group_values))):
        gi, ci = np.divmod(gi, len(values))
        table[col] = np.asarray(values, dtype=object)[ci]
    table = {c: table[c] for c in groups}
    table.update(score=bin_scores[bi], flag=fi.astype(np.int8), outcome=yi.astype(np.int8), n=n[nz], score_sum=ssum)
    if not exact:
        notes.append(f"scores are continuous: they were counted in {k} equal-width bands of the score for the AUC and "
                     "calibration (the AUC's possible error from this is reported)")
    return Counts(pd.DataFrame(table), groups, score_exact=exact, threshold=threshold, flag_column=flag,
                  score_column=score, outcome_column=outcome, source=source, rows=int(y.size), notes=notes)


