"""Indicators: compare agencies on adoption timeliness and breakdown without being misled.

A raw league table ranks agencies by their average days from entering care to moving in with an
adoptive family. It misleads twice: agencies whose children are more complex (sibling groups,
older children, disabled children wait longer for a match) look slow however well they work, and
rankings built on a few children per agency are mostly noise. This module gives

* the raw league table (what a scorecard shows), with the scorecard threshold,
* a hierarchical model of timeliness adjusted for complexity, and of breakdown (rare events,
  small numbers) with agencies partially pooled,
* funnel-plot limits (Spiegelhalter 2005), which show what chance alone would produce,
* the probability of each agency's rank, which shows how uncertain any league table is.

Scorecard thresholds are from the Department for Education adoption scorecards (2013-16):
A1 (entering care to moving in with the adoptive family) 14 months, earlier 639 -> 547 -> 487
days; A2 (authority to place to match) 4 months, earlier 213 -> 182 -> 152 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats
from scipy.special import expit

from decide.errors import DecideError, Problem
from decide.evidence import EvidenceError, check_convergence

#: The complexities known to lengthen the wait for a match (ADCS; National Adoption Leadership Board).
COMPLEXITY = ["sibling_group", "older_child", "disability"]
COMPLEXITY_LABELS = {"sibling_group": "in a sibling group", "older_child": "aged 5+ at entry",
                     "disability": "disabled"}
#: Adoption scorecard threshold A1, 14 months (2013-16), in days; Department for Education.
A1_THRESHOLD_DAYS = round(14 * 365.25 / 12)
A1_SOURCE = "Department for Education adoption scorecards, threshold A1: 14 months (2013-16)"
#: Threshold A2 (authority to place -> match), 4 months, in days.
A2_THRESHOLD_DAYS = round(4 * 365.25 / 12)
AGENCY_COLUMNS = ["agency", "sibling_group", "older_child", "disability", "days_to_placement", "breakdown"]


# --- data ---------------------------------------------------------------------------------------


def read_agencies(path: str | Path) -> pd.DataFrame:
    """Read a child-level agency table (one row per child) and check it, naming row and column."""
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise DecideError(f"{path}: no such file") from None
    return validate_agencies(table, source=path.name)


def validate_agencies(table: pd.DataFrame, source: str = "agency table") -> pd.DataFrame:
    missing = [c for c in AGENCY_COLUMNS if c not in table.columns]
    if missing:
        raise EvidenceError([Problem("columns", list(table.columns), f"missing column(s) {missing}; need {AGENCY_COLUMNS}")],
                            source=source)
    problems = []
    for column in COMPLEXITY + ["breakdown"]:
        bad = ~table[column].isin([0, 1])
        problems += [Problem(f"row {i + 1} (line {i + 2}), column '{column}'", table[column].iloc[i],
                             "must be 0 (no) or 1 (yes)") for i in np.flatnonzero(bad.to_numpy())[:10]]
    days = pd.to_numeric(table["days_to_placement"], errors="coerce")
    bad = ~(days > 0)
    problems += [Problem(f"row {i + 1} (line {i + 2}), column 'days_to_placement'", table["days_to_placement"].iloc[i],
                         "must be a positive number of days") for i in np.flatnonzero(bad.to_numpy())[:10]]
    empty = table["agency"].isna() | (table["agency"].astype(str).str.strip() == "")
    problems += [Problem(f"row {i + 1} (line {i + 2}), column 'agency'", "", "is empty; name the agency")
                 for i in np.flatnonzero(empty.to_numpy())[:10]]
    if problems:
        raise EvidenceError(problems, source=source)
    out = table.copy()
    out["agency"] = out["agency"].astype(str).str.strip()
    out["days_to_placement"] = days.astype(float)
    return out


def raw_league_table(children: pd.DataFrame, threshold_days: float = A1_THRESHOLD_DAYS) -> pd.DataFrame:
    """What a scorecard shows: per agency, children, average days, share of complex children, breakdowns.

    Ranked by average days (1 = fastest), as league tables are; ``meets_threshold`` compares the
    average with the scorecard threshold. ``raw_breakdown_rank`` ranks by the raw breakdown rate
    (1 = fewest), so the breakdown table can be set against its own raw ranking, not timeliness's.
    """
    g = children.groupby("agency", sort=True)
    table = pd.DataFrame({
        "children": g.size(),
        "mean_days": g["days_to_placement"].mean(),
        **{f"share_{c}": g[c].mean() for c in COMPLEXITY},
        "breakdowns": g["breakdown"].sum(),
    })
    table["breakdown_rate"] = table["breakdowns"] / table["children"]
    table["meets_threshold"] = table["mean_days"] <= threshold_days
    table["raw_rank"] = table["mean_days"].rank(method="first").astype(int)
    # Breakdown rates from small numbers tie often (several agencies with none): tied agencies share
    # the best place they could claim, as a league table would print them.
    table["raw_breakdown_rank"] = table["breakdown_rate"].rank(method="min").astype(int)
    table.attrs.update(threshold_days=threshold_days, threshold_source=A1_SOURCE)
    return table.sort_values("raw_rank")


# --- models -------------------------------------------------------------------------------------


@dataclass
class AgencyFit:
    """A fitted agency model: the DataTree, the agencies, and per-draw agency scores for ranking."""

    outcome: str  # "timeliness" or "breakdown"
    agencies: list[str]
    datatree: xr.DataTree
    scores: np.ndarray  # [sample, agency]; lower is better (standardised days or breakdown rate)
    score_label: str
    diagnostics: object

    def table(self, prob: float = 0.9) -> pd.DataFrame:
        """Per agency: posterior mean score and interval, with the rank distribution's summary."""
        tail = (1 - prob) / 2
        lo, hi = np.quantile(self.scores, [tail, 1 - tail], axis=0)
        ranks = rank_draws(self.scores)
        rlo, rhi = np.quantile(ranks, [tail, 1 - tail], axis=0)
        out = pd.DataFrame({
            "estimate": self.scores.mean(axis=0), "lower": lo, "upper": hi,
            "mean_rank": ranks.mean(axis=0), "rank_lower": rlo, "rank_upper": rhi,
        }, index=pd.Index(self.agencies, name="agency"))
        out.attrs.update(prob=prob, score=self.score_label, outcome=self.outcome)
        return out.sort_values("estimate")


