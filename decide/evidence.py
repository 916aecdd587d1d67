"""Evidence: update a practitioner's judgement of a rate with what studies and local records found.

A judgement such as "a return home is likely to last" is a distribution for a rate (see
:mod:`decide.judge`). Published studies and a local authority's own records give counts: so many
children out of so many, within a horizon. This module reads those counts from a CSV file, checks
them, and fits a PyMC model in which

* the practitioner's judgement is the prior for the rate (or a vague prior, to see what the data
  alone say),
* each study or authority has its own rate, partially pooled towards the common rate: a small
  authority's rate is pulled towards the others, a large one keeps close to its own figure,
* the posterior draws can replace the judgement in the decision simulation
  (``decide.simulate(decision, draws, seed=..., overrides={name: fit.draws()})``).

The hierarchical model is a beta-binomial: study rates are Beta(mean_rate * kappa,
(1 - mean_rate) * kappa), with the study rates integrated out while sampling (no funnel-shaped
posterior, so no divergences), and drawn back exactly afterwards from their conditional Beta
posterior. ``kappa`` says how alike the studies are (large kappa: very alike).

Sampler: PyMC 6 picks nutpie by default when it is installed. On these small models nutpie's
numba compilation costs more than it saves (see ``benchmarks/bench_evidence.py``), so the default
here is PyMC's own NUTS (``sampler="pymc"``); pass ``sampler="nutpie"`` to use nutpie.

Compiling a model costs more than sampling it. With PyMC's NUTS and a Beta prior, a model once
compiled is kept for the rest of the session: counts and prior parameters are data (``pm.Data``),
so updating again with other counts (or another Beta prior) reuses the compiled log-density and its
gradient; the same seed gives the same draws either way.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import logging
import math
import re
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from decide.distributions import Beta
from decide.errors import DecideError, Problem

#: Columns every evidence file must have, and what they mean.
COLUMNS: dict[str, str] = {
    "quantity": "the quantity the row informs (the name used in the case file)",
    "study": "the study or local authority the counts come from (the unit that is pooled)",
    "population": "who was counted (e.g. '138 neglected children returned home')",
    "horizon_years": "how long children were followed, in years",
    "events": "how many children had the outcome (a whole number, 0 or more)",
    "total": "how many children were followed (a whole number, at least 1)",
    "status": "V = seen in the named source; S = seen only in a secondary source quoting it",
    "source": "the citation: authors, year, title",
}
OPTIONAL_COLUMNS = {"note": "how the counts were derived (e.g. from a published percentage)"}

#: Largest count of children a row may give (more than every child in care in England for a
#: century); larger numbers are typing errors and would overflow the model's integers.
MAX_COUNT = 10**9
#: Largest evidence file read (the examples are under 2 kB).
MAX_FILE_BYTES = 20_000_000

#: Text a spreadsheet or pandas writes for a missing or impossible number (never a real name).
MISSING_WORDS = {"nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity", "n/a", "#n/a", "na", "null", "none", "#value!",
                 "#div/0!", "#ref!", "#name?", "#num!"}

#: Convergence thresholds (Vehtari et al. 2021): r-hat at most 1.01, at least 100 effective
#: draws per chain, and no divergent transitions.
RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100

#: Prior for log(kappa), how alike studies are: median kappa about 55, 95 % between about 3 and
#: 1000 (from studies that differ by tens of percentage points to ones that agree to within one).
LOG_KAPPA_PRIOR = (4.0, 1.5)


class EvidenceError(DecideError):
    """An evidence file or table could not be used; lists every problem with its row and column."""

    def __init__(self, problems: list[Problem], source: str = "evidence"):
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {n} problem{'s' if n != 1 else ''} found\n{body}")


class ConvergenceWarning(UserWarning):
    """The sampler's diagnostics failed: the posterior may be wrong, do not use it yet."""


# --- reading and checking evidence -----------------------------------------------------------------


