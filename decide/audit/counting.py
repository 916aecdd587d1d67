"""Counting: the one step that touches every row. It turns the referrals into the audit's small count table,
one row per (group..., score, flag, outcome) with how many referrals fall in it; everything after works on that
table alone. :func:`count_rows` counts a pandas DataFrame with numpy; :func:`count_table` counts any Ibis table
where it lives (DuckDB, PostgreSQL, Spark), with every check done as a query; both give the same table.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from decide.audit.common import MISSING_GROUP, _NA_TEXT, _NOT_FINITE_TEXT, _listing, _suggest, _where
from decide.errors import DecideError

# ----------------------------------------------------------------------------------------------
# Counting rows (the thin, vectorised layer)
# ----------------------------------------------------------------------------------------------

_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}


def _binary(values: "pd.Series", column: str, where_, drop_missing: bool, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """A 0/1 column as int8, and a mask of missing rows (None when there are none)."""
    import pandas as pd

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


def _scores(values: "pd.Series", column: str, where_, score_range, drop_missing: bool, notes: list[str]):
    import pandas as pd

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


#: Continuous scores' sums are kept as whole multiples of 2^-20 of a band's width (see _score_sums).
FRACTION_SCALE = float(2 ** 20)


def _score_sums(n, bins, bin_scores, fraction, has_score: bool, exact: bool, lo: float, max_bins: int, hi: float):
    """Each cell's sum of scores, made from integers so that it does not depend on the order rows are added in
    (numpy, DuckDB, PostgreSQL and Spark add in different orders, and floating-point sums then differ in the last
    digits). On an exact grid every score in a cell is the cell's score, so the sum is n times it; for continuous
    scores it is n times the band's start plus the scores' places in the band, counted in 2^-20ths of its width
    (within a millionth of a band of the true sum)."""
    n = np.asarray(n, dtype=np.int64)
    if not has_score:
        return np.full(n.size, np.nan)
    if exact:
        return n * bin_scores[bins]
    lo, hi = float(lo), float(hi)
    width = (hi - lo) / max_bins
    return n * (lo + width * np.asarray(bins, dtype=float)) + width * np.asarray(fraction, dtype=float) / FRACTION_SCALE


@dataclass
class Counts:
    """The counts an audit works from, and what is known about how they were made.

    ``table`` has one row per (group columns..., score, flag, outcome) with ``n`` referrals and
    ``score_sum`` (the sum of their scores, for the mean score in a calibration band). An engine's counts are
    kept as numpy columns (``data``) and become a pandas table when first asked for: counting a file then never
    loads pandas, which costs more to start than DuckDB's whole count of ten million rows.
    """

    data: object  # the table: a pandas DataFrame, or a dict of equal-length numpy columns until .table is asked for
    group_columns: list[str]
    score_exact: bool = True  # False when continuous scores were binned (AUC then has a tie bound)
    threshold: float | None = None
    flag_column: str | None = None
    score_column: str | None = None
    outcome_column: str | None = None
    source: str = "data"
    rows: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> "pd.DataFrame":
        if isinstance(self.data, dict):
            import pandas as pd

            self.data = pd.DataFrame(self.data)
        return self.data


def _check_request(columns: list[str], source: str, *, score, outcome, groups, threshold, flag, score_range):
    """Refuse an impossible request before any row is touched; the threshold and score range as numbers."""
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
    missing = [c for c in needed if c not in columns]
    if missing:
        cols = list(columns)
        raise DecideError(f"{source}: " + "; ".join(f"column '{c}' not found{_suggest(c, cols)}" for c in missing)
                          + f". The columns are: {_listing(cols, 30)}")
    if len(set(needed)) < len(needed):
        raise DecideError(f"a column is named twice among score, outcome, flag and group: {needed}")
    reserved = {"score", "flag", "outcome", "n", "score_sum"} & set(groups)
    if reserved:
        raise DecideError(f"a group column may not be called {_listing(sorted(reserved))}: rename it in the file")
    return threshold, score_range


def count_rows(data: "pd.DataFrame", *, score: str | None, outcome: str, group, threshold: float | None = None,
               flag: str | None = None, score_range=None, drop_missing: bool = False, max_bins: int = 1000,
               source: str | None = None) -> Counts:
    """Count referrals by group, score, flag and recorded outcome, in one ``np.bincount`` pass.

    ``group`` is a column name or a list of them (several columns give their intersections, like
    fairlearn's MetricFrame). The flag is ``score >= threshold``, or an existing 0/1 column. The
    input DataFrame is not modified.
    """
    import pandas as pd

    groups = [group] if isinstance(group, str) else list(group)
    source = source or data.attrs.get("source", "data")
    line_offset = data.attrs.get("line_offset")
    lines = data.attrs.get("lines")
    notes: list[str] = []

    def where_(i):
        return _where(data.index, i, line_offset, lines)

    threshold, score_range = _check_request(list(map(str, data.columns)), source, score=score, outcome=outcome,
                                            groups=groups, threshold=threshold, flag=flag, score_range=score_range)
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
            _refuse_missing_clash(col, uniques)
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
    fraction = None
    if s is not None and not exact:  # each score's place inside its band, in whole 2^-20ths (exact to add)
        lo, width = float(s.min()), (float(s.max()) - float(s.min())) / max_bins
        fraction = np.bincount(key, weights=np.floor(((s - lo) / width - bins) * FRACTION_SCALE), minlength=size)[nz]
    gi, rest = np.divmod(nz, k * 4)
    bi, rest = np.divmod(rest, 4)
    fi, yi = np.divmod(rest, 2)
    table = {}
    for col, values in reversed(list(zip(groups, group_values))):
        gi, ci = np.divmod(gi, len(values))
        table[col] = np.asarray(values, dtype=object)[ci]
    table = {c: table[c] for c in groups}
    table.update(score=bin_scores[bi], flag=fi.astype(np.int8), outcome=yi.astype(np.int8), n=n[nz],
                 score_sum=_score_sums(n[nz], bi, bin_scores, fraction, s is not None, exact, s.min() if s is not None else 0,
                                       max_bins, s.max() if s is not None else 0))
    if not exact:
        notes.append(f"scores are continuous: they were counted in {k} equal-width bands of the score for the AUC and "
                     "calibration (the AUC's possible error from this is reported)")
    return Counts(pd.DataFrame(table), groups, score_exact=exact, threshold=threshold, flag_column=flag,
                  score_column=score, outcome_column=outcome, source=source, rows=int(y.size), notes=notes)




# ----------------------------------------------------------------------------------------------
# Counting where the data live: one Ibis expression, any engine
# ----------------------------------------------------------------------------------------------

#: At most this many example values are fetched for a message.
EXAMPLES = 5


def _is_table(data) -> bool:
    return type(data).__module__.startswith("ibis.") and hasattr(data, "schema") and hasattr(data, "aggregate")


def count(data, *, score: str | None, outcome: str, group, threshold: float | None = None, flag: str | None = None,
          score_range=None, drop_missing: bool = False, max_bins: int = 1000, source: str | None = None,
          delimiter: str | None = None, encoding: str | None = None) -> Counts:
    """Count referrals wherever they are: a pandas DataFrame with numpy (:func:`count_rows`); anything else
    (a polars or pyarrow table, an Ibis table on any engine, the path of a CSV or Parquet file or a glob of
    them) by the engine (:func:`count_table`). Both give the same count table.

    A CSV file the engine refuses that is small enough to read whole (:data:`LINE_CHECK_BYTES`) is read
    again line by line, so that the message names the lines to fix, as it always has.
    """
    options = dict(score=score, outcome=outcome, group=group, threshold=threshold, flag=flag, score_range=score_range,
                   drop_missing=drop_missing, max_bins=max_bins)
    pandas = sys.modules.get("pandas")  # a DataFrame exists only once pandas is loaded: never load it to ask
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return count_rows(data, source=source, **options)
    import duckdb

    from decide.audit.reading import file_kind, file_paths, open_table, parsed, read_by_engine, read_referrals

    groups = [group] if isinstance(group, str) else list(group)
    needed = [c for c in [score, outcome, flag, *groups] if c]
    paths = file_paths(data) if isinstance(data, (str, Path)) else []
    one_csv = len(paths) == 1 and file_kind(paths[0]) == "csv"

    def by_lines(refusal: Exception) -> Counts:
        if not one_csv or paths[0].stat().st_size > LINE_CHECK_BYTES:
            raise refusal
        notes: list[str] = []
        frame = read_referrals(paths[0], needed, delimiter=delimiter, encoding=encoding, string_columns=groups,
                               notes=notes)
        counts = count_rows(frame, source=source or str(data), **options)  # raises the message that names lines
        counts.notes[:0] = notes
        return counts

    def on_engine(as_text: bool, typed_quickly: bool = False) -> Counts:
        notes: list[str] = []
        csv_files = bool(paths) and file_kind(paths[0]) == "csv"
        table, label = open_table(data, needed, delimiter=delimiter, encoding=encoding, string_columns=groups,
                                  notes=notes, as_text=as_text, parse_once=not csv_files, typed_quickly=typed_quickly)
        # CSV: one pass straight from the text (clean scores on a grid need no more); parsed once only when the
        # counting needs several passes.
        again = _once(lambda: parsed(table)) if csv_files and read_by_engine(encoding) else None
        counts = count_table(table, source=source or label, reread=again, **options)
        counts.notes[:0] = notes
        return counts

    if paths and DIRECT_SQL:  # local files, the common clean case: DuckDB's SQL without Ibis (the same table)
        from decide.audit.direct import count_files

        try:
            counts = count_files(paths, source=source or str(data), delimiter=delimiter, encoding=encoding, **options)
        except DecideError:
            counts = None  # refused: the general way below refuses it too, and words it as it always has
        if counts is not None:
            return counts
    if _is_table(data):  # on the user's own engine: its errors (a refused permission, a lost connection) in words
        from decide.audit.engines import engine_errors

        with engine_errors(source or "table"):
            return on_engine(as_text=False)
    try:
        try:
            return on_engine(as_text=False, typed_quickly=True)
        except duckdb.Error as exc:
            if not paths or file_kind(paths[0]) != "csv":
                raise
            if _maybe_missing_text(exc):  # 'NA', 'NULL'... in a number column: missing, as pandas reads it
                try:
                    return on_engine(as_text=False)
                except duckdb.Error:
                    pass
            return on_engine(as_text=True)  # a value the type detection did not expect: let the checks name it
    except DecideError as exc:
        return by_lines(exc)
    except duckdb.Error as exc:
        what = "CSV" if paths and file_kind(paths[0]) == "csv" else "table"
        refusal = DecideError(f"{source or data}: not a well-formed {what}: {_engine_message(exc)}")
        return by_lines(refusal)


#: Whether local CSV and Parquet files are counted first by :mod:`decide.audit.direct` (tests turn it off to compare).
DIRECT_SQL = True


def _maybe_missing_text(exc: Exception) -> bool:
    """Whether an engine's refusal of a CSV value may be a text that means 'missing' (then the file is read again
    with such texts made NULL): True unless DuckDB's message names a value that is not one of them."""
    found = re.search(r'Could not convert string "(.*?)" to', str(exc))
    return found is None or found.group(1) in _NA_TEXT


