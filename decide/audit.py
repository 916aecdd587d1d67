"""Audit a risk tool for bias: rates and errors by group with posterior intervals, disparities
against a named reference group, the impossibility result on the audit's own numbers, and how
the picture moves if the recorded outcome is itself biased.

Counts first. Everything is computed from a table of counts, one row per (group, score, flag,
recorded outcome) with how many referrals fall in it::

    area   deprivation  score  flag  outcome     n
    North  high          0.42     1        1    37
    ...

so the counting can be done by pandas (:func:`count_rows`, vectorised with ``np.bincount``), by
SQL (``SELECT area, deprivation, ROUND(score, 2) AS score, flag, outcome, COUNT(*) AS n ... GROUP
BY 1, 2, 3, 4, 5``) or by any engine, and :func:`audit_counts` does the rest. :func:`audit` is
the thin row-level layer: count, then audit the counts. :func:`read_referrals` reads a CSV with
checks that name the column, the value and the line.

Uncertainty. Every rate is a proportion k of m (for example the flagged among those re-referred,
for the true positive rate). Its posterior is Beta(a + k, b + m - k) under a Beta(a, b) prior on
that rate: Jeffreys Beta(1/2, 1/2) by default, or uniform Beta(1, 1). Intervals are equal-tailed.
Disparities (ratio and difference to the reference group) are summarised from Monte Carlo draws
of the two groups' independent Beta posteriors, with a seed. Quantities that combine rates (the
impossibility identity, label-bias bounds) use the joint posterior under independent priors on
the base rate, the true positive rate and the false positive rate, which is exactly the product
of those three Beta posteriors. The AUC's interval is a Bayesian bootstrap (Rubin 1981) of the
group's positives and negatives, done on the score counts (the same as re-weighting rows).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from decide.errors import DecideError

#: Beta(a, b) priors for every rate, by name.
PRIORS: dict[str, tuple[float, float]] = {"jeffreys": (0.5, 0.5), "uniform": (1.0, 1.0)}

# Cells of the confusion table, in this order everywhere: flagged & outcome, flagged & no outcome,
# not flagged & outcome, not flagged & no outcome.
TP, FP, FN, TN = 0, 1, 2, 3
CELLS = ("tp", "fp", "fn", "tn")

#: Each rate as (numerator cells, denominator cells, plain meaning).
RATES: dict[str, tuple[tuple[int, ...], tuple[int, ...], str]] = {
    "base_rate": ((TP, FN), (TP, FP, FN, TN), "share with the recorded outcome"),
    "selection_rate": ((TP, FP), (TP, FP, FN, TN), "share flagged by the tool"),
    "tpr": ((TP,), (TP, FN), "of those with the outcome, share flagged (true positive rate)"),
    "fpr": ((FP,), (FP, TN), "of those without the outcome, share flagged (false positive rate)"),
    "fnr": ((FN,), (TP, FN), "of those with the outcome, share not flagged (false negative rate)"),
    "tnr": ((TN,), (FP, TN), "of those without the outcome, share not flagged (true negative rate)"),
    "ppv": ((TP,), (TP, FP), "of those flagged, share with the outcome (positive predictive value)"),
    "npv": ((TN,), (FN, TN), "of those not flagged, share without the outcome (negative predictive value)"),
    "fdr": ((FP,), (TP, FP), "of those flagged, share without the outcome (false discovery rate)"),
    "for": ((FN,), (FN, TN), "of those not flagged, share with the outcome (false omission rate)"),
}
#: Short names for figures and tables.
LABELS = {"base_rate": "base rate", "selection_rate": "selection rate", "tpr": "TPR", "fpr": "FPR", "fnr": "FNR",
          "tnr": "TNR", "ppv": "PPV", "npv": "NPV", "fdr": "FDR", "for": "FOR", "auc": "AUC"}
#: Rates whose meaning depends on the recorded outcome (all but the selection rate).
LABEL_DEPENDENT = ("base_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "fdr", "for")

GROUP_SEP = " / "  # joins the values of several group columns into one group label
MISSING_GROUP = "(missing)"
FEW = 20  # a rate with a denominator below this is marked as resting on few cases


def _rng(seed: int, label: str) -> np.random.Generator:
    """One stream per named thing, so adding a group leaves the other groups' draws unchanged."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


def _suggest(name: str, choices) -> str:
    choices = [str(c) for c in choices]
    lower = {c.lower(): c for c in choices}
    if name.lower() in lower:
        return f"; did you mean '{lower[name.lower()]}'?"
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _listing(values, limit: int = 12) -> str:
    values = [str(v) for v in values]
    more = f", ... ({len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(f"'{v}'" for v in values[:limit]) + more


def _where(index, i: int, line_offset: int | None, lines=None) -> str:
    """Where a row is, in the user's terms: a line of the file, or the DataFrame's index label."""
    if lines is not None and 0 <= int(i) < len(lines):
        return f"line {int(lines[int(i)])}"
    if line_offset is not None:
        return f"line {int(i) + line_offset}"
    return f"row {index[int(i)]!r}"


