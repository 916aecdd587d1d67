"""Plots for the evidence and indicators stages. They take fitted results and tables; they never refit.

prior_posterior: what the judgement said and where the evidence moved it.
prior_sensitivity: the same evidence under different priors, side by side.
funnel: agencies against what chance alone would produce for their size.
rank_probabilities: how likely each agency is to hold each place in the table.
league_table: agencies' estimates with intervals (a caterpillar plot), optionally beside the raw order.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def _wrap(text: str, width: int = 40) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _axes(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def prior_posterior(fit, target: str = "new", ax=None, prob: float = 0.9, label: str | None = None):
    """Prior density (the judgement) against the posterior of the rate (a histogram of draws).

    ``label`` is the rate in plain words (the case's description of the quantity); without it the
    quantity's name is shown with spaces for underscores.
    """
    fig, ax = _axes(ax, (9, 4))
    name = label or fit.quantity.replace("_", " ")
    draws = fit.draws(target)
    lo, hi = np.quantile(draws, [0.001, 0.999])
    plo, phi = fit.prior.interval(0.998)
    grid = np.linspace(max(0.0, min(lo, plo)), min(1.0, max(hi, phi)), 400)
    prior_label = fit.prior.label.replace(fit.quantity, "the rate")
    ax.plot(grid, fit.prior.distribution.pdf(grid), color="tab:grey", lw=2, label=f"before the evidence: {prior_label}")
    ax.hist(draws, bins=60, density=True, color="tab:blue", alpha=0.5,
            label=f"after the evidence ({'pooled: ' if fit.pooling == 'partial' else ''}{_target_label(target)})")
    e = fit.evidence
    for r in e.itertuples():
        ax.axvline(r.observed_rate, color="tab:orange", lw=1, ls="--")
    ax.plot([], [], color="tab:orange", ls="--", label="rate observed in each study")
    ax.set_xlabel(_wrap(f"{name} (within {e['horizon_years'].iloc[0]:g} years)", 90))
    ax.set_ylabel("how plausible (density)")
    ax.set_title(f"What the judgement said and what the evidence made of it\n"
                 f"{len(e)} {'study' if len(e) == 1 else 'studies'}, {int(e['total'].sum()):,} children", loc="left")
    # beside the chart: inside it covered the histogram (notebook 03)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def _target_label(target: str) -> str:
    return {"new": "a new study or authority", "mean": "the mean across studies"}.get(target, target)


def prior_sensitivity(table: pd.DataFrame, ax=None):
    """Prior and posterior intervals for each prior, side by side (table from evidence.prior_sensitivity)."""
    fig, ax = _axes(ax, (7, 1.2 + 0.9 * len(table)))
    prob = table.attrs.get("prob", 0.9)
    quantity = table.attrs.get("quantity")  # its identifier is not for readers
    for i, r in enumerate(table.itertuples()):
        y = len(table) - 1 - i
        ax.errorbar(r.prior_mean, y + 0.15, xerr=[[r.prior_mean - r.prior_lower], [r.prior_upper - r.prior_mean]],
                    fmt="o", color="tab:grey", capsize=3, label="before the evidence (prior)" if i == 0 else None)
        ax.errorbar(r.posterior_mean, y - 0.15,
                    xerr=[[r.posterior_mean - r.posterior_lower], [r.posterior_upper - r.posterior_mean]],
                    fmt="s", color="tab:blue", capsize=3, label="after the evidence (posterior)" if i == 0 else None)
        worth = f", worth {r.prior_worth_children:.0f} children" if pd.notna(r.prior_worth_children) else ""
        said = str(r.prior_description).replace(quantity, "the rate") if quantity else str(r.prior_description)
        ax.annotate(f"{said}{worth}", (0.0, y + 0.38), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", fontsize=8)
    ax.set_yticks(range(len(table)), list(table["prior"])[::-1])
    ax.set_ylim(-0.6, len(table) - 0.2)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"rate ({prob:.0%} intervals)")
    n = int(table["children_in_data"].iloc[0])
    ax.set_title(f"How much the judgement and how much the data ({n:,} children) drive the answer", loc="left")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside, never over an interval
    return fig


def funnel(points: pd.DataFrame, limits: pd.DataFrame, target: float, *, value: str, size: str = "children",
           label: str = "agency", ylabel: str = "", title: str = "", ax=None, annotate_outside: bool = True):
    """Points (one per agency) over funnel limits; agencies outside the outer limit are named."""
    fig, ax = _axes(ax, (7, 4.5))
    outer = sorted({c.split("_", 1)[1] for c in limits.columns if c.startswith("upper_")}, key=float)
    styles = ["--", ":"]
    for p, ls in zip(outer, styles):
        ax.plot(limits["n"], limits[f"upper_{p}"], color="tab:grey", ls=ls, lw=1,
                label=_wrap(f"between these lines: where {100 * float(p):.3g} % of agencies would fall by chance alone", 30))
        ax.plot(limits["n"], limits[f"lower_{p}"], color="tab:grey", ls=ls, lw=1)
    ax.axhline(target, color="black", lw=1, label="the overall average")
    ax.scatter(points[size], points[value], color="tab:blue", zorder=3, s=20)
    if annotate_outside:
        widest = outer[-1]
        up = np.interp(points[size], limits["n"], limits[f"upper_{widest}"])
        down = np.interp(points[size], limits["n"], limits[f"lower_{widest}"])
        for r, u, d in zip(points.itertuples(), up, down):
            v = getattr(r, value)
            if v > u or v < d:
                # named on the far side of the point from the limit it crossed: the limits narrow
                # as agencies grow, so above-right of a point over the upper one, below-right under
                # the lower one (up and to the right the name sat on the line)
                above = v > u
                ax.annotate(getattr(r, label), (getattr(r, size), v), fontsize=8, xytext=(4, 4 if above else -4),
                            textcoords="offset points", ha="left", va="bottom" if above else "top")
    ax.set_xlabel(f"number of {size}")
    ax.set_ylabel(ylabel or value)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside: never over an agency
    return fig


def rank_probabilities(probs: pd.DataFrame, ax=None, title: str = ""):
    """Heat map: rows agencies (best expected rank first), columns ranks, shade = probability."""
    fig, ax = _axes(ax, (8, 0.28 * len(probs) + 1.5))
    im = ax.imshow(probs.to_numpy(), aspect="auto", cmap="Blues", vmin=0, vmax=max(0.5, float(probs.to_numpy().max())))
    ax.set_yticks(range(len(probs)), probs.index, fontsize=8)
    ax.set_xticks(range(len(probs.columns)), probs.columns, fontsize=7)
    ax.set_xlabel("rank (1 = best)")
    ax.set_ylabel("agency")
    ax.set_title(title or "Probability of each agency's place in the league table")
    fig.colorbar(im, ax=ax, label="probability", shrink=0.8)
    return fig


def league_table(table: pd.DataFrame, raw_rank: pd.Series | None = None, ax=None, xlabel: str = "", title: str = "",
                 threshold: float | None = None, threshold_label: str = ""):
    """Caterpillar plot of agencies' estimates with intervals, best at the top; raw rank in brackets."""
    fig, ax = _axes(ax, (7, 0.28 * len(table) + 1.5))
    t = table.sort_values("estimate")
    y = np.arange(len(t))[::-1]
    ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["lower"], t["upper"] - t["estimate"]], fmt="o",
                color="tab:blue", capsize=2, ms=4)
    labels = [f"{a}  (raw rank {int(raw_rank[a])})" if raw_rank is not None else a for a in t.index]
    ax.set_yticks(y, labels, fontsize=8)
    if threshold is not None:
        ax.axvline(threshold, color="tab:red", ls="--", lw=1, label=_wrap(threshold_label or "threshold", 30))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside, off the intervals
    prob = table.attrs.get("prob", 0.9)
    ax.set_xlabel(xlabel or f"{table.attrs.get('score', 'estimate')} ({prob:.0%} intervals)")
    ax.set_title(title or "League table with its uncertainty")
    return fig