def _once(make):
    """``make`` called the first time it is asked for, and the same result after."""
    made = []

    def get():
        if not made:
            made.append(make())
        return made[0]

    return get


#: A CSV file up to this size that the engine refuses is read again whole, to name the lines at fault.
LINE_CHECK_BYTES = 64 * 2 ** 20


def _engine_message(exc: Exception) -> str:
    """The engine's own explanation, in its first lines (DuckDB names the line of a malformed CSV row)."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()][:3]
    text = "; ".join(lines)
    for prefix in ("Invalid Input Error: ", "Conversion Error: "):
        text = text.replace(prefix, "")
    return text[:400]


def _fetch(expr) -> dict[str, np.ndarray]:
    """Run an Ibis table expression on its engine and bring back its small result as numpy columns (an empty
    value as None in a column of text, NaN in a column of numbers). On DuckDB the rows come back as Python tuples,
    so counting a file never loads pandas; other engines go through Ibis's own ``execute``."""
    schema = expr.schema()
    backend = expr._find_backend(use_default=True)  # a table from Python (memtable) runs on the default DuckDB
    plain = all(t.is_string() or t.is_integer() or t.is_floating() or t.is_boolean() for t in schema.types)
    if backend.name == "duckdb" and plain and hasattr(backend, "_to_duckdb_relation"):
        rows = backend._to_duckdb_relation(expr).fetchall()
        columns = list(zip(*rows)) if rows else [()] * len(schema)
        return {name: _column(values, _kind(dtype)) for (name, dtype), values in zip(schema.items(), columns)}
    import pandas as pd

    frame = expr.execute()
    return {name: _column([None if pd.isna(v) else v for v in frame[name].tolist()], _kind(dtype))
            for name, dtype in schema.items()}