# ----------------------------------------------------------------------------------------------
# Reading a CSV, with checks
# ----------------------------------------------------------------------------------------------

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def read_referrals(path, columns, *, delimiter: str | None = None, encoding: str | None = None,
                   string_columns=(), optional=(), notes: list[str] | None = None) -> pd.DataFrame:
    """Read the columns an audit needs from a CSV file, with errors that say what to fix.

    The file is only ever opened for reading. ``delimiter=None`` detects comma, semicolon, tab or
    bar from the header (and says so when it is not a comma); ``encoding=None`` means UTF-8 (with
    or without a byte-order mark). ``string_columns`` are read as text, so group codes like
    ``01`` keep their leading zero; ``optional`` columns are read when present. Returns a DataFrame whose index is the data row number
    (0 = the line after the header).
    """
    path = Path(path)
    notes = notes if notes is not None else []
    if not path.exists():
        raise DecideError(f"{path}: no such file")
    if path.is_dir():
        raise DecideError(f"{path} is a folder, not a CSV file")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise DecideError(f"{path} is empty: expected a CSV file with a header line naming the columns")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and (encoding or "").lower().replace("-", "") not in ("utf16", "utf16le", "utf16be"):
        raise DecideError(f"{path} is saved as UTF-16 (Excel's 'Unicode text'); pass --encoding utf-16, "
                          "or save it from your spreadsheet as 'CSV UTF-8'")
    enc = encoding or "utf-8-sig"
    try:
        text_head = head.decode(enc, errors="strict") if len(head) < 65536 else head[:65000].decode(enc, errors="ignore")
    except LookupError:
        raise DecideError(f"unknown encoding {encoding!r}; common ones are utf-8, cp1252 (Windows), latin-1, utf-16") from None
    except UnicodeDecodeError as exc:
        raise DecideError(_encoding_message(path, head, exc, enc)) from None
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\"\r\n" or delimiter.isalnum()):
        raise DecideError(f"--delimiter must be one separator character such as ',' ';' '|' or '\\t', got {delimiter[:20]!r}")
    header = text_head.splitlines()[0] if text_head.splitlines() else ""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    if delimiter is None:
        delimiter = best if counts[best] > 0 else ","
        if delimiter != ",":
            notes.append(f"{path.name}: read as {_DELIMITERS[delimiter]}-separated (detected from the header line)")
    elif counts.get(delimiter, header.count(delimiter)) == 0 and counts[best] > 0:
        raise DecideError(f"{path}: the header line has no {_DELIMITERS.get(delimiter, repr(delimiter))} in it but has "
                          f"{counts[best]} {_DELIMITERS[best]}s; the file looks {_DELIMITERS[best]}-separated: "
                          f"pass --delimiter '{best if best != chr(9) else chr(92) + 't'}' (or leave --delimiter out to detect it)")
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode(enc, errors="strict")
    except UnicodeDecodeError as exc:
        with open(path, "rb") as fh:
            raise DecideError(_encoding_message(path, fh.read(), exc, enc)) from None
    names, lines = _check_shape(path, text, delimiter)
    missing = [c for c in columns if c not in names]
    if missing:
        parts = [f"column '{c}' not found{_suggest(c, names)}" for c in missing]
        raise DecideError(f"{path}: " + "; ".join(parts) + f". The file's columns are: {_listing(names, 30)}")
    wanted = set(columns) | set(optional)
    twice = sorted({c for c in names if c in wanted and names.count(c) > 1})
    if twice:
        where = "; ".join(f"'{c}' is columns {', '.join(str(i + 1) for i, n in enumerate(names) if n == c)}" for c in twice)
        raise DecideError(f"{path}: the header names {_listing(twice)} more than once ({where}); the audit will not guess "
                          "which one holds the data: rename or remove the extra column")
    # Group codes are text: 'NA' may be a real group's name (North America, Namibia), so it stays one.
    na = {c: ([v for v in _NA_TEXT if v != "NA"] if c in string_columns else list(_NA_TEXT)) for c in wanted}
    try:
        df = pd.read_csv(io.StringIO(text), sep=delimiter, usecols=lambda c: str(c).strip() in wanted,
                         dtype={c: str for c in string_columns}, low_memory=False, keep_default_na=False,
                         na_values=na, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DecideError(f"{path}: not a well-formed {_DELIMITERS.get(delimiter, repr(delimiter))}-separated file: "
                          f"{str(exc)[:200]}") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise DecideError(f"{path} has a header line but no data rows")
    df.attrs["source"] = str(path)
    if len(lines) == len(df):
        df.attrs["lines"] = lines  # the file's line number of each data row
    df.attrs["line_offset"] = 2  # data row 0 is line 2 of the file
    return df


#: A group 'name' that is really a non-finite number.
_NOT_FINITE_TEXT = re.compile(r"^\s*[+-]?(inf|infinity|nan)\s*$", re.IGNORECASE)

#: Text pandas reads as missing in a number column (its default list).
_NA_TEXT = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
            "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def _check_shape(path, text: str, delimiter: str) -> tuple[list[str], np.ndarray]:
    """The header's names, and the line each data record starts on; refuses rows with too few or too many fields.

    pandas pads a short row with empty cells (shifting nothing, but emptying the last columns) and
    either refuses or silently drops a long row's extra fields; either way the row's values may be in
    the wrong columns, so the audit names those lines and stops.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, starts, bad, prev = None, [], [], 0
    try:
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if not record:
                continue
            if header is None:
                header = [f.strip() for f in record]
                continue
            if len(record) != len(header):
                bad.append((start, len(record)))
            starts.append(start)
    except csv.Error as exc:
        raise DecideError(f"{path}: not a well-formed {_DELIMITERS.get(delimiter, repr(delimiter))}-separated file "
                          f"near line {reader.line_num}: {exc}") from None
    if header is None:
        raise DecideError(f"{path} is empty: expected a CSV file with a header line naming the columns")
    if bad:
        short = [b for b in bad if b[1] < len(header)]
        long = [b for b in bad if b[1] > len(header)]
        parts = []
        for rows, word in ((short, "fewer"), (long, "more")):
            if rows:
                shown = ", ".join(f"line {ln} ({k} fields)" for ln, k in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
                parts.append(f"{len(rows)} row(s) have {word} fields than the header's {len(header)}: {shown}")
        hint = (" Every data row has one more field than the header: is there a separator at the end of each line?"
                if long and len(long) == len(starts) and all(k == len(header) + 1 for _, k in long) else "")
        raise DecideError(f"{path}: " + "; ".join(parts) + ". The audit will not guess which column each value belongs to: "
                          "fix those lines (a missing or extra separator, or a separator inside a value that needs quotes)." + hint)
    return header, np.asarray(starts, dtype=np.int64)


def _encoding_message(path, data: bytes, exc: UnicodeDecodeError, enc: str) -> str:
    # exc.start is relative to the chunk pandas decoded, so find the first bad line ourselves.
    line = None
    for i, raw in enumerate(data.splitlines(), start=1):
        try:
            raw.decode(enc if enc != "utf-8-sig" else "utf-8")
        except UnicodeDecodeError as e:
            line, byte = i, raw[e.start:e.start + 1]
            break
    else:
        byte = exc.object[exc.start:exc.start + 1] if isinstance(exc.object, bytes) else b"?"
    at = f" (byte 0x{byte.hex()} on line {line})" if line else ""
    return (f"{path} is not valid {enc.replace('-sig', '')}{at}; files saved by Excel on Windows are often cp1252: "
            "pass --encoding cp1252 (or latin-1), or save the file as 'CSV UTF-8'")


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


# ----------------------------------------------------------------------------------------------
# The audit, from counts
# ----------------------------------------------------------------------------------------------


def _rate(cells: np.ndarray, name: str) -> np.ndarray:
    num, den, _ = RATES[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        return cells[..., list(num)].sum(-1) / cells[..., list(den)].sum(-1)


def _cells_from_draws(p, tpr, fpr) -> np.ndarray:
    """Cell probabilities [tp, fp, fn, tn] from base rate, TPR and FPR draws."""
    return np.stack([p * tpr, (1 - p) * fpr, p * (1 - tpr), (1 - p) * (1 - fpr)], axis=-1)


def _auc_from_hist(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """P(score of a positive > score of a negative) + half the ties, from counts by ordered score bin."""
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.cumsum(neg, axis=-1) - neg
        return (pos * (before + 0.5 * neg)).sum(-1) / (pos.sum(-1) * neg.sum(-1))


@dataclass
class Audit:
    """The audit's results as tidy tables (see :func:`audit_counts`); plots and reports draw these."""

    groups: pd.DataFrame  # one row per group: size, confusion counts, every rate, AUC
    rates: pd.DataFrame  # long: group, metric, k, m, estimate, lower, upper, note
    disparities: pd.DataFrame  # long: group, metric, scale, estimate, lower, upper, band, p_outside, verdict
    calibration: pd.DataFrame  # group, band, n, positives, mean_score, rate, lower, upper
    impossibility: pd.DataFrame  # Chouldechova's identity on each group's numbers
    counts: Counts
    reference: str
    settings: dict
    notes: list[str]
    _joint: dict = field(repr=False, default_factory=dict)  # group -> cell-probability draws [draw, 4]

    @property
    def group_names(self) -> list[str]:
        return list(self.groups.index)

    def cells(self) -> np.ndarray:
        return self.groups[list(CELLS)].to_numpy(dtype=float)

    def label_bias(self, ranges: dict[str, tuple[float, float]] | None = None, *,
                   default: tuple[float, float] = (0.8, 1.25), grid: int = 61) -> "LabelBias":
        """Bounds on each rate and disparity if recorded outcomes are inflated or deflated.

        A factor k for a group means its recorded positives are k times its true positives
        (k > 1: surveillance adds outcome records to families who would not otherwise have them;
        k < 1: a less-watched group's outcomes go unrecorded). Which families the extra or missing
        records belong to, flagged or not, is unknown, so every split is allowed and each rate is
        reported as the range it could take (partial identification), for every k in the group's
        stated range. ``ranges`` maps group to (low, high); groups not named get ``default``, except
        the reference, which gets (1, 1) unless named.
        """
        return label_bias(self, ranges, default=default, grid=grid)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables written as CSV next to the report."""
        return {"groups": self.groups.rename_axis("group").reset_index(), "rates": self.rates, "disparities": self.disparities,
                "calibration": self.calibration, "impossibility": self.impossibility.reset_index(),
                "counts": self.counts.table}


def _interval_bounds(interval: float) -> tuple[float, float]:
    if not 0 < interval < 1:
        raise DecideError(f"interval must be between 0 and 1 (e.g. 0.9 for 90 %), got {interval!r}")
    return (1 - interval) / 2, (1 + interval) / 2


def _check_counts_table(table: pd.DataFrame, groups, source: str) -> None:
    needed = [*groups, "flag", "outcome", "n"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        cols = list(map(str, table.columns))
        raise DecideError(f"{source}: the counts table needs columns {needed}; "
                          + "; ".join(f"'{c}' not found{_suggest(c, cols)}" for c in missing))
    lines = table.attrs.get("lines")

    def at(i: int) -> str:
        return f"line {int(lines[i])}" if lines is not None and i < len(lines) else f"row {i}"

    for col in ("flag", "outcome"):
        vals = pd.to_numeric(table[col], errors="coerce")
        bad = ~vals.isin([0, 1])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DecideError(f"{source}: column '{col}' of the counts table must be 0 or 1, found {str(table[col].iloc[i])[:40]!r} at {at(i)}")
    if "score" in table.columns:
        score = pd.to_numeric(table["score"], errors="coerce")
        bad = ~np.isfinite(score.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DecideError(f"{source}: column 'score' of the counts table must hold a finite number in every row, found "
                              f"{str(table['score'].iloc[i])[:40]!r} at {at(i)} ({int(bad.sum())} such row(s)); fix them, or "
                              "leave the score column out (the audit then has no AUC or calibration)")
    n = pd.to_numeric(table["n"], errors="coerce")
    bad = n.isna() | (n < 0) | (n != np.floor(n))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DecideError(f"{source}: column 'n' of the counts table must hold whole numbers >= 0, found {str(table['n'].iloc[i])[:40]!r} at {at(i)}")
    if n.sum() == 0:
        raise DecideError(f"{source}: the counts table counts no referrals (every n is 0)")


def _resolve_reference(reference, names: list[str], sizes: np.ndarray, group_columns) -> str:
    listing = ", ".join(f"'{g}' (n={int(s)})" for g, s in zip(names, sizes))
    if reference is None or str(reference).strip() == "":
        raise DecideError("name the reference group (--reference GROUP): every disparity is measured against it, so the "
                          f"audit will not pick one for you. The groups are: {listing}. A common choice is the largest group, "
                          "or the group least exposed to surveillance; say why in the write-up")
    ref = str(reference).strip()
    if ref in names:
        return ref
    if len(group_columns) > 1:  # also accept "a,b" or "a / b" for the intersection of several columns
        for sep in (",", "/", "&", "|"):
            parts = [p.strip() for p in ref.split(sep)]
            if len(parts) == len(group_columns) and GROUP_SEP.join(parts) in names:
                return GROUP_SEP.join(parts)
    raise DecideError(f"reference group '{ref}' does not exist{_suggest(ref, names)}. The groups are: {listing}")


def audit_counts(counts: Counts | pd.DataFrame, *, reference: str, group=None, prior: str = "jeffreys",
                 interval: float = 0.9, draws: int = 4000, seed: int = 1, ratio_band: tuple[float, float] = (0.8, 1.25),
                 difference_band: float = 0.05, decisive: float = 0.9, bands=10) -> Audit:
    """Audit a tool from counts: rates with Beta posteriors, disparities, calibration, AUC, impossibility.

    ``counts`` is a :class:`Counts` (from :func:`count_rows`) or a DataFrame with the group
    column(s), ``flag`` (0/1), ``outcome`` (0/1), ``n`` and optionally ``score`` (a score or score
    band; needed for AUC and calibration) and ``score_sum``. ``reference`` names the group every
    disparity is measured against; it is required. A disparity is called *outside* the tolerance
    band (``ratio_band`` for ratios, ``±difference_band`` for differences) when its posterior
    probability of lying outside is at least ``decisive``, *within* when the probability of lying
    inside is at least ``decisive``, and otherwise *cannot tell*. ``bands`` is the number of
    calibration bands (quantiles of the score) or a list of band edges.
    """
    if isinstance(counts, pd.DataFrame):
        if group is None:
            raise DecideError("name the group column(s) of the counts table (group=...)")
        groups_cols = [group] if isinstance(group, str) else list(group)
        _check_counts_table(counts, groups_cols, counts.attrs.get("source", "counts table"))
        table = counts.copy()
        if "score_sum" not in table.columns and "score" in table.columns:
            table["score_sum"] = table["score"] * table["n"]
        counts = Counts(table, groups_cols, rows=int(table["n"].sum()),
                        score_column="score" if "score" in table.columns else None, source="counts table")
    if prior not in PRIORS:
        raise DecideError(f"prior must be one of {_listing(PRIORS)}, got {prior!r}")
    if draws < 100:
        raise DecideError(f"draws must be at least 100 for stable intervals, got {draws}")
    lo_q, hi_q = _interval_bounds(interval)
    if not (0 < ratio_band[0] < 1 < ratio_band[1]):
        raise DecideError(f"ratio band must contain 1, e.g. 0.8 1.25, got {ratio_band}")
    if not 0 < difference_band < 1:
        raise DecideError(f"difference band must be between 0 and 1 (e.g. 0.05 for 5 points), got {difference_band}")
    if not 0.5 < decisive < 1:
        raise DecideError(f"decisive probability must be between 0.5 and 1, got {decisive}")
    a, b = PRIORS[prior]
    table = counts.table
    notes = list(counts.notes)

    # Group labels and the confusion cells of each group (and of each group x score bin).
    cols = counts.group_columns
    labels = table[cols[0]].astype(str)
    for c in cols[1:]:
        labels = labels + GROUP_SEP + table[c].astype(str)
    g_idx, names = pd.factorize(labels, sort=False)
    order = np.argsort(np.asarray(names, dtype=object).astype(str), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    g_idx = rank[g_idx]
    names = [str(names[i]) for i in order]
    G = len(names)
    flag = table["flag"].to_numpy(dtype=np.int64)
    y = table["outcome"].to_numpy(dtype=np.int64)
    n = table["n"].to_numpy(dtype=float)
    cell = (1 - flag) * 2 + (1 - y)
    cells = np.zeros((G, 4))
    np.add.at(cells, (g_idx, cell), n)
    sizes = cells.sum(1)
    if G < 2:
        raise DecideError(f"only one group ('{names[0]}') in the data: an audit compares groups; check the --group column")
    ref = _resolve_reference(reference, names, sizes, cols)
    r = names.index(ref)
    if sizes[r] < 100:
        notes.append(f"the reference group '{ref}' has only {int(sizes[r])} referrals: its uncertainty widens every disparity")

    # Every rate, with its Beta posterior and draws for the disparities.
    rate_rows, draws_by = [], {}
    for name, (num, den, meaning) in RATES.items():
        k = cells[:, list(num)].sum(1)
        m = cells[:, list(den)].sum(1)
        post_a, post_b = a + k, b + m - k
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.where(m > 0, k / np.where(m > 0, m, 1), np.nan)
        lower = stats.beta.ppf(lo_q, post_a, post_b)
        upper = stats.beta.ppf(hi_q, post_a, post_b)
        for gi, gname in enumerate(names):
            note = ("no cases: undefined; the interval is the prior alone (uninformative)" if m[gi] == 0 else
                    f"fewer than {FEW} cases: a wide interval" if m[gi] < FEW else "")
            rate_rows.append(dict(group=gname, metric=name, k=int(k[gi]), m=int(m[gi]), estimate=est[gi],
                                  lower=lower[gi], upper=upper[gi], informative=bool(m[gi] > 0), note=note))
            draws_by[gname, name] = _rng(seed, f"{gname}\x00{name}").beta(post_a[gi], post_b[gi], size=draws)
    rates = pd.DataFrame(rate_rows)
    for gi, gname in enumerate(names):
        pos, neg = cells[gi, TP] + cells[gi, FN], cells[gi, FP] + cells[gi, TN]
        if pos == 0 or neg == 0:
            notes.append(f"group '{gname}' has no {'recorded outcomes' if pos == 0 else 'referrals without the outcome'}: "
                         f"its {'TPR, FNR' if pos == 0 else 'FPR, TNR'} and AUC are undefined; their intervals show the prior "
                         "alone and are marked uninformative")
        elif sizes[gi] < 50:
            notes.append(f"group '{gname}' has only {int(sizes[gi])} referrals: its intervals are wide")

    # The AUC from the score counts, with a Bayesian bootstrap interval.
    has_score = counts.score_column is not None and "score" in table.columns and table["score"].notna().any()
    auc = pd.DataFrame(index=names, columns=["auc", "auc_lower", "auc_upper", "auc_binning_error"], dtype=float)
    if has_score:
        scores = table["score"].to_numpy(dtype=float)
        uniq, b_idx = np.unique(scores, return_inverse=True)
        hist = np.zeros((G, uniq.size, 2))
        np.add.at(hist, (g_idx, b_idx, y), n)
        ssum = np.zeros((G, uniq.size))
        np.add.at(ssum, (g_idx, b_idx), table["score_sum"].to_numpy(dtype=float))
        n_auc = min(draws, 2000)
        for gi, gname in enumerate(names):
            pos, neg = hist[gi, :, 1], hist[gi, :, 0]
            point = _auc_from_hist(pos, neg)
            tie = 0.5 * (pos * neg).sum() / (pos.sum() * neg.sum()) if pos.sum() and neg.sum() else np.nan
            if pos.sum() and neg.sum():
                rng = _rng(seed, f"{gname}\x00auc")
                keep = (pos > 0) | (neg > 0)
                wp = rng.gamma(np.where(pos[keep] > 0, pos[keep], 1.0), size=(n_auc, keep.sum())) * (pos[keep] > 0)
                wn = rng.gamma(np.where(neg[keep] > 0, neg[keep], 1.0), size=(n_auc, keep.sum())) * (neg[keep] > 0)
                d = _auc_from_hist(wp, wn)
                lo, hi = np.quantile(d, [lo_q, hi_q])
            else:
                d = _rng(seed, f"{gname}\x00auc").uniform(size=n_auc)  # undefined: anything from 0 to 1
                lo, hi = 0.0, 1.0
            draws_by[gname, "auc"] = d
            auc.loc[gname] = [point, lo, hi, 0.0 if counts.score_exact else tie]
    else:
        notes.append("no score column: AUC and calibration by score band are left out")

    # Disparities against the reference.
    disp_rows = []
    metrics = list(RATES) + (["auc"] if has_score else [])
    estimates = rates.pivot(index="group", columns="metric", values="estimate").reindex(names)
    informative = dict(zip(zip(rates["group"], rates["metric"]), rates["informative"]))
    if has_score:
        for gname in names:
            informative[gname, "auc"] = bool(np.isfinite(auc.loc[gname, "auc"]))
    if has_score:
        estimates["auc"] = auc["auc"].astype(float)
    for gname in names:
        if gname == ref:
            continue
        for metric in metrics:
            dg, dr = draws_by[gname, metric], draws_by[ref, metric]
            eg, er = estimates.loc[gname, metric], estimates.loc[ref, metric]
            with np.errstate(divide="ignore", invalid="ignore"):
                for scale, d, est, band in (("ratio", dg / dr, eg / er, ratio_band),
                                            ("difference", dg - dr, eg - er, (-difference_band, difference_band))):
                    d = d[np.isfinite(d)] if scale == "ratio" else d
                    lo, hi = np.quantile(d, [lo_q, hi_q]) if d.size else (np.nan, np.nan)
                    p_out = float(((d < band[0]) | (d > band[1])).mean()) if d.size else np.nan
                    both = bool(informative[gname, metric] and informative[ref, metric])
                    if not both:
                        verdict = "cannot tell (no cases)"
                    elif scale == "ratio" and not er > 0:
                        verdict = "cannot tell (reference rate 0)"  # a ratio to a rate of 0 is not defined
                    elif p_out >= decisive:
                        verdict = "outside"
                    elif p_out <= 1 - decisive:
                        verdict = "within"
                    else:
                        verdict = "cannot tell"
                    disp_rows.append(dict(group=gname, metric=metric, scale=scale, estimate=float(est), lower=float(lo),
                                          upper=float(hi), band_low=band[0], band_high=band[1], p_outside=p_out,
                                          informative=both, verdict=verdict))
    disparities = pd.DataFrame(disp_rows)

    # Calibration by score band.
    calibration = _calibration(hist, ssum, uniq, names, bands, a, b, lo_q, hi_q) if has_score else pd.DataFrame(
        columns=["group", "band", "band_label", "score_low", "score_high", "n", "positives", "mean_score", "rate", "lower", "upper"])

    # Joint posterior draws (base rate, TPR, FPR) -> cells, for the identity and label bias.
    joint = {}
    for gi, gname in enumerate(names):
        rng = _rng(seed, f"{gname}\x00joint")
        c = cells[gi]
        p = rng.beta(a + c[TP] + c[FN], b + c[FP] + c[TN], size=draws)
        tpr = rng.beta(a + c[TP], b + c[FN], size=draws)
        fpr = rng.beta(a + c[FP], b + c[TN], size=draws)
        joint[gname] = _cells_from_draws(p, tpr, fpr)
    impossibility = _impossibility(cells, names, r, joint, lo_q, hi_q)

    # One row per group.
    wide = estimates.copy()
    wide.columns.name = None
    groups = pd.DataFrame(cells, index=pd.Index(names, name="group"), columns=list(CELLS))
    groups.insert(0, "n", sizes)
    groups.insert(1, "share", sizes / sizes.sum())
    groups = groups.astype({c: int for c in ("n", *CELLS)})
    groups = pd.concat([groups, wide[list(RATES)]], axis=1)
    if has_score:
        groups = pd.concat([groups, auc.astype(float)], axis=1)
    groups["reference"] = groups.index == ref
    settings = dict(prior=prior, prior_ab=(a, b), interval=interval, draws=draws, seed=seed, ratio_band=tuple(ratio_band),
                    difference_band=difference_band, decisive=decisive, bands=bands, reference=ref,
                    group_columns=list(cols), threshold=counts.threshold, flag_column=counts.flag_column,
                    score_column=counts.score_column, outcome_column=counts.outcome_column, source=counts.source,
                    rows=int(sizes.sum()), score_exact=counts.score_exact, has_score=has_score,
                    score_is_probability=bool(has_score and uniq.min() >= 0 and uniq.max() <= 1))
    return Audit(groups, rates, disparities, calibration, impossibility, counts, ref, settings, notes, joint)


def _calibration(hist, ssum, uniq, names, bands, a, b, lo_q, hi_q) -> pd.DataFrame:
    """Recorded outcome rate by score band and group: same score, same rate is calibration within groups."""
    totals = hist.sum(axis=(0, 2))
    if np.ndim(bands) == 0:
        n_bands = int(bands)
        if n_bands < 1:
            raise DecideError(f"bands must be at least 1, got {bands}")
        present = np.flatnonzero(totals)
        if present.size <= max(n_bands, 20):  # few distinct scores: one band per score value
            band_of = np.searchsorted(uniq[present], uniq).clip(0, present.size - 1)
        else:  # quantile bands of the overall score distribution
            cum = np.cumsum(totals)
            band_of = np.minimum(((cum - totals / 2) / cum[-1] * n_bands).astype(int), n_bands - 1)
    else:
        edges = np.asarray(sorted(bands), dtype=float)
        band_of = np.searchsorted(edges, uniq, side="right")
    _, band_of = np.unique(band_of, return_inverse=True)  # consecutive numbers for non-empty bands
    rows = []
    for band in range(band_of.max() + 1):
        inb = band_of == band
        seen = uniq[inb & (totals > 0)]
        if seen.size == 0:  # only empty score values (n = 0 rows in a counts table)
            continue
        lo_s, hi_s = seen.min(), seen.max()
        label = f"{lo_s:g}" if lo_s == hi_s else f"{lo_s:g}–{hi_s:g}"
        for gi, g in enumerate(names):
            pos = hist[gi, inb, 1].sum()
            nn = hist[gi, inb].sum()
            if nn == 0:
                continue
            rows.append(dict(group=g, band=band, band_label=label, score_low=lo_s, score_high=hi_s, n=int(nn),
                             positives=int(pos), mean_score=ssum[gi, inb].sum() / nn, rate=pos / nn,
                             lower=stats.beta.ppf(lo_q, a + pos, b + nn - pos),
                             upper=stats.beta.ppf(hi_q, a + pos, b + nn - pos)))
    return pd.DataFrame(rows)


def chouldechova_fpr(base_rate, ppv, fnr):
    """Chouldechova (2017), eq. 2.6: FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR). Holds for any confusion table."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return base_rate / (1 - base_rate) * (1 - ppv) / ppv * (1 - fnr)


