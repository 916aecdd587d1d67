"""Audit a risk tool for bias: rates and errors by group with posterior intervals, disparities
against a named reference group, the impossibility result on the audit's own numbers, and how
the picture moves if the recorded outcome is itself biased.

Counts first. Everything is computed from a table of counts, one row per (group, score, flag,
recorded outcome) with how many referrals fall in it::

    area   deprivation  score  flag  outcome     n
    North  high          0.42     1        1    37
    ...

The package's modules are the audit's steps, in order:

- :mod:`~decide.audit.reading`: files (CSV, Parquet, globs of them) and tables from Python, read
  where they live (DuckDB by default) or, for a CSV, into pandas with line-by-line checks;
- :mod:`~decide.audit.counting`: the count table, made by numpy from a pandas DataFrame
  (:func:`count_rows`) or by the engine from any Ibis table (:func:`count_table`), with the same
  result; the only other module that knows about engines;
- :mod:`~decide.audit.rates`: rates with Beta posteriors, AUC, calibration (:func:`audit_counts`);
- :mod:`~decide.audit.disparities`: each group against the reference, and Chouldechova's identity;
- :mod:`~decide.audit.label_bounds`: bounds under a biased outcome label (:func:`label_bias`);
- :mod:`~decide.audit.report` and :mod:`~decide.audit.command`: the HTML report and `decide audit`.

:func:`audit` is the whole thing in one call: count, then audit the counts.

Uncertainty. Every rate is a proportion k of m (for example the flagged among those re-referred,
for the true positive rate). Its posterior is Beta(a + k, b + m - k) under a Beta(a, b) prior on
that rate: Jeffreys Beta(1/2, 1/2) by default, or uniform Beta(1, 1). Intervals are equal-tailed.
Disparities (ratio and difference to the reference group) are summarised from Monte Carlo draws
of the two groups' independent Beta posteriors, with a seed. Quantities that combine rates (the
impossibility identity, label-bias bounds) use the joint posterior under independent priors on
the base rate, the true positive rate and the false positive rate, which is exactly the product
of those three Beta posteriors. The AUC's interval is a Bayesian bootstrap (Rubin 1981) of the
group's positives and negatives, done on the score counts (the same as re-weighting rows).

Names are loaded on first use (PEP 562), so `decide --help` and the command's registration do not
import pandas, SciPy or an engine.
"""

from __future__ import annotations

import importlib

#: The step modules, in the order names are looked up in them.
_STEPS = ("common", "counting", "reading", "rates", "disparities", "label_bounds", "run")

__all__ = ["audit", "audit_counts", "count", "count_rows", "count_table", "open_table", "read_referrals", "label_bias",
           "relabel", "rate_bounds", "chouldechova_fpr", "check_score_range", "Counts", "Audit", "LabelBias", "PRIORS",
           "RATES", "CELLS", "LABELS", "LABEL_DEPENDENT", "GROUP_SEP", "MISSING_GROUP", "FEW", "PROBABILITY_LIKE"]


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _STEPS or name in ("engines", "report", "command"):  # `from decide.audit import counting`: that
        return importlib.import_module(f"{__name__}.{name}")  # module alone, not every step looked through
    for step in _STEPS:
        module = importlib.import_module(f"{__name__}.{step}")
        if name in vars(module) and not isinstance(vars(module)[name], type(importlib)):
            value = vars(module)[name]
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