def _kind(dtype) -> str:
    return "int" if dtype.is_integer() else "float" if dtype.is_floating() else "object"


def _column(values, kind: str) -> np.ndarray:
    """One fetched column: whole numbers as int64 (float with NaN when some are empty), real numbers as float,
    anything else (text, true/false) as objects with None for empty."""
    if kind == "int" and not any(v is None for v in values):
        return np.array(values, dtype=np.int64)
    if kind in ("int", "float"):
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _sum_cells(cells: dict, keys: list[str]) -> dict[str, np.ndarray]:
    """The cells' ``n`` added up over equal keys (in the order each key first appears)."""
    sums: dict = {}
    for key, n in zip(zip(*(cells[k].tolist() for k in keys)), cells["n"].tolist()):
        key = tuple(None if _missing(v) else v for v in key)
        sums[key] = sums.get(key, 0) + n
    out = {k: _column([key[i] for key in sums], "int" if k in ("b", "f", "y") else "object")
           for i, k in enumerate(keys)}
    out["n"] = np.array(list(sums.values()), dtype=np.int64)
    return out


def _examples(table, expr, where) -> list:
    """A few distinct example values of ``expr`` among the rows ``where`` holds (for a message)."""
    got = _fetch(table.filter(where).select(v=expr).distinct().limit(EXAMPLES))["v"]
    return sorted(got.tolist(), key=str)


def _binary_parts(table, column: str) -> dict:
    """A 0/1 column on the engine: its value (0/1), and which rows are missing or hold something else."""
    import ibis

    col = table[column]
    dtype = col.type()
    if dtype.is_boolean():
        flag = ibis.ifelse(col, 1, 0).cast("int8")  # PostgreSQL casts a boolean to integer only, not smallint
        return dict(value=flag, missing=col.isnull(), bad=ibis.literal(False), raw=col)
    if dtype.is_integer():
        return dict(value=col.cast("int8"), missing=col.isnull(), bad=col.notnull() & ~col.isin([0, 1]), raw=col)
    if dtype.is_numeric():
        x = col.cast("float64")
        missing = x.isnull() | x.isnan()
        return dict(value=ibis.ifelse(x == 1.0, 1, 0).cast("int8"), missing=missing,
                    bad=~missing & (x != 0.0) & (x != 1.0), raw=col)
    key = col.cast("string").strip().lower()
    is_true, is_false = key.isin(sorted(_TRUE)), key.isin(sorted(_FALSE))
    return dict(value=ibis.ifelse(is_true, 1, 0).cast("int8"), missing=col.isnull(),
                bad=col.notnull() & ~is_true & ~is_false, raw=col)


def _score_parts(table, column: str, score_range, nan_by_text: bool = False) -> dict:
    """The score on the engine as a float, and which rows are not numbers, missing, infinite or out of range
    (``nan_by_text``: tell NaN by its text too, slower, for an engine whose ISNAN missed some; see the caller)."""
    col = table[column]
    dtype = col.type()
    if dtype.is_boolean():
        raise DecideError(f"column '{column}' holds true/false values; pass it as --flag, not --score")
    if dtype.is_numeric():
        s, not_number = col.cast("float64"), None
    else:
        s = col.cast("string").strip().try_cast("float64")
        not_number = s.isnull() & col.notnull()
    nan = s.isnull() | s.isnan()
    if nan_by_text:
        nan = nan | (s.cast("string").lower() == "nan")
    inf = ~nan & s.isinf()
    finite = ~nan & ~inf
    lo, hi = check_score_range(score_range) if score_range is not None else (0.0, 1.0)
    return dict(value=s, raw=col, not_number=not_number, nan=nan, inf=inf, finite=finite,
                out=finite & ((s < lo) | (s > hi)), lo=lo, hi=hi)


def _refuse_missing_clash(column: str, values) -> None:
    """Empty group cells become the group '(missing)': refused when a real group already has that name (the two
    would be counted as one)."""
    if any(str(v) == MISSING_GROUP for v in values):
        raise DecideError(f"column '{column}' has a group named '{MISSING_GROUP}' and also empty cells, which the audit "
                          f"keeps as a group of that name, so the two would be counted as one: rename that group "
                          f"(e.g. 'missing (recorded)') or fill in the empty cells")


def _finest_decimals(lo: float, hi: float, max_bins: int) -> int | None:
    """The most decimals :func:`_score_bins` would try for scores from lo to hi (None: not even whole numbers)."""
    last = None
    for decimals in range(0, 7):
        if (hi - lo) * 10.0 ** decimals + 1 > max(max_bins, 2001):
            break
        last = decimals
    if last is not None and max(abs(lo), abs(hi)) * 10.0 ** last >= 2.0 ** 52:
        return None  # too large to round through a whole number on every engine
    return last


def _grid_from_buckets(cells: dict, lo: float, hi: float, max_bins: int, finest: int):
    """Decide the score grid exactly as :func:`_score_bins` does, from cells that hold each bucket's lowest and
    highest score (a bucket: the scores that round to one value at ``finest`` decimals, by group, flag and outcome).

    Within a bucket the distance of score x 10^d from a whole number is largest at the bucket's lowest or highest
    score (it moves linearly between them unless they round to different whole numbers, and then the scores are not
    on that grid), so the largest distance over every row is found from the two ends of every bucket, with the same
    arithmetic numpy uses. Returns (bin code of each cell, bin scores) or None when the scores are on no grid.
    """
    low = np.asarray(cells["s_lo"], dtype=float)
    high = np.asarray(cells["s_hi"], dtype=float)
    for decimals in range(0, finest + 1):
        scale = 10.0 ** decimals
        tol = 1e-6 * max(1.0, abs(lo) * scale, abs(hi) * scale)
        a, b = low * scale, high * scale
        ra, rb = np.rint(a), np.rint(b)
        if (ra != rb).any():
            continue
        if max(np.abs(a - ra).max(), np.abs(b - rb).max()) <= tol:
            base = float(np.rint(lo * scale))
            k = int(np.rint(hi * scale) - base) + 1
            return (ra - base).astype(np.int64), (base + np.arange(k)) / scale
    return None