def _impossibility(cells, names, r, joint, lo_q, hi_q) -> pd.DataFrame:
    """Each group's FPR from the identity, and what equal PPV with the reference would force."""
    p, ppv, fnr, fpr = (_rate(cells, m) for m in ("base_rate", "ppv", "fnr", "fpr"))
    rows = []
    jr = joint[names[r]]
    ppv_r_d = _rate(jr, "ppv")
    for gi, g in enumerate(names):
        jd = joint[g]
        pd_, fnr_d = _rate(jd, "base_rate"), _rate(jd, "fnr")
        # Equal PPV to the reference, the group's own FNR: the FPR that forces.
        need_fpr = chouldechova_fpr(p[gi], ppv[r], fnr[gi])
        need_fpr_d = chouldechova_fpr(pd_, ppv_r_d, fnr_d)
        # Equal PPV and equal FPR to the reference: the FNR that forces (may be impossible, < 0).
        with np.errstate(divide="ignore", invalid="ignore"):
            need_fnr = 1 - fpr[r] * (1 - p[gi]) / p[gi] * ppv[r] / (1 - ppv[r])
            need_fnr_d = 1 - _rate(jr, "fpr") * (1 - pd_) / pd_ * ppv_r_d / (1 - ppv_r_d)
        rows.append(dict(group=g, base_rate=p[gi], ppv=ppv[gi], fnr=fnr[gi], fpr=fpr[gi],
                         fpr_from_identity=chouldechova_fpr(p[gi], ppv[gi], fnr[gi]),
                         fpr_if_equal_ppv=need_fpr,
                         fpr_if_equal_ppv_lower=np.nanquantile(need_fpr_d, lo_q), fpr_if_equal_ppv_upper=np.nanquantile(need_fpr_d, hi_q),
                         fnr_if_equal_ppv_and_fpr=need_fnr,
                         fnr_if_equal_ppv_and_fpr_lower=np.nanquantile(need_fnr_d, lo_q),
                         fnr_if_equal_ppv_and_fpr_upper=np.nanquantile(need_fnr_d, hi_q)))
    return pd.DataFrame(rows).set_index("group")