#: Plain words for the raw league table's columns, for tables a reader sees.
RAW_TABLE_HEADERS = {
    "children": "children placed", "mean_days": "average days to placement",
    **{f"share_{c}": f"share {label}" for c, label in COMPLEXITY_LABELS.items()},
    "breakdowns": "breakdowns", "breakdown_rate": "breakdown rate",
    "raw_rank": "raw rank (days)", "raw_breakdown_rank": "raw rank (breakdown)",
}


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """The raw league table or a fitted table with plain-word headers, for readers who never see the code.

    Headers that depend on the table (the threshold, the score, the interval) come from its attrs,
    so the words always match the numbers under them.
    """
    pct = f"{table.attrs.get('prob', 0.9) * 100:g} %"
    headers = {
        **RAW_TABLE_HEADERS,
        "meets_threshold": f"average within {table.attrs.get('threshold_days', A1_THRESHOLD_DAYS):g} days",
        "estimate": table.attrs.get("score", "estimate"),
        "lower": f"lower end ({pct} interval)", "upper": f"upper end ({pct} interval)",
        "mean_rank": "average rank", "rank_lower": f"rank, lower end ({pct})",
        "rank_upper": f"rank, upper end ({pct})",
    }
    out = table.rename(columns=headers)
    for column in out.columns[out.dtypes == bool]:
        out[column] = out[column].map({True: "yes", False: "no"})
    out.index.name = table.index.name
    return out


def which_ranks_follow(rho_true: float, rho_complexity: float, close: float = 0.1) -> str:
    """A headline saying whether raw ranks follow true performance or complexity, from the two correlations.

    ``rho_true`` and ``rho_complexity`` are the rank correlations of the raw league table with the
    agencies' true ranks and with their complexity. Correlations within ``close`` of each other are
    called equal: with two dozen agencies a Spearman correlation is uncertain by about 0.2, so a
    smaller gap is no ground for saying one wins.
    """
    if not (np.isfinite(rho_true) and np.isfinite(rho_complexity)):
        raise DecideError(f"both correlations must be numbers, got {rho_true!r} and {rho_complexity!r}")
    both = f"(rank correlation {rho_true:.2f} with true performance, {rho_complexity:.2f} with complexity)"
    if abs(rho_true - rho_complexity) < close:
        return f"Raw ranks follow complexity as much as performance {both}"
    if rho_complexity > rho_true:
        return f"Raw ranks follow complexity more than performance {both}"
    return f"Raw ranks follow performance more than complexity {both}"


def _design(children: pd.DataFrame):
    agencies = sorted(children["agency"].unique())
    idx = children["agency"].map({a: i for i, a in enumerate(agencies)}).to_numpy()
    x = children[COMPLEXITY].to_numpy(dtype=float)
    return agencies, idx, x