def _bins(s, lo: float, hi: float, max_bins: int):
    """Equal-width bands of continuous scores, as :func:`_score_bins` cuts them: (code, band scores, fraction)."""
    import ibis

    if hi == lo:
        return ibis.literal(0).cast("int64"), np.array([lo]), None
    width = (hi - lo) / max_bins
    place = (s - lo) / width
    codes = ibis.least(place.floor().cast("int64"), max_bins - 1)
    fraction = ((place - codes.cast("float64")) * FRACTION_SCALE).floor().cast("int64")
    return codes, lo + width * (np.arange(max_bins) + 0.5), fraction


def _refuse_binary(table, column, parts, n_bad, n_missing, drop_missing, source) -> None:
    if n_bad:
        found = _examples(table, parts["raw"], parts["bad"])
        raise DecideError(f"column '{column}' must be binary (1 = yes, 0 = no; true/false and yes/no are also read), "
                          f"but {n_bad} row(s) hold other values, e.g. {_listing(found, EXAMPLES)} (in {source}). "
                          "Recode it so 1 means the event happened")
    if n_missing and not drop_missing:
        raise DecideError(f"column '{column}' is empty in {n_missing} row(s) (in {source}); "
                          "fill them in, or pass --drop-missing to leave those rows out (and say so in the write-up)")


def _refuse_score(table, column, parts, st, score_range, drop_missing, rows, source) -> None:
    if parts["not_number"] is not None and int(st["s_not_number"]):
        n_bad = int(st["s_not_number"])
        raise DecideError(f"column '{column}' must hold numbers (the tool's score), but {n_bad} row(s) do not, "
                          f"e.g. {_listing(_examples(table, parts['raw'], parts['not_number']), EXAMPLES)} (in {source})")
    n_nan, n_inf = int(st["s_nan"]), int(st["s_inf"])
    if n_nan and (not drop_missing or n_inf) or n_inf:
        what = "infinite" if n_inf else "empty or not a number"
        fix = ("fix them (--drop-missing leaves out only empty scores, and an infinite score is an error, not an empty one)"
               if n_inf and drop_missing else "fill them in, or pass --drop-missing to leave those rows out")
        raise DecideError(f"column '{column}' is {what} in {n_inf or n_nan} row(s) (in {source}); "
                          f"every referral needs a score: {fix}")
    n_out, n_finite = int(st["s_out"]), int(st["s_finite"])
    if not n_out:
        return
    share = f"{n_out} ({n_out / rows:.0%})" if n_out / rows >= 0.01 else f"{n_out}"
    examples = ", ".join(f"{v:g}" for v in _examples(table, parts["value"], parts["out"]))
    span = f"lowest {float(st['s_out_min']):g}, highest {float(st['s_out_max']):g}"
    if score_range is not None:
        raise DecideError(f"column '{column}': {share} score(s) outside the stated range [{parts['lo']:g}, {parts['hi']:g}] "
                          f"({span}), e.g. {examples} (in {source}); "
                          "correct them, or state the score's real range with --score-range LOW HIGH")
    if PROBABILITY_LIKE <= (n_finite - n_out) / n_finite < 1:
        raise DecideError(f"column '{column}': nearly every score lies between 0 and 1, as a probability does, but "
                          f"{share} do not ({span}), e.g. {examples} (in {source}). If the score is a probability these "
                          "are errors: correct them. If the tool's scale is wider, say so with --score-range LOW HIGH")


def count_table(table, *, score: str | None, outcome: str, group, threshold: float | None = None,
                flag: str | None = None, score_range=None, drop_missing: bool = False, max_bins: int = 1000,
                source: str | None = None, reread=None) -> Counts:
    """Count referrals by group, score, flag and recorded outcome inside the engine that holds them.

    ``table`` is an Ibis table on any backend (DuckDB, PostgreSQL, Spark...). Clean data take one pass
    over the rows (:func:`_count_one_pass`): a ``GROUP BY`` whose small result holds everything the
    checks need as well as the counts (the lowest and highest score come first from a cheap query that
    DuckDB answers from a Parquet file's statistics). When that result shows anything wrong, or leaves a
    check undecided, the rows are checked again one test at a time (:func:`_count_table_checked`), which
    gives the message and, for data it accepts, the same table. No row comes back to Python. The result
    is the table :func:`count_rows` makes from the same rows, value for value.

    ``reread``, when given, returns the same rows in a form cheaper to read again (a CSV file parsed once into
    the engine's own columns); it is called only when the counting needs more than one pass.
    """
    groups = [group] if isinstance(group, str) else list(group)
    source = source or "table"
    threshold, score_range = _check_request(list(table.columns), source, score=score, outcome=outcome, groups=groups,
                                            threshold=threshold, flag=flag, score_range=score_range)
    options = dict(score=score, outcome=outcome, group=groups, threshold=threshold, flag=flag,
                   score_range=score_range, drop_missing=drop_missing, max_bins=max_bins, source=source)
    if score is not None and table[score].type().is_boolean():
        raise DecideError(f"column '{score}' holds true/false values; pass it as --flag, not --score")
    if score is None or table[score].type().is_numeric():
        counts = _count_one_pass(table, reread=reread, **options)
        if counts is not None:
            return counts
    return _count_table_checked(reread() if reread is not None else table, **options)


def _codes(col):
    """A 0/1 column as one small code per row, computed once: 0 or 1, -1 (or 2) for any other value, NULL when
    empty. Integers are clamped (two comparisons, no CASE), so a wrong column still gives at most four codes."""
    import ibis

    dtype = col.type()
    if dtype.is_boolean():
        return ibis.cases((col, 1), (~col, 0))
    if dtype.is_integer():
        return ibis.least(ibis.greatest(col, -1), 2)
    if dtype.is_numeric():
        x = col.cast("float64")
        return ibis.cases((x == 0.0, 0), (x == 1.0, 1), (x.isnull() | x.isnan(), ibis.null("int64")), else_=-1)
    key = col.cast("string").strip().lower()
    return ibis.cases((key.isin(sorted(_TRUE)), 1), (key.isin(sorted(_FALSE)), 0), (col.isnull(), ibis.null("int64")),
                      else_=-1)