def read_evidence(path: str | Path) -> pd.DataFrame:
    """Read an evidence CSV and check every row; the file itself is never changed."""
    path = Path(path)

    def refuse(message):
        raise EvidenceError([Problem("file", None, message)], source=str(path))

    if path.is_dir():
        refuse("this is a folder, not an evidence file; give the path of a .csv file inside it")
    if not path.is_file():
        refuse("no such file; check the path" if not path.exists() else "not an ordinary file; give the path of a .csv file")
    try:
        size = path.stat().st_size
        head = path.open("rb").read(8192)
    except OSError as exc:
        refuse(f"cannot read this file ({exc.strerror or exc}); check that you may read it")
    if size > MAX_FILE_BYTES:
        refuse(f"the file is {size / 1e6:.0f} MB; an evidence file may be at most {MAX_FILE_BYTES / 1e6:g} MB")
    if not head.strip():
        refuse("the file is empty; an evidence file starts with the header line: " + ",".join(COLUMNS))
    if b"\x00" in head:
        refuse("this is a binary file, not a CSV text file; save the table as CSV (UTF-8)")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        refuse(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8")
    except OSError as exc:
        refuse(f"cannot read this file ({exc.strerror or exc}); check that you may read it")
    return validate_evidence(_parse_csv(text, str(path)), source=path.name)


def _parse_csv(text: str, source: str) -> pd.DataFrame:
    """The rows of a CSV as text, refusing what pandas would silently repair: a column named
    twice (pandas renames the second), a row with fewer or more fields than the header."""
    import io

    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    header, rows = None, []
    try:
        for fields in reader:
            if not fields or all(not f.strip() for f in fields):
                continue  # a blank line
            if header is None:
                header = [f.strip() for f in fields]
                seen = set()
                for name in header:
                    if name in seen:
                        problems.append(Problem(f"line {reader.line_num}, header", name,
                                                "this column is named twice; which one to use would be a guess. "
                                                "Remove or rename one"))
                    seen.add(name)
                continue
            if len(fields) != len(header):
                problems.append(Problem(f"line {reader.line_num}", ",".join(fields)[:60],
                                        f"has {len(fields)} fields but the header has {len(header)}; "
                                        "check for a missing or extra comma, or text with a comma that needs quotes"))
                continue
            rows.append(fields)
    except csv.Error as exc:
        raise EvidenceError([Problem(f"line {reader.line_num}", None, f"not a readable CSV file ({exc}); "
                                     "check for an unclosed quote")], source=source) from None
    if header is None:
        raise EvidenceError([Problem("file", None, "the file has no header line; it needs: " + ",".join(COLUMNS))],
                            source=source)
    if problems:
        raise EvidenceError(problems[:50], source=source)
    return pd.DataFrame(rows, columns=header, dtype=str)


def validate_evidence(table: pd.DataFrame, source: str = "evidence table") -> pd.DataFrame:
    """Check an evidence table and return a clean copy with numeric columns.

    Every problem is collected (not just the first), each naming the row (as numbered in the
    file, header = line 1), the column, the value and what would be valid.
    """
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        separator = next((sep for sep in (";", "\t", "|") if len(table.columns) == 1 and sep in str(table.columns[0])), None)
        hint = f" The header has {separator!r} between names: save the file with commas between fields." if separator else ""
        raise EvidenceError(
            [Problem("columns", list(table.columns), f"missing column(s) {missing}; an evidence file needs: "
                     + "; ".join(f"{c} ({d})" for c, d in COLUMNS.items()) + "." + hint)],
            source=source,
        )
    if len(table) == 0:
        raise EvidenceError([Problem("rows", None, "the file has a header but no rows of counts")], source=source)
    problems: list[Problem] = []
    out = table.copy()
    parsed: dict[str, list] = {"events": [], "total": [], "horizon_years": []}

    for i, row in enumerate(table.itertuples(index=False)):
        row = row._asdict()
        label = str(row.get("study", "")).strip()
        where = f"row {i + 1} (line {i + 2}{', ' + repr(label) if label else ''})"

        def bad(column, value, message):
            problems.append(Problem(f"{where}, column '{column}'", value, message))

        for column in ("events", "total"):
            value = str(row[column]).strip()
            number = _whole_number(value)
            if number is None and value.lower().lstrip("+-") in ("nan", "inf", "infinity"):
                bad(column, value, "is not a number (NaN or infinity); give a whole number of children, e.g. 69")
            elif number is None:
                bad(column, value, "must be a whole number of children, e.g. 69")
            elif number > MAX_COUNT:
                bad(column, value, f"is more than {MAX_COUNT:,} children; check for a typing error")
                number = None
            elif number < 0:
                bad(column, value, "cannot be negative: it counts children")
                number = None
            elif column == "total" and number == 0:
                bad(column, value, "must be at least 1: a study of no children tells us nothing")
                number = None
            parsed[column].append(number)
        events, total = parsed["events"][-1], parsed["total"][-1]
        if events is not None and total is not None and events > total:
            bad("events", row["events"], f"more children had the outcome than were followed (total is {total}); "
                "check whether the two columns are swapped")
        horizon = _number(str(row["horizon_years"]).strip())
        if horizon is None or not 0 < horizon <= 100:
            bad("horizon_years", row["horizon_years"], "must be a positive number of years, at most 100, e.g. 2")
            horizon = None
        parsed["horizon_years"].append(horizon)
        for column in ("quantity", "study", "population"):
            if not str(row[column]).strip():
                bad(column, "", f"is empty; give {COLUMNS[column]}")
            elif str(row[column]).strip().lower() in MISSING_WORDS:
                bad(column, row[column], "is what a spreadsheet writes for a missing or impossible number; "
                    f"give {COLUMNS[column]}")
        if not str(row["source"]).strip():
            bad("source", "", "missing source: every figure needs its citation (authors, year, title) "
                "so a reader can check it")
        status = str(row["status"]).strip().upper()
        if status not in {"V", "S"}:
            bad("status", row["status"], "must be V (seen in the named source) or S (seen only in a secondary source)")

    keys = table[["quantity", "study", "horizon_years"]].astype(str).apply(lambda c: c.str.strip())
    dup = keys.duplicated(keep=False)
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(
            f"row {i + 1} (line {i + 2}), columns 'quantity', 'study', 'horizon_years'", tuple(keys.iloc[i]),
            "the same study appears twice for one quantity and horizon; counting it twice would overstate the evidence",
        ))
    if problems:
        raise EvidenceError(problems, source=source)

    for column in ("quantity", "study", "population", "source", "status"):
        out[column] = table[column].astype(str).str.strip()
    out["status"] = out["status"].str.upper()
    if "note" not in out.columns:
        out["note"] = ""
    out["events"] = np.array(parsed["events"], dtype=np.int64)
    out["total"] = np.array(parsed["total"], dtype=np.int64)
    out["horizon_years"] = np.array(parsed["horizon_years"], dtype=float)
    out["observed_rate"] = out["events"] / out["total"]
    out.attrs["source"] = source
    return out.reset_index(drop=True)


