"""What every step of the audit shares: the confusion cells, the rates made from them, group labels, and the
small helpers that make error messages name the column, the value and the fix."""

from __future__ import annotations

import difflib
import re
import zlib

import numpy as np

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


#: A group 'name' that is really a non-finite number.
_NOT_FINITE_TEXT = re.compile(r"^\s*[+-]?(inf|infinity|nan)\s*$", re.IGNORECASE)

#: Text pandas reads as missing in a number column (its default list).
_NA_TEXT = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
            "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def _rate(cells: np.ndarray, name: str) -> np.ndarray:
    num, den, _ = RATES[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        return cells[..., list(num)].sum(-1) / cells[..., list(den)].sum(-1)


def _cells_from_draws(p, tpr, fpr) -> np.ndarray:
    """Cell probabilities [tp, fp, fn, tn] from base rate, TPR and FPR draws."""
    return np.stack([p * tpr, (1 - p) * fpr, p * (1 - tpr), (1 - p) * (1 - fpr)], axis=-1)


def _interval_bounds(interval: float) -> tuple[float, float]:
    if not 0 < interval < 1:
        raise DecideError(f"interval must be between 0 and 1 (e.g. 0.9 for 90 %), got {interval!r}")
    return (1 - interval) / 2, (1 + interval) / 2