#: How many of the first rows are looked at to decide whether the scores can be grouped as they are.
SAMPLE_ROWS = 10_000
#: More cells than this from grouping the scores as they are: not few values after all (the look at the first rows
#: misled); the scores are then bucketed as before. A bound, so that such scores never come back one per row.
RAW_CELLS = 500_000


def _on_a_grid(values: np.ndarray, max_bins: int) -> bool:
    """Whether these distinct scores lie on a decimal grid that :func:`_score_bins` would count exactly."""
    lo, hi = float(values.min()), float(values.max())
    finest = _finest_decimals(lo, hi, max_bins)
    if finest is None or values.size > max(max_bins, 2001):
        return False
    return _grid_from_buckets({"s_lo": values, "s_hi": values}, lo, hi, max_bins, finest) is not None


#: The seed of the spread look's choice of blocks (the same blocks on every run).
SPREAD_SEED = 15


def _spread_look(table, s) -> np.ndarray:
    """Scores from blocks of rows chosen at random over the whole table: scores on a grid in the first rows but not
    later would otherwise be grouped one cell per distinct score before the bound on cells stops them. Only on
    DuckDB over Parquet files or tables, where it reads just the chosen blocks (about 0.1 s for 10^8 rows); an
    empty look elsewhere (Spark would read every row; a CSV file is parsed whole)."""
    backend = table._find_backend(use_default=True)
    if backend.name != "duckdb":
        return np.array([])
    rows = int(_fetch(table.aggregate(n=table.count()))["n"][0])  # from the files' metadata
    if rows <= 2 * SAMPLE_ROWS:
        return np.array([])  # the look at the first rows saw most of them
    share = 2 * SAMPLE_ROWS / rows
    looked = table.select(s=s).sample(share, method="block", seed=SPREAD_SEED).limit(2 * SAMPLE_ROWS)
    return _fetch(looked)["s"].astype(float)


def _raw_cells(table, cols: dict, s) -> dict | None:
    """One ``GROUP BY`` of (groups, outcome code, flag code, score as it is) with each cell's row count; None when
    there are more than :data:`RAW_CELLS` cells (the scores are not few values: bucket them instead)."""
    work = table.select(s=s, **cols)
    cells = _fetch(work.group_by(list(cols) + ["s"]).aggregate(n=work.count()).limit(RAW_CELLS))
    return None if len(cells["n"]) >= RAW_CELLS else cells


def _count_one_pass(table, *, score, outcome, group, threshold, flag, score_range, drop_missing, max_bins,
                    source, reread=None, grid_first: bool = True) -> Counts | None:
    """The count table from one ``GROUP BY`` of (groups, outcome code, flag, score bucket), with each cell's row
    count and lowest and highest score; None when the cells show something to refuse or leave out, or a check
    they cannot decide (then :func:`_count_table_checked` redoes the checks and words the message).

    Every check of :func:`_count_table_checked` is read off the cells: an empty or non-0/1 outcome or flag is a
    cell whose code is not 0 or 1; an empty, not-a-number or infinite score one whose bucket is empty (only finite
    scores between the lowest and highest get a bucket); scores outside the stated range show in the lowest and
    highest score; a probability-like score's share inside 0-1 is bounded from the cells' lowest and highest
    scores. Each derived column is computed once per row, in one projection, so no engine repeats it.
    """
    import ibis

    groups = list(group)
    lo_s = hi_s = None
    finest = None
    raw = None
    cols = {f"g{i}": (ibis.ifelse(table[g].isnan(), ibis.null(table[g].type()), table[g])
                      if table[g].type().is_floating() else table[g]) for i, g in enumerate(groups)}
    cols["y"] = _codes(table[outcome])
    if flag is not None:
        cols["f"] = _codes(table[flag])
    if score is not None:
        s = table[score].cast("float64")
        # A look at the first rows: scores there on a grid of few values are grouped as they are (no bucket to
        # compute, no lowest and highest per cell: each cell's score is its key), so far fewer steps per row.
        first = _fetch(table.select(s=s).limit(SAMPLE_ROWS))["s"].astype(float)
        seen = first[np.isfinite(first)]
        whole = first.size < SAMPLE_ROWS  # the look saw every row
        if whole and not seen.size:
            return None  # no finite score at all: refused by the checks
        tried = bool(grid_first and seen.size and _on_a_grid(np.unique(seen), max_bins))
        if tried and not whole and reread is None:  # and a look at rows spread over the whole table, where cheap
            spread = _spread_look(table, s)
            tried = _on_a_grid(np.unique(np.concatenate([seen, spread[np.isfinite(spread)]])), max_bins)
        if tried:
            raw = _raw_cells(table, cols, s)
        if raw is None and reread is not None:  # more passes follow: over rows that are cheaper to read again
            return _count_one_pass(reread(), score=score, outcome=outcome, group=group, threshold=threshold, flag=flag,
                                   score_range=score_range, drop_missing=drop_missing, max_bins=max_bins,
                                   source=source, grid_first=not tried)
    keys = [f"g{i}" for i in range(len(groups))] + ["b", "f", "y"]
    band_scores = None
    if raw is not None:
        prepared = _raw_prepared(raw, score_range, max_bins)
        if prepared is None:
            return None
        cells, lo_s, hi_s, finest = prepared
        flagged = ibis.ifelse(s >= threshold, 1, 0) if threshold is not None else None
        fraction = None
    elif score is not None:
        if whole:
            rng = {"lo": [seen.min()], "hi": [seen.max()]}
        else:  # DuckDB reads these off a Parquet file's statistics
            rng = _fetch(table.aggregate(lo=s.min(), hi=s.max()))
        lo_s, hi_s = rng["lo"][0], rng["hi"][0]
        if not all(v is not None and np.isfinite(v) for v in (lo_s, hi_s)):  # NaN sorts above infinity on the engines
            big = ibis.literal(float("inf"))
            finite = table.filter((s < big) & (s > -big)).select(s=s)
            rng = _fetch(finite.aggregate(lo=finite.s.min(), hi=finite.s.max()))
            lo_s, hi_s = rng["lo"][0], rng["hi"][0]
        if _missing(lo_s) or _missing(hi_s):
            return None  # no finite score at all: refused by the checks
        lo_s, hi_s = float(lo_s), float(hi_s)
        if score_range is not None and (lo_s < score_range[0] or hi_s > score_range[1]):
            return None
        finest = _finest_decimals(lo_s, hi_s, max_bins)
        inside = s.between(lo_s, hi_s)  # false for NaN, infinite and (as NULL) empty scores
        if finest is not None:
            bucket = ibis.cases((inside, (s * 10.0 ** finest).round().cast("int64")))  # NULL: no finite score
            fraction = None
        elif lo_s == hi_s:
            bucket, fraction = ibis.cases((inside, ibis.literal(0).cast("int64"))), None
        else:
            codes, band_scores, fraction = _bins(s, lo_s, hi_s, max_bins)
            bucket = ibis.cases((inside, codes))
    if raw is None:
        flagged = ibis.ifelse(s >= threshold, 1, 0) if threshold is not None else None
        if threshold is not None and finest is None:
            cols["f"] = flagged  # on a grid, the flag is read off each bucket's lowest and highest score instead
        if score is not None:
            cols.update(b=bucket, s=s)
            if fraction is not None:
                cols["frac"] = ibis.cases((inside, fraction))
        else:
            cols["b"] = ibis.literal(0).cast("int64")
        work = table.select(**cols)
        sums = dict(n=work.count())
        if score is not None:
            sums.update(s_lo=work.s.min(), s_hi=work.s.max())
            if fraction is not None:
                sums["frac"] = work.frac.sum()
        cells = _fetch(work.group_by([k for k in keys if k in cols]).aggregate(**sums))

    def bands():  # scores on no grid after all: a second GROUP BY that cuts them into equal-width bands
        codes, bin_scores, fraction = _bins(s, lo_s, hi_s, max_bins)
        parts = {k: v for k, v in cols.items() if k not in ("b", "s")}
        if threshold is not None:
            parts["f"] = flagged
        work = table.select(b=codes, frac=fraction, **parts)
        return _fetch(work.group_by(keys).aggregate(n=work.count(), frac=work.frac.sum())), bin_scores

    return _counts_from_cells(cells, keys, raw=raw is not None, lo_s=lo_s, hi_s=hi_s, finest=finest,
                              band_scores=band_scores, bands=bands, groups=groups, score=score, outcome=outcome,
                              flag=flag, threshold=threshold, score_range=score_range, max_bins=max_bins, source=source)