def fit_timeliness(children: pd.DataFrame, *, seed: int, draws: int = 1000, tune: int = 1000, chains: int = 2,
                   sampler: str = "pymc", adjust: bool = True) -> AgencyFit:
    """Hierarchical model of log(days to placement), adjusted for complexity.

    log(days) = intercept + agency effect + complexity effects + noise; agency effects are
    partially pooled (non-centred, so small agencies do not cause divergences). The score per
    agency is its standardised days: the median days its process would give a child with the
    average case mix of all agencies, so agencies are compared on the same children.
    ``adjust=False`` leaves complexity out (for comparison with the adjusted ranking).
    """
    import pymc as pm

    from decide.evidence import _sample

    agencies, idx, x = _design(children)
    x = x - x.mean(axis=0)  # centred: the intercept is the average case mix, and is not tangled with the effects
    y = np.log(children["days_to_placement"].to_numpy(dtype=float))
    coords = {"agency": agencies, "complexity": COMPLEXITY}
    with pm.Model(coords=coords) as model:
        intercept = pm.Normal("intercept", np.log(400), 1.0)
        spread = pm.HalfNormal("agency_sd", 0.3)
        # Centred and summing to zero: with tens of children per agency the data pin each effect
        # down, and the non-centred form then mixes slowly (measured: r-hat 1.02 on the intercept);
        # summing to zero stops the intercept and the effects trading off against each other.
        effect = pm.ZeroSumNormal("agency_effect", sigma=spread, dims="agency")
        mu = intercept + effect[idx]
        if adjust:
            beta = pm.Normal("complexity_effect", 0, 0.5, dims="complexity")
            mu = mu + pm.math.dot(x, beta)
        sigma = pm.HalfNormal("child_sd", 1.0)
        pm.Normal("log_days", mu, sigma, observed=y)
        dt = _sample(model, draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler, target_accept=0.9)
    post = dt["posterior"]
    # With centred complexities, intercept + agency effect is log-days for the average case mix.
    scores = np.exp(post["intercept"].values.reshape(-1, 1) + post["agency_effect"].values.reshape(-1, len(agencies)))
    diag = check_convergence(dt, ["intercept", "agency_sd", "agency_effect", "child_sd"]
                             + (["complexity_effect"] if adjust else []))
    label = "standardised days (average case mix)" if adjust else "days (complexity ignored)"
    return AgencyFit("timeliness", agencies, dt, scores, label, diag)


def fit_breakdown(children: pd.DataFrame, *, seed: int, draws: int = 1000, tune: int = 500, chains: int = 4,
                  sampler: str = "pymc") -> AgencyFit:
    """Hierarchical logistic model of breakdown, adjusted for complexity, agencies partially pooled.

    Four chains by default: with few breakdowns per agency the spread between agencies
    (``agency_sd``) mixes slowly, and two chains of 1000 draws left its r-hat just above 1.01 for
    some seeds (measured: 1.016); four chains kept it at or below 1.007 for every seed tried.
    500 tuning steps per chain are enough to adapt the sampler: on the synthetic agencies, seeds 2, 7,
    11, 23 and 31 gave r-hat at most 1.006 and at least 1,000 effective draws, as 1000 steps did, for
    a fifth less time. Fewer draws are not: 500 per chain left r-hat at 1.012 for seed 2.

    Children are grouped into cells of (agency, complexity pattern) with binomial counts, which is
    exact and much faster than one row per child. The score per agency is its standardised
    breakdown rate: the average chance over all agencies' children had they been with this agency.
    """
    import pymc as pm

    from decide.evidence import _sample

    agencies, _, _ = _design(children)
    cells = children.groupby(["agency", *COMPLEXITY]).agg(events=("breakdown", "sum"), total=("breakdown", "size"))
    cells = cells.reset_index()
    centre = children[COMPLEXITY].to_numpy(dtype=float).mean(axis=0)
    idx = cells["agency"].map({a: i for i, a in enumerate(agencies)}).to_numpy()
    x = cells[COMPLEXITY].to_numpy(dtype=float) - centre  # centred, as in fit_timeliness
    with pm.Model(coords={"agency": agencies, "complexity": COMPLEXITY}) as model:
        intercept = pm.Normal("intercept", -3.0, 1.5)
        spread = pm.HalfNormal("agency_sd", 0.5)
        # Non-centred (few breakdowns per agency: the data barely pin an effect down) and summing
        # to zero (so the intercept and the effects do not trade off).
        z = pm.ZeroSumNormal("z", sigma=1.0, dims="agency")
        effect = pm.Deterministic("agency_effect", spread * z, dims="agency")
        beta = pm.Normal("complexity_effect", 0, 1.0, dims="complexity")
        pm.Binomial("breakdowns", n=cells["total"].to_numpy(), logit_p=intercept + effect[idx] + pm.math.dot(x, beta),
                    observed=cells["events"].to_numpy())
        dt = _sample(model, draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler, target_accept=0.95)
    post = dt["posterior"]
    a = post["intercept"].values.reshape(-1, 1, 1)
    u = post["agency_effect"].values.reshape(-1, len(agencies), 1)
    b = post["complexity_effect"].values.reshape(-1, len(COMPLEXITY))
    patterns, counts = np.unique(children[COMPLEXITY].to_numpy(dtype=float), axis=0, return_counts=True)
    patterns = patterns - centre
    weights = counts / counts.sum()
    lin = (b @ patterns.T)[:, None, :]  # [sample, 1, pattern]
    scores = (expit(a + u + lin) * weights).sum(axis=-1)
    diag = check_convergence(dt, ["intercept", "agency_sd", "agency_effect", "complexity_effect"])
    return AgencyFit("breakdown", agencies, dt, scores, "standardised breakdown rate (average case mix)", diag)