# ----------------------------------------------------------------------------------------------
# Label bias: partial identification
# ----------------------------------------------------------------------------------------------


def relabel(cells: np.ndarray, k, *, split: str = "low") -> np.ndarray:
    """Confusion cells with recorded positives scaled to true positives = recorded / k.

    ``split`` says which families the extra (k > 1) or missing (k < 1) records belong to:
    'low' and 'high' are the two extremes (as many as possible among the unflagged, or among
    the flagged), 'proportional' spreads them like the recorded ones (mislabelling unrelated to
    the flag). Works on counts or proportions, any leading shape; ``k`` broadcasts.
    """
    cells = np.asarray(cells, dtype=float)
    tp, fp, fn, tn = (cells[..., i] for i in range(4))
    k = np.asarray(k, dtype=float)
    pos, neg = tp + fn, fp + tn
    true_pos = np.minimum(pos / k, pos + neg)
    remove = np.maximum(pos - true_pos, 0.0)  # recorded positives that are not true positives
    add = np.maximum(true_pos - pos, 0.0)  # true positives recorded as negatives
    with np.errstate(divide="ignore", invalid="ignore"):
        if split == "low":  # extra records as few as possible among the flagged; missing ones among the unflagged
            xr, xa = np.maximum(0.0, remove - fn), np.maximum(0.0, add - tn)
        elif split == "high":
            xr, xa = np.minimum(remove, tp), np.minimum(add, fp)
        elif split == "proportional":
            xr = np.where(pos > 0, remove * tp / np.where(pos > 0, pos, 1), 0.0)
            xa = np.where(neg > 0, add * fp / np.where(neg > 0, neg, 1), 0.0)
        else:
            raise ValueError(f"split must be 'low', 'high' or 'proportional', got {split!r}")
    return np.stack([tp - xr + xa, fp + xr - xa, fn - (remove - xr) + (add - xa), tn + (remove - xr) - (add - xa)], axis=-1)


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
    ks = np.unique(np.concatenate([_k_grid(*k_range, grid), np.asarray(extra_k, dtype=float)]))
    c = np.asarray(cells, dtype=float)[..., None, :]
    vals = np.stack([_rate(relabel(c, ks, split=s), metric) for s in splits], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a rate can be undefined at some k (no cases)
        return np.nanmin(vals, axis=(-2, -1)), np.nanmax(vals, axis=(-2, -1))


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
        for metric in LABEL_DEPENDENT:
            lo, hi = rate_bounds(cells[gi], full[g], metric, grid, extra_k=extra)
            dlo, dhi = rate_bounds(audit._joint[g], full[g], metric, grid, extra_k=extra)
            ulo, uhi = rate_bounds(cells[gi], full[g], metric, grid, splits=("proportional",), extra_k=extra)
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
    rows = []
    for gi, g in enumerate(names):
        if gi == r:
            continue
        c = cells[gi][None, :]
        for metric in LABEL_DEPENDENT:
            ref_val = _rate(cells[r], metric)
            vals = np.stack([_rate(relabel(c, ks[:, None], split=s), metric)[:, 0] for s in ("low", "high")], axis=-1)
            mins, maxs = np.fmin(vals[:, 0], vals[:, 1]), np.fmax(vals[:, 0], vals[:, 1])
            found = {}
            for side, sl in (("up", slice(half, None)), ("down", slice(half, None, -1))):
                lo, hi = np.fmin.accumulate(mins[sl]), np.fmax.accumulate(maxs[sl])  # range over k from 1 to ks[sl][j]
                ok = np.flatnonzero((lo <= ref_val) & (ref_val <= hi)) if np.isfinite(ref_val) else np.array([], dtype=int)
                if not ok.size:
                    found[side] = np.nan
                elif ok[0] == 0:
                    found[side] = 1.0
                else:  # between two grid points: bisect on k, keeping the range reached at the point before
                    j = ok[0]
                    a_k, b_k = ks[sl][j - 1], ks[sl][j]
                    lo0, hi0 = lo[j - 1], hi[j - 1]
                    for _ in range(40):
                        mid = np.sqrt(a_k * b_k)
                        v = [_rate(relabel(c, mid, split=sp), metric)[0] for sp in ("low", "high")]
                        if np.fmin(lo0, np.fmin(*v)) <= ref_val <= np.fmax(hi0, np.fmax(*v)):
                            b_k = mid
                        else:
                            a_k = mid
                    found[side] = float(b_k)
            up, down = found["up"], found["down"]
            sym = np.fmin(up, 1 / down) if np.isfinite(up) or np.isfinite(down) else np.nan
            nearest = (np.nan if not np.isfinite(sym) else up if np.isfinite(up) and up <= sym * (1 + 1e-12) else down)
            rows.append(dict(group=g, metric=metric, factor=float(sym), nearest_k=float(nearest), factor_up=up,
                             factor_down=down, beyond=f"more than {max_factor:g}" if not np.isfinite(sym) else ""))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# The row-level entry point
# ----------------------------------------------------------------------------------------------


def audit(data: pd.DataFrame, *, score: str | None, outcome: str, group, reference: str, threshold: float | None = None,
          flag: str | None = None, score_range=None, drop_missing: bool = False, max_bins: int = 1000, **options) -> Audit:
    """Audit a risk tool from one row per referral: count (vectorised), then :func:`audit_counts`.

    ``options`` go to :func:`audit_counts` (prior, interval, draws, seed, ratio_band,
    difference_band, decisive, bands). Notes about the data are in ``result.notes`` and are also
    issued as warnings.
    """
    counts = count_rows(data, score=score, outcome=outcome, group=group, threshold=threshold, flag=flag,
                        score_range=score_range, drop_missing=drop_missing, max_bins=max_bins)
    result = audit_counts(counts, reference=reference, **options)
    for note in result.notes:
        warnings.warn(note, stacklevel=2)
    return result