def _raw_prepared(cells: dict, score_range, max_bins: int):
    """Cells grouped by the score as it is (see :func:`_raw_cells`) in the form the rest of the one-pass counting
    reads: each cell's lowest and highest score (its own) and its bucket; with the lowest and highest score and the
    finest grid that could fit. None when a score is empty or not finite, or outside the stated range."""
    keyed = cells["s"].astype(float)
    if not np.isfinite(keyed).all():
        return None  # an empty value (or a score that is not a finite number): refused or left out
    lo_s, hi_s = float(keyed.min()), float(keyed.max())
    if score_range is not None and (lo_s < score_range[0] or hi_s > score_range[1]):
        return None
    finest = _finest_decimals(lo_s, hi_s, max_bins)
    cells = dict(cells, s_lo=keyed, s_hi=keyed,
                 b=np.rint(keyed * 10.0 ** finest) if finest is not None else np.zeros(keyed.size))
    return cells, lo_s, hi_s, finest


def _counts_from_cells(cells: dict, keys: list[str], *, raw: bool, lo_s, hi_s, finest, band_scores, bands, groups,
                       score, outcome, flag, threshold, score_range, max_bins, source) -> Counts | None:
    """The one-pass counting's checks and table, read off its cells (see :func:`_count_one_pass`); None when they
    show something to refuse or leave out. ``bands()``, when not None, makes the second ``GROUP BY`` for scores
    that turn out to be on no grid (returning the cells and the bands' scores); without it such scores give None."""
    n = cells["n"].astype(np.int64)
    rows = int(n.sum())
    if rows == 0:
        return None
    split = False
    if "f" not in cells:  # scores rounded on a grid: a bucket is flagged when its scores are at the threshold or above
        low, high = cells["s_lo"].astype(float), cells["s_hi"].astype(float)
        split = bool(((low < threshold) & (high >= threshold)).any())  # a bucket the threshold cuts
        cells["f"] = np.where(low >= threshold, 1, 0)
    for key in ("b", "f", "y"):
        if not np.isfinite(cells[key].astype(float)).all():
            return None  # an empty value (or a score that is not a finite number): refused or left out
    cells["b"] = cells["b"].astype(float).astype(np.int64)
    y, f = cells["y"].astype(np.int64), cells["f"].astype(np.int64)
    if not (np.isin(y, (0, 1)).all() and np.isin(f, (0, 1)).all()):
        return None
    if score is not None and score_range is None and not (lo_s >= 0 and hi_s <= 1):
        low, high = cells["s_lo"].astype(float), cells["s_hi"].astype(float)
        surely_out = (high < 0) | (low > 1)
        if (rows - int(n[surely_out].sum())) / rows >= PROBABILITY_LIKE:
            return None  # perhaps probability-like with errors: the checks decide and word it
    cells = dict(cells, y=y, f=f)
    # The table: from the cells, or (scores on no grid) from a second GROUP BY that cuts them into bands.
    exact, continuous, got = True, False, cells
    if score is None:
        bin_scores = np.array([np.nan])
    elif finest is not None or (raw and lo_s != hi_s):
        grid = _grid_from_buckets(cells, lo_s, hi_s, max_bins, finest) if finest is not None else None
        if grid is not None:
            if split:
                return None  # scores on a grid that the threshold cuts inside one bucket: the checked path flags rows
            codes, bin_scores = grid
            got = _sum_cells(dict(cells, b=codes), keys)
        elif bands is None:
            return None
        else:
            got, bin_scores = bands()
            exact, continuous = False, True
    elif lo_s == hi_s:
        bin_scores = np.array([lo_s])
    else:
        bin_scores, exact, continuous = band_scores, False, True
    f_sum = int(got["n"].astype(np.int64)[got["f"].astype(np.int64) == 1].sum())
    y_sum = int(n[y == 1].sum())
    notes: list[str] = []
    if threshold is not None:
        if score_range is not None:
            lo, hi = score_range
        elif lo_s >= 0 and hi_s <= 1:
            lo, hi = 0.0, 1.0
        else:
            lo, hi = lo_s, hi_s
        if not lo <= threshold <= hi or lo_s == hi_s:
            return None
        share = f_sum / rows
        if 0 < share < 1 and not 0.05 <= share <= 0.95:
            notes.append(f"--threshold {threshold:g} flags {share:.1%} of referrals (the scores run from {lo_s:g} to "
                         f"{hi_s:g}): check that it is on the score's own scale")
    if f_sum in (0, rows) or y_sum in (0, rows):
        return None
    return _assemble(got, groups, bin_scores, exact, continuous, lo_s if score else 0.0, hi_s if score else 0.0,
                     max_bins, score is not None, threshold, flag, score, outcome, source, rows, notes)