def select(table: pd.DataFrame, quantity: str, horizon_tolerance: float = 0.0) -> pd.DataFrame:
    """The rows for one quantity, checked to share one horizon.

    Rates over different horizons are different quantities (re-entry within 1 year is not
    re-entry within 6 years); pooling them would blur both. ``horizon_tolerance`` (years) lets
    close horizons through when a reader judges them comparable (say so where it is used).
    """
    _argument("horizon_tolerance (years)", horizon_tolerance, lo=0, hi=100)
    source = table.attrs.get("source", "evidence table")
    rows = table[table["quantity"] == quantity]
    if rows.empty:
        raise EvidenceError([Problem("column 'quantity'", quantity, "no rows for this quantity; the file has: "
                                     + ", ".join(sorted(table["quantity"].unique())))], source=source)
    horizons = rows["horizon_years"]
    if horizons.max() - horizons.min() > horizon_tolerance:
        said = ", ".join(f"{h:g}" for h in sorted(horizons.unique()))
        problems = [
            Problem(f"row {i + 1} (line {i + 2}, {rows.loc[i, 'study']!r}), column 'horizon_years'", float(h),
                    f"horizons disagree for '{quantity}' (rows say {said} years). Keep one horizon per quantity "
                    "(a separate quantity per horizon), or pass horizon_tolerance if the difference does not matter")
            for i, h in horizons.items()
        ]
        raise EvidenceError(problems, source=source)
    out = rows.reset_index(drop=True)
    out.attrs.update(source=source, horizon_tolerance=horizon_tolerance)
    return out


def _argument(name: str, value, *, lo: float, hi: float, whole: bool = False, above: bool = False) -> None:
    """Check a number passed to a function here: finite, never a yes/no, a whole number where
    one is needed, within [lo, hi] (or (lo, hi] when above is set)."""
    kind = "a whole number" if whole else "a number"
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
    ok = ok and math.isfinite(value) and (not whole or float(value).is_integer())
    ok = ok and (lo < value if above else lo <= value) and value <= hi
    if not ok:
        low = f"above {lo:g}" if above else f"from {lo:g}"
        raise DecideError(f"{name} must be {kind} {low} to {hi:g}; got {value!r}")


def _whole_number(text: str) -> int | None:
    x = _number(text)
    if x is None or not float(x).is_integer():
        return None
    return int(x)


