"""Rates and posteriors: from the count table to each group's confusion cells, every rate with its Beta posterior,
the AUC with a Bayesian-bootstrap interval, and calibration by score band; :func:`audit_counts` assembles the whole
audit (disparities and the impossibility identity come from :mod:`decide.audit.disparities`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from decide.audit.common import (CELLS, FEW, GROUP_SEP, PRIORS, RATES, TP, FP, FN, TN, _cells_from_draws, _interval_bounds,
                                 _listing, _rng, _suggest)
from decide.audit.counting import Counts
from decide.audit.disparities import _impossibility, compare_to_reference
from decide.defaults import MAX_AUDIT_GROUPS
from decide.errors import DecideError

if TYPE_CHECKING:
    from decide.audit.label_bounds import LabelBias


def _auc_from_hist(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """P(score of a positive > score of a negative) + half the ties, from counts by ordered score bin."""
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.cumsum(neg, axis=-1) - neg
        return (pos * (before + 0.5 * neg)).sum(-1) / (pos.sum(-1) * neg.sum(-1))




def beta_quantile(q, a, b):
    """The q-quantile of Beta(a, b), for 0 < q < 1 and a, b > 0: the value scipy.stats.beta.ppf gives (the same Boost
    routine, bit for bit; tested), without loading scipy.stats, which takes longer than the whole audit of the
    counts."""
    return betaincinv(a, b, q)


def rate_interval(lo_q, hi_q, k, m, a, b):
    """The equal-tailed interval of a rate's Beta(a + k, b + m - k) posterior, from 0 when none of m are counted
    (k = 0) and up to 1 when all are (k = m): there the estimate, 0 or 1, would otherwise lie outside its own
    interval. The modification Brown, Cai & DasGupta (2001, Statistical Science 16:101) give for the Jeffreys
    interval. With no cases (m = 0) the interval is the prior's, as before."""
    k, m = np.asarray(k, dtype=float), np.asarray(m, dtype=float)
    lower = np.where((k == 0) & (m > 0), 0.0, beta_quantile(lo_q, a + k, b + m - k))
    upper = np.where((k == m) & (m > 0), 1.0, beta_quantile(hi_q, a + k, b + m - k))
    return lower, upper


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
        from decide.audit.label_bounds import label_bias

        return label_bias(self, ranges, default=default, grid=grid)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables written as CSV next to the report."""
        return {"groups": self.groups.rename_axis("group").reset_index(), "rates": self.rates, "disparities": self.disparities,
                "calibration": self.calibration, "impossibility": self.impossibility.reset_index(),
                "counts": self.counts.table}


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
    huge = n > 2**53  # above this a float cannot hold every whole number, so m - k could come out negative
    if huge.any():
        i = int(np.flatnonzero(huge.to_numpy())[0])
        raise DecideError(f"{source}: column 'n' of the counts table holds {str(table['n'].iloc[i])[:40]!r} at {at(i)}: too large "
                          "to be a count of referrals (at most 2**53 = 9007199254740992); fix that row")
    if n.sum() == 0:
        raise DecideError(f"{source}: the counts table counts no referrals (every n is 0)")


def _check_labels_apart(table: pd.DataFrame, cols: list[str], labels: pd.Series) -> None:
    """Refuses two different combinations of group values that join to the same label (a value holding ' / ', as
    in 'Asian / Asian British'): their referrals would be counted as one group."""
    combos = table[cols].astype(str).assign(_label=labels.to_numpy()).drop_duplicates()
    clash = combos[combos["_label"].duplicated(keep=False)]
    if len(clash):
        label = clash["_label"].iloc[0]
        first, second = sorted(tuple(row) for row in clash.loc[clash["_label"] == label, cols].head(2).itertuples(index=False))
        named = ", ".join(f"'{c}'" for c in cols)
        raise DecideError(f"group columns {named}: the values {first!r} and {second!r} both make the group label '{label}' "
                          f"(values are joined with '{GROUP_SEP}'), so two different groups would be counted as one; "
                          f"recode the values so none holds '{GROUP_SEP}' (e.g. write 'Asian/Asian British')")


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
                 difference_band: float = 0.05, decisive: float = 0.9, bands=10,
                 max_groups: int = MAX_AUDIT_GROUPS) -> Audit:
    """Audit a tool from counts: rates with Beta posteriors, disparities, calibration, AUC, impossibility.

    ``counts`` is a :class:`Counts` (from :func:`count_rows`) or a DataFrame with the group
    column(s), ``flag`` (0/1), ``outcome`` (0/1), ``n`` and optionally ``score`` (a score or score
    band; needed for AUC and calibration) and ``score_sum``. ``reference`` names the group every
    disparity is measured against; it is required. A disparity is called *outside* the tolerance
    band (``ratio_band`` for ratios, ``±difference_band`` for differences) when its posterior
    probability of lying above the band, or of lying below it, is at least ``decisive``; *within*
    when the probability of lying inside is at least ``decisive``; and otherwise *cannot tell*. ``bands`` is the number of
    calibration bands (quantiles of the score) or a list of band edges. More than ``max_groups``
    groups are refused: a column of identifiers, say, would make thousands of groups of one.
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
    if len(cols) > 1:
        _check_labels_apart(table, cols, labels)
    g_idx, names = pd.factorize(labels, sort=False)
    order = np.argsort(np.asarray(names, dtype=object).astype(str), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    g_idx = rank[g_idx]
    names = [str(names[i]) for i in order]
    G = len(names)
    if G > max_groups:
        small = int((np.bincount(g_idx, weights=table["n"].to_numpy(dtype=float), minlength=G) < 5).sum())
        raise DecideError(
            f"group column(s) {', '.join(repr(c) for c in cols)} make {G:,} groups ({small:,} of them with fewer than "
            f"5 referrals): more than the {max_groups:,} an audit reports (is one of them an identifier?); group by "
            f"a coarser column, or raise the limit with --max-groups {G}")
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
    if sizes[r] == 0:  # only a counts table can name a group with no referrals
        others = ", ".join(f"'{g}' (n={int(s)})" for g, s in zip(names, sizes) if s > 0)
        raise DecideError(f"reference group '{ref}' has no referrals in the counts table (every n is 0), so nothing can be "
                          f"measured against it; choose another with --reference (groups with referrals: {others})")
    if cells[:, FP].sum() == 0 and cells[:, FN].sum() == 0:  # every rate then looks perfect, for every group
        notes.append(f"the flag equals the recorded outcome for all {int(sizes.sum())} referrals (no false positives and "
                     "no false negatives in any group): check that the flag (--flag, or --score with --threshold) is the "
                     "tool's and not the outcome under another name")
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
        lower, upper = rate_interval(lo_q, hi_q, k, m, a, b)
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
    metrics = list(RATES) + (["auc"] if has_score else [])
    estimates = rates.pivot(index="group", columns="metric", values="estimate").reindex(names)
    informative = dict(zip(zip(rates["group"], rates["metric"]), rates["informative"]))
    if has_score:
        for gname in names:
            informative[gname, "auc"] = bool(np.isfinite(auc.loc[gname, "auc"]))
    if has_score:
        estimates["auc"] = auc["auc"].astype(float)
    disparities = compare_to_reference(names, ref, metrics, draws_by, estimates, informative, ratio_band=ratio_band,
                                       difference_band=difference_band, decisive=decisive, lo_q=lo_q, hi_q=hi_q)

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
                             **dict(zip(("lower", "upper"), map(float, rate_interval(lo_q, hi_q, pos, nn, a, b))))))
    return pd.DataFrame(rows)