# --- ranks ---------------------------------------------------------------------------------------


def rank_draws(scores: np.ndarray) -> np.ndarray:
    """Rank of each agency in each posterior draw (1 = lowest score = best); ties broken by order."""
    return np.argsort(np.argsort(scores, axis=1, kind="stable"), axis=1, kind="stable") + 1


def rank_probabilities(scores: np.ndarray, agencies: list[str]) -> pd.DataFrame:
    """P(agency has rank k), from posterior draws of scores [sample, agency]: rows agencies, columns ranks.

    Rows and columns each sum to 1. A league table that meant what it says would have a single 1
    in each row; spread-out rows show how little a position in the table tells.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[1] != len(agencies):
        raise DecideError(f"scores must be [draws, agencies] with {len(agencies)} agencies, got shape {scores.shape}")
    ranks = rank_draws(scores)
    k = len(agencies)
    probs = np.stack([(ranks == r).mean(axis=0) for r in range(1, k + 1)], axis=1)
    out = pd.DataFrame(probs, index=pd.Index(agencies, name="agency"), columns=pd.Index(range(1, k + 1), name="rank"))
    order = ranks.mean(axis=0).argsort()
    return out.iloc[order]


# --- funnel plots --------------------------------------------------------------------------------


def funnel_limits_proportion(n, target: float, probs=(0.95, 0.998)) -> pd.DataFrame:
    """Exact binomial funnel limits for a proportion (Spiegelhalter 2005, appendix, with interpolation).

    For each sample size n and two-sided coverage p: the lower and upper proportions between which
    an agency whose true rate equals the target falls with probability p (chance alone).
    """
    if not 0 < target < 1:
        raise DecideError(f"target proportion must be between 0 and 1, got {target!r}")
    n = np.asarray(n, dtype=float)
    out = {"n": n}
    for p in probs:
        for side, q in (("lower", (1 - p) / 2), ("upper", 1 - (1 - p) / 2)):
            r = stats.binom.ppf(q, n, target)
            f_r = stats.binom.cdf(r, n, target)
            f_r1 = stats.binom.cdf(r - 1, n, target)
            with np.errstate(invalid="ignore", divide="ignore"):
                alpha = np.where(f_r > f_r1, (f_r - q) / (f_r - f_r1), 0.0)
            out[f"{side}_{p:g}"] = np.clip((r - alpha) / n, 0, 1)
    return pd.DataFrame(out)


def funnel_limits_mean(n, target: float, sd: float, probs=(0.95, 0.998)) -> pd.DataFrame:
    """Funnel limits for a mean of n values with child-level sd: target +- z sd / sqrt(n)."""
    n = np.asarray(n, dtype=float)
    out = {"n": n}
    for p in probs:
        z = stats.norm.ppf(1 - (1 - p) / 2)
        out[f"lower_{p:g}"] = target - z * sd / np.sqrt(n)
        out[f"upper_{p:g}"] = target + z * sd / np.sqrt(n)
    return pd.DataFrame(out)


def timeliness_funnel(children: pd.DataFrame, adjust: bool = True) -> tuple[pd.DataFrame, dict]:
    """Per agency: children and mean log-days residual after case mix (or raw), for a funnel plot.

    With ``adjust`` the case mix is removed by least squares of log(days) on the complexities over
    all children (no agency terms), so the funnel asks: given its children, is this agency slower
    than chance alone would explain? Returns the points and the target and child-level sd.
    """
    y = np.log(children["days_to_placement"].to_numpy(dtype=float))
    if adjust:
        x = np.column_stack([np.ones(len(y)), children[COMPLEXITY].to_numpy(dtype=float)])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ coef
        dof = len(y) - x.shape[1]
    else:
        resid = y - y.mean()
        dof = len(y) - 1
    points = pd.DataFrame({"agency": children["agency"], "value": resid}).groupby("agency")["value"].agg(["size", "mean"])
    points.columns = ["children", "mean_log_ratio"]
    # The ratio to the expected days: exp(mean residual), e.g. 1.10 = 10 % slower than expected.
    points["ratio_to_expected"] = np.exp(points["mean_log_ratio"])
    sd = float(np.sqrt((resid ** 2).sum() / dof))
    return points.reset_index(), {"target": 0.0, "sd": sd, "adjusted": adjust}


def outside_funnel(points: pd.DataFrame, target: float, prob: float = 0.998) -> pd.DataFrame:
    """The agencies whose raw breakdown rate lies outside the exact binomial limits for their size.

    ``points`` and ``target`` are :func:`breakdown_funnel`'s; the limits are those of
    :func:`funnel_limits_proportion` at each agency's own number of children, the same limits the
    funnel plot draws (its outer limit, 99.8 %, by default). Adds ``side``: "above" or "below".
    """
    limits = funnel_limits_proportion(points["children"].to_numpy(), target, probs=(prob,))
    lower, upper = limits[f"lower_{prob:g}"].to_numpy(), limits[f"upper_{prob:g}"].to_numpy()
    rate = points["rate"].to_numpy()
    above, below = rate > upper, rate < lower
    out = points.assign(side=np.where(above, "above", "below"))
    return out.loc[above | below]


def _compared(share: float, overall: float) -> str:
    """'more often', 'less often' or 'as often', as the two shares read when rounded to whole percents."""
    a, b = round(100 * share), round(100 * overall)
    return "more often" if a > b else "less often" if a < b else "as often"


def outside_funnel_sentences(children: pd.DataFrame, prob: float = 0.998) -> list[str]:
    """One sentence per agency outside the breakdown funnel, saying how its children differ from all.

    The point of a funnel plot is the question it prompts: an agency outside the limits may have
    children at higher risk wherever they are placed, so each sentence sets the agency's share of
    each complexity beside the share among all children.
    """
    points, target = breakdown_funnel(children)
    outside = outside_funnel(points, target, prob)
    if outside.empty:
        return [f"No agency lies outside the {prob:.1%} limits: every agency's breakdown rate is within what "
                f"chance alone would give an agency of its size whose true rate is the overall {target:.1%}."]
    overall = children[COMPLEXITY].mean()
    by_agency = children.groupby("agency")[COMPLEXITY].mean()
    sentences = []
    for row in outside.itertuples():
        shares = by_agency.loc[row.agency]
        parts = [f"{_compared(shares[c], overall[c])} {COMPLEXITY_LABELS[c]} "
                 f"({shares[c]:.0%}, against {overall[c]:.0%} across all agencies)" for c in COMPLEXITY]
        lead = (f"{row.agency} lies {row.side} the {prob:.1%} limits: {row.breakdowns} breakdowns among "
                f"{row.children} children ({row.rate:.0%}, against {target:.0%} overall).")
        mix = f" Its children are {', '.join(parts[:-1])} and {parts[-1]}."
        sentences.append(lead + mix)
    return sentences


def interval_overlap_share(table: pd.DataFrame) -> float:
    """Share of pairs of agencies whose intervals (``lower``..``upper``) overlap.

    Two agencies whose intervals overlap cannot be told apart at that interval's level, so a high
    share says the league table's order is mostly not supported by the data.
    """
    lo, hi = table["lower"].to_numpy(float), table["upper"].to_numpy(float)
    n = len(lo)
    if n < 2:
        raise DecideError(f"need at least two agencies to compare intervals, got {n}")
    i, j = np.triu_indices(n, k=1)
    return float(((lo[i] <= hi[j]) & (lo[j] <= hi[i])).mean())


def breakdown_funnel(children: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Per agency: children, breakdowns and rate, with the overall rate as target."""
    g = children.groupby("agency")["breakdown"].agg(["size", "sum"]).reset_index()
    g.columns = ["agency", "children", "breakdowns"]
    g["rate"] = g["breakdowns"] / g["children"]
    return g, float(children["breakdown"].mean())