def _count_table_checked(table, *, score: str | None, outcome: str, group, threshold: float | None = None,
                         flag: str | None = None, score_range=None, drop_missing: bool = False, max_bins: int = 1000,
                         source: str | None = None, nan_by_text: bool = False) -> Counts:
    """The counting with every check as its own test: one aggregate query of the checks, then the ``GROUP BY``
    (and a third for scores on no grid); a few example values are fetched when a check refuses."""
    import ibis

    groups = [group] if isinstance(group, str) else list(group)
    source = source or "table"
    threshold, score_range = _check_request(list(table.columns), source, score=score, outcome=outcome, groups=groups,
                                            threshold=threshold, flag=flag, score_range=score_range)
    yp = _binary_parts(table, outcome)
    sp = _score_parts(table, score, score_range, nan_by_text) if score is not None else None
    fp = _binary_parts(table, flag) if flag is not None else None
    missing = [yp["missing"]] + ([sp["nan"]] if sp else []) + ([fp["missing"]] if fp else [])
    dropped = ibis.or_(*missing) if len(missing) > 1 else missing[0]
    kept = ~dropped
    # Each row's tests computed once, as columns, then added up: one pass, every check.
    cols = dict(kept=kept, y_bad=yp["bad"], y_missing=yp["missing"], y=yp["value"])
    if fp:
        cols.update(f_bad=fp["bad"], f_missing=fp["missing"], fv=fp["value"])
    if sp:
        cols.update(s=sp["value"], s_nan=sp["nan"], s_inf=sp["inf"], s_out=sp["out"], s_finite=sp["finite"])
        if sp["not_number"] is not None:
            cols["s_not_number"] = sp["not_number"]
    pr = table.select(**cols)

    def many(name):  # rows where the test holds (a filtered count: PostgreSQL cannot cast a boolean to bigint)
        return pr.count(where=pr[name])

    agg = dict(rows=pr.count(), kept=many("kept"), y_bad=many("y_bad"), y_missing=many("y_missing"),
               y_sum=pr.y.cast("int64").sum(where=pr.kept))
    if fp:
        agg.update(f_bad=many("f_bad"), f_missing=many("f_missing"), f_sum=pr.fv.cast("int64").sum(where=pr.kept))
    if sp:
        agg.update(s_nan=many("s_nan"), s_inf=many("s_inf"), s_out=many("s_out"), s_out_min=pr.s.min(where=pr.s_out),
                   s_out_max=pr.s.max(where=pr.s_out), s_finite=many("s_finite"), s_min=pr.s.min(where=pr.kept),
                   s_max=pr.s.max(where=pr.kept))
        if sp["not_number"] is not None:
            agg["s_not_number"] = many("s_not_number")
        if threshold is not None:
            agg["t_sum"] = pr.count(where=pr.kept & (pr.s >= threshold))
    fetched = _fetch(pr.aggregate(**agg))
    st = {k: 0 if _missing(v[0]) else v[0].item() if hasattr(v[0], "item") else v[0] for k, v in fetched.items()}
    if sp and not nan_by_text and not st["s_nan"] and _missing(fetched["s_max"][0]) and table[score].type().is_floating():
        # DuckDB 2 answers ISNAN on a Parquet column from the file's statistics, which leave NaN out: it counted no
        # NaN, yet the largest score is NaN. Only then check again, telling NaN by its text (slower).
        return _count_table_checked(table, score=score, outcome=outcome, group=group, threshold=threshold, flag=flag,
                                    score_range=score_range, drop_missing=drop_missing, max_bins=max_bins,
                                    source=source, nan_by_text=True)

    rows, n_kept, y_sum = int(st["rows"]), int(st["kept"]), int(st["y_sum"] or 0)
    if rows == 0:
        raise DecideError(f"{source} has no rows")
    _refuse_binary(table, outcome, yp, int(st["y_bad"]), int(st["y_missing"]), drop_missing, source)
    if sp:
        _refuse_score(table, score, sp, st, score_range, drop_missing, rows, source)
    if fp:
        _refuse_binary(table, flag, fp, int(st["f_bad"]), int(st["f_missing"]), drop_missing, source)
    notes: list[str] = []
    if n_kept < rows:
        notes.append(f"{rows - n_kept} of {rows} row(s) left out because the score, outcome or flag was empty "
                     "(--drop-missing)")
        if n_kept == 0:
            raise DecideError(f"{source}: no rows left after leaving out the empty ones")
    if sp:
        lo_s, hi_s = float(st["s_min"]), float(st["s_max"])
    if threshold is not None:
        if score_range is not None:
            lo, hi = score_range
            scale = f"the stated score range [{lo:g}, {hi:g}]"
        elif lo_s >= 0 and hi_s <= 1:
            lo, hi = 0.0, 1.0
            scale = "0 to 1 (the scores look like probabilities)"
        else:
            lo, hi = lo_s, hi_s
            scale = f"the range of the scores, {lo:g} to {hi:g} (pass --score-range LOW HIGH to state the tool's own)"
        if not lo <= threshold <= hi:
            raise DecideError(f"--threshold {threshold:g} is outside {scale}: choose a threshold inside it")
        if lo_s == hi_s:
            raise DecideError(f"column '{score}' holds the same score, {lo_s:g}, for every referral: it cannot tell "
                              "families apart, so there is nothing to audit; check that --score names the tool's score")
        f_sum = int(st["t_sum"])
        share = f_sum / n_kept
        if 0 < share < 1 and not 0.05 <= share <= 0.95:
            notes.append(f"--threshold {threshold:g} flags {share:.1%} of referrals (the scores run from {lo_s:g} to "
                         f"{hi_s:g}): check that it is on the score's own scale")
        if f_sum in (0, n_kept):
            raise DecideError(f"--threshold {threshold:g} flags {'nobody' if f_sum == 0 else 'everybody'} (the scores run "
                              f"from {lo_s:g} to {hi_s:g}): an audit compares flagged with unflagged families, so "
                              f"choose a threshold above {lo_s:g} and at most {hi_s:g}")
        flag_expr = ibis.ifelse(sp["value"] >= threshold, 1, 0).cast("int8")  # PostgreSQL: no boolean -> smallint
    else:
        f_sum = int(st["f_sum"] or 0)
        if f_sum in (0, n_kept):
            raise DecideError(f"column '{flag}' is {0 if f_sum == 0 else 1} for every referral: "
                              f"{'nobody' if f_sum == 0 else 'everybody'} is flagged, so there is nothing to compare; "
                              "check that --flag names the tool's flag or decision")
        flag_expr = fp["value"]
    if y_sum in (0, n_kept):
        raise DecideError(f"column '{outcome}' is {0 if y_sum == 0 else 1} for every referral: with "
                          f"{'no' if y_sum == 0 else 'every'} family having the outcome, error rates cannot be measured; "
                          "check that --outcome names the recorded outcome (1 = it happened)")
    base = dict(y=yp["value"], f=flag_expr)
    for i, g in enumerate(groups):
        gcol = table[g]
        if gcol.type().is_floating():
            gcol = ibis.ifelse(gcol.isnan(), ibis.null(gcol.type()), gcol)
        base[f"g{i}"] = gcol
    source_rows = table.filter(kept) if n_kept < rows else table
    keys = [f"g{i}" for i in range(len(groups))] + ["b", "f", "y"]
    finest = _finest_decimals(lo_s, hi_s, max_bins) if sp else None
    if sp and finest is not None:
        # One GROUP BY of the scores rounded to the finest grid that could fit: few buckets, however many rows.
        work = source_rows.select(b=(sp["value"] * 10.0 ** finest).round(0).cast("int64"), s=sp["value"], **base)
        cells = _fetch(work.group_by(keys).aggregate(n=work.count(), s_lo=work.s.min(), s_hi=work.s.max()))
        grid = _grid_from_buckets(cells, lo_s, hi_s, max_bins, finest)
        if grid is not None:
            codes, bin_scores = grid
            got = _sum_cells(dict(cells, b=codes), keys)
            return _assemble(got, groups, bin_scores, True, False, lo_s, hi_s, max_bins, True, threshold, flag, score,
                             outcome, source, n_kept, notes)
    fraction = None
    if sp:  # scores on no grid: equal-width bands (a second GROUP BY, only for such scores)
        if lo_s == hi_s:
            codes, bin_scores, exact = ibis.literal(0).cast("int64"), np.array([lo_s]), True
        else:
            codes, bin_scores, fraction = _bins(sp["value"], lo_s, hi_s, max_bins)
            exact = False
    else:
        codes, bin_scores, exact = ibis.literal(0).cast("int64"), np.array([np.nan]), True
    cols = dict(b=codes, **base)
    if fraction is not None:
        cols["frac"] = fraction
    work = source_rows.select(**cols)
    sums = dict(n=work.count())
    if fraction is not None:
        sums["frac"] = work.frac.sum()
    got = _fetch(work.group_by(keys).aggregate(**sums))
    return _assemble(got, groups, bin_scores, exact, fraction is not None, lo_s if sp else 0.0, hi_s if sp else 0.0,
                     max_bins, sp is not None, threshold, flag, score, outcome, source, n_kept, notes)