#: A number as people type one in a spreadsheet: ASCII digits, commas only between groups of three (1,380), an
#: optional decimal part and exponent. Python's float() also takes "6_9" (69), Arabic-Indic digits and "1,38" once the
#: commas are gone (138, where a European decimal meant 1.38): typing slips read as other numbers.
_NUMBER = re.compile(r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _number(text: str) -> float | None:
    if not _NUMBER.fullmatch(text):
        return None
    x = float(text.replace(",", ""))
    return x if math.isfinite(x) else None


# --- priors from judgements ------------------------------------------------------------------------


@dataclass(frozen=True)
class RatePrior:
    """The prior for a rate, with a plain statement of where it came from and how it was converted.

    ``alpha``/``beta`` are set when the prior is a Beta (exactly, or moment-matched); otherwise
    ``distribution`` is exported to PyMC with preliz's ``to_pymc``.
    """

    label: str
    distribution: object  # a decide.distributions or preliz distribution (for plotting and summaries)
    method: str
    alpha: float | None = None
    beta: float | None = None

    @property
    def is_beta(self) -> bool:
        return self.alpha is not None

    @property
    def worth_in_cases(self) -> float | None:
        """A Beta(a, b) prior carries as much information as a + b children followed: a plain-language weight."""
        return self.alpha + self.beta if self.is_beta else None

    def mean(self) -> float:
        return float(self.distribution.mean())

    def interval(self, prob: float = 0.9) -> tuple[float, float]:
        tail = (1 - prob) / 2
        return float(self.distribution.ppf(tail)), float(self.distribution.ppf(1 - tail))

    def to_pymc(self, name: str):
        """Create the PyMC random variable inside the current model."""
        import pymc as pm

        if self.is_beta:
            return pm.Beta(name, alpha=self.alpha, beta=self.beta)
        return self.distribution.to_pymc(name)


def vague_prior() -> RatePrior:
    """Beta(1, 1): every rate from 0 to 1 equally plausible, worth two children. Lets the data speak."""
    return RatePrior("vague: Beta(1, 1)", Beta(1, 1), "uniform prior, every rate equally plausible", 1.0, 1.0)


def beta_prior(alpha: float, beta: float, label: str | None = None) -> RatePrior:
    """A Beta prior given directly."""
    _argument("alpha", alpha, lo=0, hi=1e9, above=True)
    _argument("beta", beta, lo=0, hi=1e9, above=True)
    return RatePrior(label or f"Beta({alpha:g}, {beta:g})", Beta(alpha, beta), "Beta given directly", alpha, beta)


def prior_from_judgement(dist, label: str = "judgement", convert: str = "auto") -> RatePrior:
    """Turn a judged distribution of a rate (from :mod:`decide.judge`) into a prior for PyMC.

    * a Beta is used as it is;
    * a pooled judgement (a mixture of several practitioners' distributions) is moment-matched to a
      Beta with the same mean and variance: the pool's shape (e.g. two humps when practitioners
      disagree) is lost, its centre and spread are kept;
    * another distribution on (0, 1) (LogitNormal, Kumaraswamy, ...) is exported with preliz's
      ``to_pymc`` so its shape is kept exactly (``convert="beta"`` moment-matches it instead);
    * a fixed number cannot be updated by data: give the practitioner's uncertainty instead.
    """
    from decide.judge import Fixed, FixedMixture

    if convert not in {"auto", "beta"}:
        raise DecideError(f"convert must be 'auto' or 'beta', got {convert!r}")
    if isinstance(dist, Fixed):
        raise DecideError(f"{label}: the judgement is a fixed number ({dist.value:g}); data cannot update a rate "
                          "judged to be known exactly. Give a range (low / likely / high) or a verbal likelihood.")
    if _is(dist, "Beta"):
        return RatePrior(label, dist, f"the judgement is Beta({dist.alpha:.3g}, {dist.beta:.3g}), used as it is",
                         float(dist.alpha), float(dist.beta))
    if isinstance(dist, FixedMixture) or _is(dist, "Mixture"):
        kind = "pooled judgement (mixture of several practitioners' distributions)"
        return _moment_matched(dist, label, kind)
    lower, upper = dist.support
    if lower < 0 or upper > 1:
        raise DecideError(f"{label}: {dist} allows values outside 0 to 1 (support {lower:g} to {upper:g}), so it "
                          "is not a distribution for a rate; judge the quantity as kind 'probability'")
    if convert == "beta":
        return _moment_matched(dist, label, f"{type(dist).__name__} judgement")
    return RatePrior(label, dist, f"the judgement is {dist}, exported to PyMC with preliz's to_pymc (shape kept)")


def _is(dist, family: str) -> bool:
    """Whether ``dist`` is of a preliz family by its class name: decide.distributions' light objects
    and preliz's own both count (isinstance against preliz would mean loading it)."""
    return type(dist).__name__ == family and hasattr(dist, "param_names")


def _moment_matched(dist, label: str, kind: str) -> RatePrior:
    mean, var = _mean_var(dist)
    if not 0 < mean < 1 or not 0 < var < mean * (1 - mean):
        raise DecideError(f"{label}: cannot match a Beta to mean {mean:.3g} and variance {var:.3g}; "
                          "the variance must be positive and below mean * (1 - mean)")
    k = mean * (1 - mean) / var - 1
    a, b = mean * k, (1 - mean) * k
    return RatePrior(label, Beta(a, b),
                     f"{kind} moment-matched to Beta({a:.3g}, {b:.3g}) (same mean {mean:.3f} and sd {var ** 0.5:.3f})",
                     float(a), float(b))


def _mean_var(dist) -> tuple[float, float]:
    """Mean and variance, including mixtures that contain exact values."""
    from decide.judge import Fixed, FixedMixture

    if isinstance(dist, Fixed):
        return dist.value, 0.0
    if isinstance(dist, FixedMixture) or _is(dist, "Mixture"):
        parts = [_mean_var(d) for d in (dist.dists if isinstance(dist, FixedMixture) else dist.dist)]
        w = np.asarray(dist.weights, dtype=float)
        w = w / w.sum()
        m = float(sum(wi * mi for wi, (mi, _) in zip(w, parts)))
        second = float(sum(wi * (vi + mi ** 2) for wi, (mi, vi) in zip(w, parts)))
        return m, second - m ** 2
    return float(dist.mean()), float(dist.var())


def prior_for(decision, quantity: str, convert: str = "auto") -> RatePrior:
    """The prior for a case's quantity: the practitioners' judgement(s), converted for PyMC."""
    q = decision.quantity(quantity)
    if q.kind != "probability":
        raise DecideError(f"quantity '{quantity}' is of kind '{q.kind}'; evidence of counts updates probabilities only")
    n = len(q.all_judgements)
    label = f"judgement of {quantity}" + (f" ({n} practitioners pooled)" if n > 1 else "")
    return prior_from_judgement(decision.distribution_of(quantity, "probability"), label=label, convert=convert)


# --- the model -------------------------------------------------------------------------------------


@dataclass
class Diagnostics:
    """Convergence checks of one fit: a table per parameter, the number of divergences, and a verdict."""

    table: pd.DataFrame  # r_hat, ess_bulk, ess_tail per parameter
    divergences: int
    chains: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_convergence(dt: xr.DataTree, var_names: list[str] | None = None, warn: bool = True,
                      rhat_max: float = RHAT_MAX, ess_per_chain_min: int = ESS_PER_CHAIN_MIN) -> Diagnostics:
    """r-hat, effective sample size and divergences; warns (ConvergenceWarning) when any fails."""
    import arviz as az

    posterior = dt["posterior"].to_dataset()
    var_names = var_names or list(posterior.data_vars)
    summary = az.summary(dt, var_names=var_names, kind="diagnostics", round_to="none")
    table = summary[["r_hat", "ess_bulk", "ess_tail"]].astype(float)
    chains = int(posterior.sizes["chain"])
    diverging = dt["sample_stats"]["diverging"].values if "sample_stats" in dt.children else np.zeros(1)
    n_div = int(np.asarray(diverging).sum())
    problems = []
    ess_min = ess_per_chain_min * chains
    for name, row in table.iterrows():
        if not row["r_hat"] <= rhat_max:
            problems.append(f"{name}: r-hat {row['r_hat']:.4f} > {rhat_max} (chains disagree)")
        low = min(row["ess_bulk"], row["ess_tail"])
        if not low >= ess_min:
            problems.append(f"{name}: effective sample size {low:.0f} < {ess_min} ({ess_per_chain_min} per chain)")
    if n_div:
        problems.append(f"{n_div} divergent transition(s): the sampler could not follow the posterior everywhere")
    diag = Diagnostics(table, n_div, chains, problems)
    if problems and warn:
        warnings.warn("sampling diagnostics failed, do not rely on this posterior yet:\n  - " + "\n  - ".join(problems)
                      + "\nTry more draws and tuning steps (draws=, tune=), or a higher target_accept (e.g. 0.99).",
                      ConvergenceWarning, stacklevel=2)
    return diag


@dataclass
class EvidenceFit:
    """A judgement updated with evidence: the posterior (ArviZ DataTree) and what went into it."""

    quantity: str
    evidence: pd.DataFrame
    prior: RatePrior
    pooling: str  # "complete" (one rate) or "partial" (a rate per study, pooled)
    datatree: xr.DataTree
    diagnostics: Diagnostics
    seed: int

    def draws(self, target: str = "new") -> np.ndarray:
        """Posterior draws (flattened over chains) for the decision simulation.

        ``target``: "new" a population like these studies but not one of them (the honest
        choice for a child in another place), "mean" the average rate across studies, or the
        name of a study / authority for its own rate. With complete pooling all three are the rate.
        """
        post = self.datatree["posterior"]
        if self.pooling == "complete":
            name = "rate"
            if target not in {"new", "mean"} and target not in set(self.evidence["study"]):
                raise DecideError(f"target {target!r} is not 'new', 'mean' or a study in the evidence")
            return post[name].values.reshape(-1)
        if target == "new":
            return post["new_rate"].values.reshape(-1)
        if target == "mean":
            return post["mean_rate"].values.reshape(-1)
        studies = list(post["study"].values)
        if target not in studies:
            raise DecideError(f"target {target!r} is not 'new', 'mean' or one of the studies: {studies}")
        return post["study_rate"].sel(study=target).values.reshape(-1)

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """One row per study and for the pooled rates: observed rate, posterior mean and interval."""
        tail = (1 - prob) / 2
        rows = []

        def add(what, x, events=None, total=None):
            lo, hi = np.quantile(x, [tail, 1 - tail])
            rows.append({"what": what, "events": events, "total": total,
                         "observed_rate": None if total is None else events / total,
                         "posterior_mean": float(np.mean(x)), "lower": float(lo), "upper": float(hi)})

        for r in self.evidence.itertuples():
            x = self.draws(r.study) if self.pooling == "partial" else self.draws("mean")
            add(r.study, x, int(r.events), int(r.total))
        if self.pooling == "partial":
            add("mean across studies", self.draws("mean"))
            add("a new study or authority", self.draws("new"))
        else:
            add("all studies as one rate", self.draws("mean"),
                int(self.evidence["events"].sum()), int(self.evidence["total"].sum()))
        out = pd.DataFrame(rows)
        out.attrs.update(prob=prob, quantity=self.quantity, prior=self.prior.label)
        return out


def update(
    evidence: pd.DataFrame,
    prior: RatePrior | None = None,
    *,
    seed: int,
    pooling: str = "auto",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    sampler: str = "pymc",
    target_accept: float | None = None,
    log_kappa_prior: tuple[float, float] = LOG_KAPPA_PRIOR,
    quantity: str | None = None,
) -> EvidenceFit:
    """Update a rate with counts: PyMC posterior, checked for convergence.

    ``evidence``: rows of one quantity and one horizon (from :func:`select`). ``prior``: the
    judgement as a :class:`RatePrior` (default: vague Beta(1, 1)). ``pooling``: "complete" treats
    all rows as one rate (exact conjugate answer for a Beta prior); "partial" fits a rate per row
    pooled towards a common mean; "auto" uses complete for one row and partial for several.
    ``target_accept`` defaults to 0.9 for one rate and 0.99 for partial pooling, where few studies
    leave kappa poorly known and the posterior funnel-shaped. ``seed`` fixes every random number.
    """
    import pymc as pm

    _argument("seed", seed, lo=0, hi=2**32 - 1, whole=True)
    _argument("draws", draws, lo=1, hi=1_000_000, whole=True)
    _argument("tune", tune, lo=0, hi=1_000_000, whole=True)
    _argument("chains", chains, lo=1, hi=64, whole=True)
    if target_accept is not None:
        _argument("target_accept", target_accept, lo=0, hi=1, above=True)
    _argument("the mean of the log-kappa prior", log_kappa_prior[0], lo=-50, hi=50)
    _argument("the standard deviation of the log-kappa prior", log_kappa_prior[1], lo=0, hi=50, above=True)
    if isinstance(evidence, pd.DataFrame) and "observed_rate" not in evidence.columns:
        evidence = validate_evidence(evidence)
    quantities = evidence["quantity"].unique()
    if len(quantities) != 1:
        raise DecideError(f"the evidence holds several quantities {list(quantities)}; choose one with select(table, name)")
    evidence = select(evidence, quantities[0], evidence.attrs.get("horizon_tolerance", 0.0))  # checks the horizon
    quantity = quantity or str(quantities[0])
    prior = prior or vague_prior()
    if pooling == "auto":
        pooling = "complete" if len(evidence) == 1 else "partial"
    if pooling not in {"complete", "partial"}:
        raise DecideError(f"pooling must be 'auto', 'complete' or 'partial', got {pooling!r}")
    if pooling == "partial" and len(evidence) < 2:
        raise DecideError("partial pooling needs at least two studies or authorities; use pooling='complete'")
    y = evidence["events"].to_numpy()
    n = evidence["total"].to_numpy()
    studies = list(evidence["study"])

    model = _evidence_model(pooling, prior, tuple(log_kappa_prior), studies, n, y, keep=sampler == "pymc")
    if target_accept is None:  # (mean, kappa) is funnel-shaped when there are few studies: smaller steps
        target_accept = 0.9 if pooling == "complete" else 0.99
    dt = _sample(model, draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler,
                 target_accept=target_accept)
    var_names = ["rate"] if pooling == "complete" else ["mean_rate", "kappa"]
    if pooling == "partial":
        _add_study_rates(dt, y, n, studies, seed)
    diag = check_convergence(dt, var_names)
    dt.attrs.update(quantity=quantity, prior=prior.label, prior_method=prior.method, pooling=pooling,
                    sampler=sampler, seed=seed)
    return EvidenceFit(quantity, evidence, prior, pooling, dt, diag, seed)


#: Compiled evidence models kept for reuse in this session, most recently used last (see _evidence_model).
_KEPT_MODELS: OrderedDict[tuple, object] = OrderedDict()
#: How many compiled models are kept: one per pooling and compile setting in use is plenty.
KEPT_MODELS_MAX = 8


def _evidence_model(pooling: str, prior: RatePrior, log_kappa_prior: tuple[float, float], studies: list[str],
                    n: np.ndarray, y: np.ndarray, keep: bool = True):
    """The PyMC model of these counts: a kept, compiled one given the new data, or a new one.

    Counts and Beta prior parameters are data (``pm.Data``), so a model of the same form (pooling,
    log-kappa prior, compile settings) serves any counts, any number of studies and any Beta prior:
    ``pm.set_data`` swaps them in and the compiled log-density is reused. A prior of another shape
    has its parameters inside the model, so it is built afresh every time.
    """
    import pymc as pm

    if pooling == "complete":
        data = {"total": int(n.sum()), "observed": int(y.sum())}
    else:
        data = {"total": n, "observed": y}
    name = "rate" if pooling == "complete" else "mean_rate"
    key = (pooling, log_kappa_prior, _compile_settings())
    keep = keep and prior.is_beta
    model = _KEPT_MODELS.pop(key, None) if keep else None
    if model is not None:
        pm.set_data({**data, f"{name}_prior_alpha": prior.alpha, f"{name}_prior_beta": prior.beta}, model=model,
                    coords={"study": studies})
    else:
        with _reusable_model_class()(coords={"study": studies}) as model:
            if pooling == "complete":
                rate = _prior_rv(prior, name)
                pm.Binomial("events", n=pm.Data("total", data["total"]), p=rate, observed=pm.Data("observed", data["observed"]))
            else:
                mean_rate = _prior_rv(prior, name)
                log_kappa = pm.Normal("log_kappa", *log_kappa_prior)
                kappa = pm.Deterministic("kappa", pm.math.exp(log_kappa))
                pm.BetaBinomial("events", alpha=mean_rate * kappa, beta=(1 - mean_rate) * kappa,
                                n=pm.Data("total", n, dims="study"), observed=pm.Data("observed", y, dims="study"),
                                dims="study")
    if keep:
        _KEPT_MODELS[key] = model
        while len(_KEPT_MODELS) > KEPT_MODELS_MAX:
            _KEPT_MODELS.popitem(last=False)
    return model


def _compile_settings() -> tuple:
    """The PyTensor settings that shape compiled code: a model compiled under others is not reused."""
    import pytensor

    c = pytensor.config
    return (str(c.mode), str(c.linker), str(c.optimizer), str(c.optimizer_including), str(c.optimizer_excluding),
            str(c.floatX))


@functools.cache
def _reusable_model_class():
    """A PyMC Model that compiles its log-density and gradient once and hands the same function out again.

    PyMC's NUTS needs nothing else compiled (its start points and trace use small, quick functions),
    so a kept model given new data with ``pm.set_data`` samples without compiling again. The function
    reads the data when called, so it is the same whatever the data; the draws are the same as a
    newly built model's. Defined on first use, so that importing this module does not import PyMC.
    """
    import pymc as pm

    class ReusableModel(pm.Model):
        def logp_dlogp_function(self, *args, **kwargs):
            kept = self.__dict__.setdefault("_kept_logp_dlogp", {})
            key = repr((args, sorted(kwargs.items())))
            if key not in kept:
                kept[key] = super().logp_dlogp_function(*args, **kwargs)
            return kept[key]

    return ReusableModel


def _prior_rv(prior: RatePrior, name: str):
    import pymc as pm

    if prior.is_beta:
        return pm.Beta(name, alpha=pm.Data(name + "_prior_alpha", prior.alpha), beta=pm.Data(name + "_prior_beta", prior.beta))
    return prior.to_pymc(name)


@contextlib.contextmanager
def _reproducible():
    """Compile models so that the same seed gives the same draws on every run.

    PyTensor compiles models with Numba and, by default, lets it reorder floating-point sums and
    fuse multiply-adds ("fastmath"). How much it does so depends on whether a function was compiled
    afresh or loaded from the on-disk cache, so a first run (cold cache) and a later run (warm)
    differed in the last bits of the log-density; the sampler amplifies such bits, and the same seed
    gave different league tables in notebook 07 (measured: mean ranks 7.23 against 7.16). Without
    fastmath the arithmetic is IEEE-exact either way. Sampling took about as long.
    """
    import pytensor

    with pytensor.config.change_flags(numba__fastmath=False):
        yield


def _sample(model, *, draws, tune, chains, seed, sampler, target_accept) -> xr.DataTree:
    """pm.sample, quietly, compiled without fastmath (see _reproducible); the seed fixes every draw."""
    import pymc as pm

    if sampler not in {"pymc", "nutpie"}:
        raise DecideError(f"sampler must be 'pymc' or 'nutpie', got {sampler!r}")
    logging.getLogger("pymc").setLevel(logging.ERROR)
    kwargs = dict(draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=False, nuts_sampler=sampler,
                  model=model, compute_convergence_checks=False)
    if sampler == "pymc":
        kwargs.update(target_accept=target_accept, cores=1)
    else:
        kwargs["nuts_sampler_kwargs"] = {"target_accept": target_accept}
    with warnings.catch_warnings(), _reproducible():
        warnings.filterwarnings("ignore", message=".*effective sample size per chain.*")
        return pm.sample(**kwargs)


def _add_study_rates(dt: xr.DataTree, y, n, studies, seed: int) -> None:
    """Draw each study's rate, and a new study's rate, from their exact conditional Beta posteriors.

    Given the mean rate and kappa, study j's rate is Beta(mean*kappa + y_j, (1-mean)*kappa + n_j - y_j)
    (conjugacy), and a study not yet seen has rate Beta(mean*kappa, (1-mean)*kappa).
    """
    post = dt["posterior"].to_dataset()
    mu = post["mean_rate"].values[..., None]
    kappa = post["kappa"].values[..., None]
    rng = np.random.default_rng([seed, 20260])
    a = mu * kappa
    b = (1 - mu) * kappa
    study_rate = rng.beta(a + y, b + (n - y))
    new_rate = rng.beta(a[..., 0], b[..., 0])
    post = post.assign(
        study_rate=(("chain", "draw", "study"), study_rate),
        new_rate=(("chain", "draw"), new_rate),
    ).assign_coords(study=studies)
    dt["posterior"] = xr.DataTree(post)


# --- prior sensitivity -----------------------------------------------------------------------------


@dataclass
class Sensitivity:
    """The same evidence under several priors: one fit per prior and a side-by-side table."""

    fits: dict[str, EvidenceFit]
    table: pd.DataFrame


def prior_sensitivity(evidence: pd.DataFrame, priors: dict[str, RatePrior] | None = None, *, seed: int,
                      target: str = "new", prob: float = 0.9, **kwargs) -> Sensitivity:
    """Fit the same evidence under each prior (default: the elicited one passed in, and a vague one).

    The table shows, per prior, the prior's mean and interval, what it is worth in children
    (for a Beta), the number of children in the data, and the posterior mean and interval: when
    the posteriors agree the data drive the answer; when they differ the judgement does.
    """
    priors = priors or {"vague": vague_prior()}
    fits, rows = {}, []
    tail = (1 - prob) / 2
    total = int(evidence["total"].sum())
    for name, prior in priors.items():
        fit = update(evidence, prior, seed=seed, **kwargs)
        x = fit.draws(target)
        lo, hi = np.quantile(x, [tail, 1 - tail])
        plo, phi = prior.interval(prob)
        fits[name] = fit
        rows.append({
            "prior": name, "prior_description": prior.label, "conversion": prior.method,
            "prior_mean": prior.mean(), "prior_lower": plo, "prior_upper": phi,
            "prior_worth_children": prior.worth_in_cases, "children_in_data": total,
            "posterior_mean": float(np.mean(x)), "posterior_lower": float(lo), "posterior_upper": float(hi),
            "pooling": fit.pooling, "target": target, "converged": fit.diagnostics.ok,
        })
    table = pd.DataFrame(rows)
    table.attrs.update(prob=prob, quantity=fits[next(iter(fits))].quantity)
    return Sensitivity(fits, table)