def _assemble(got: dict, groups, bin_scores, exact, continuous, lo, hi, max_bins, has_score, threshold, flag,
              score, outcome, source, kept, notes) -> Counts:
    """The engine's grouped counts as the same table, in the same order, as :func:`count_rows` makes."""
    order, values = [], []
    for i, col in enumerate(groups):
        raw = got[f"g{i}"].tolist()
        present = list(dict.fromkeys(v for v in raw if not _missing(v)))
        uniques = [str(u) for u in sorted(present)]
        broken = [u for u in uniques if _NOT_FINITE_TEXT.match(u)]
        if broken:
            raise DecideError(f"column '{col}' holds {_listing(broken)} as a group (in {source}): that is a number that "
                              "is not finite, usually left by a broken export, not a group's name; fix or rename it")
        code_of = {v: j for j, v in enumerate(sorted(present))}
        codes = np.array([len(uniques) if _missing(v) else code_of[v] for v in raw], dtype=np.int64)
        if (codes == len(uniques)).any():
            _refuse_missing_clash(col, uniques)
            empty = int(np.asarray(got["n"], dtype=np.int64)[codes == len(uniques)].sum())
            notes.append(f"column '{col}' is empty in {empty} row(s) (in {source}); "
                         f"they are kept as their own group, '{MISSING_GROUP}'")
            uniques.append(MISSING_GROUP)
        order.append(codes)
        values.append(uniques)
    bins = np.asarray(got["b"]).astype(np.int64)
    f = np.asarray(got["f"]).astype(np.int64)
    y = np.asarray(got["y"]).astype(np.int64)
    sort = np.lexsort([y, f, bins, *reversed(order)])
    n = np.asarray(got["n"]).astype(np.int64)[sort]
    table = {col: np.asarray(vals, dtype=object)[codes[sort]] for col, vals, codes in zip(groups, values, order)}
    bi = bins[sort]
    fraction = np.asarray(got["frac"]).astype(np.int64)[sort] if continuous else None
    table.update(score=bin_scores[bi], flag=f[sort].astype(np.int8), outcome=y[sort].astype(np.int8), n=n,
                 score_sum=_score_sums(n, bi, bin_scores, fraction, has_score, exact, lo, max_bins, hi))
    if not exact:
        notes.append(f"scores are continuous: they were counted in {len(bin_scores)} equal-width bands of the score for "
                     "the AUC and calibration (the AUC's possible error from this is reported)")
    return Counts(table, groups, score_exact=exact, threshold=threshold, flag_column=flag,
                  score_column=score, outcome_column=outcome, source=source, rows=kept, notes=notes)
