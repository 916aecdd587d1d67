"""Figures for a risk-tool audit. Each takes a table from :mod:`decide.audit` and draws it; none recomputes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from decide.audit import LABELS

#: Verdict -> colour (colour-blind-safe Okabe-Ito).
VERDICT_COLOURS = {"outside": "#D55E00", "within": "#009E73", "cannot tell": "#777777", "cannot tell (no cases)": "#BBBBBB",
                   "cannot tell (reference rate 0)": "#BBBBBB"}
GROUP_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

KEY_METRICS = ("selection_rate", "fpr", "fnr", "ppv", "npv", "auc")


def _colour(i: int) -> str:
    return GROUP_COLOURS[i % len(GROUP_COLOURS)]


def _segments(low, high, y) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal segments from low to high at each y, as one line broken by gaps (NaN): drawn as one artist, the
    same pixels as one line per segment."""
    x = np.column_stack([np.asarray(low, dtype=float), np.asarray(high, dtype=float), np.full(len(y), np.nan)])
    ys = np.column_stack([y, y, np.full(len(y), np.nan)])
    return x.ravel(), ys.ravel()


def _legend_below(fig, handles, ncol: int) -> None:
    height = fig.get_size_inches()[1]
    rows = -(-len(handles) // ncol)
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, (0.25 * rows + 0.1) / height, 1, 1))


def forest(disparities: pd.DataFrame, *, reference: str, scale: str = "ratio", metrics=KEY_METRICS, interval: float = 0.9):
    """Forest plot: each disparity against the reference, with its interval and the tolerance band."""
    d = disparities[(disparities["scale"] == scale) & disparities["metric"].isin(metrics)].copy()
    d["order"] = d["metric"].map({m: i for i, m in enumerate(metrics)})
    d = d.sort_values(["order", "group"])
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(d) + 1.6))
    y = np.arange(len(d))[::-1]
    band = d[["band_low", "band_high"]].iloc[0] if len(d) else (0.8, 1.25)
    ax.axvspan(band.iloc[0], band.iloc[1], color="#EEEEEE", zorder=0, label="tolerance band")
    ax.axvline(1.0 if scale == "ratio" else 0.0, color="#444444", lw=0.8)
    colours = np.array([VERDICT_COLOURS.get(v, "#777777") for v in d["verdict"]])
    for c in dict.fromkeys(colours):  # one line and one set of dots per colour: the same picture, far fewer artists
        rows = colours == c
        ax.plot(*_segments(d["lower"][rows], d["upper"][rows], y[rows]), color=c, lw=2.2, solid_capstyle="butt")
        ax.plot(d["estimate"][rows], y[rows], "o", color=c, ms=5.5, markeredgecolor="white", markeredgewidth=0.6)
    labels = [f"{LABELS[m]}  ·  {g}" for m, g in zip(d["metric"], d["group"])]
    ax.set_yticks(y, labels, fontsize=8.5)
    # Separate metrics with faint lines.
    for i in range(1, len(d)):
        if d["metric"].iloc[i] != d["metric"].iloc[i - 1]:
            ax.axhline(y[i] + 0.5, color="#DDDDDD", lw=0.6)
    if scale == "ratio":
        ax.set_xscale("log")
        lo = np.nanmin(np.r_[d["lower"], band.iloc[0]]) * 0.9
        hi = np.nanmax(np.r_[d["upper"], band.iloc[1]]) * 1.1
        ax.set_xlim(max(lo, 1e-2), min(hi, 1e2))
        ticks = [t for t in (0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4) if lo <= t <= hi]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel(f"ratio to the reference group ({reference}); log scale")
    else:
        ax.set_xlabel(f"difference from the reference group ({reference}), in proportion points")
    handles = [plt.Line2D([], [], color=c, lw=2.2, marker="o", label=v) for v, c in VERDICT_COLOURS.items()
               if v in set(d["verdict"])]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="#EEEEEE", label="tolerance band"))
    ax.set_title(f"Disparities against '{reference}' ({scale}), with {interval:.0%} posterior intervals", fontsize=10.5)
    _legend_below(fig, handles, ncol=len(handles))
    return fig


#: Panel titles in plain words (the short label in brackets, as the report's tables use it).
PLAIN_TITLES = {
    "base_rate": "Had the recorded outcome\n(base rate)",
    "selection_rate": "Flagged by the tool\n(selection rate)",
    "tpr": "Flagged, of those with the outcome\n(true positive rate, TPR)",
    "fpr": "Flagged, of those without the outcome\n(false positive rate, FPR)",
    "fnr": "Not flagged, of those with the outcome\n(false negative rate, FNR)",
    "tnr": "Not flagged, of those without the outcome\n(true negative rate, TNR)",
    "ppv": "Had the outcome, of those flagged\n(positive predictive value, PPV)",
    "npv": "No outcome, of those not flagged\n(negative predictive value, NPV)",
    "fdr": "No outcome, of those flagged\n(false discovery rate)",
    "for": "Had the outcome, of those not flagged\n(false omission rate)",
}


def rates_by_group(rates: pd.DataFrame, *, reference: str, metrics=("base_rate", "selection_rate", "tpr", "fpr", "ppv", "npv"),
                   interval: float = 0.9, ncols: int = 2):
    """One panel per rate, ``ncols`` to a row so each is wide enough to read: each group's estimate and interval."""
    groups = list(dict.fromkeys(rates["group"]))
    nrows = -(-len(metrics) // ncols)
    panel_h = 0.42 * len(groups) + 1.3
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, panel_h * nrows + 0.9), sharey=True, squeeze=False)
    labels = [g + (" (reference)" if g == reference else "") for g in groups]
    y = np.arange(len(groups))[::-1]
    for ax, m in zip(axes.ravel(), metrics):
        r = rates[rates["metric"] == m].set_index("group").reindex(groups)
        is_reference = np.array([g == reference for g in groups])
        informative = r["informative"].to_numpy(dtype=bool)
        for c, rows in (("#0072B2", ~is_reference), ("#000000", is_reference)):
            if rows.any():
                ax.plot(*_segments(r["lower"][rows], r["upper"][rows], y[rows]), color=c, lw=2.4)
            for filled in (True, False):
                dots = rows & (informative == filled)
                if dots.any():
                    ax.plot(r["estimate"][dots], y[dots], "o", color=c, ms=6, markerfacecolor=c if filled else "white")
        ax.set_title(PLAIN_TITLES.get(m, LABELS[m]), fontsize=10.5)
        lo, hi = float(np.nanmin(r["lower"])), float(np.nanmax(r["upper"]))
        pad = max(0.01, 0.15 * (hi - lo))
        ax.set_xlim(max(0.0, lo - pad), min(1.0, hi + pad))  # zoomed in, so narrow intervals can be seen
        ax.locator_params(axis="x", nbins=5)
        ax.grid(axis="x", color="#EEEEEE")
        ax.tick_params(labelsize=9.5)
        ax.set_xlabel("share of families (0 to 1)", fontsize=9.5)
        ax.set_yticks(y, labels, fontsize=9.5)
    for ax in axes.ravel()[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"Rates by group with {interval:.0%} posterior intervals\n(each panel zoomed to its own range; "
                 "hollow dot: no cases, so the interval is the prior alone)", fontsize=11)
    fig.tight_layout()
    return fig


def calibration(calib: pd.DataFrame, *, probability: bool, interval: float = 0.9, outcome: str = "recorded outcome"):
    """Recorded outcome rate by score band for each group: calibration within groups."""
    fig, ax = plt.subplots(figsize=(7, 4.6))
    groups = list(dict.fromkeys(calib["group"]))
    bands = calib.drop_duplicates("band").sort_values("band")
    for i, g in enumerate(groups):
        c = calib[calib["group"] == g].sort_values("band")
        x = c["mean_score"].to_numpy() if probability else c["band"].to_numpy() + (i - (len(groups) - 1) / 2) * 0.08
        # Intervals as lines from lower to upper: with no cases in a band the posterior interval need not contain the rate.
        ax.vlines(x, c["lower"], c["upper"], color=_colour(i), lw=1, alpha=0.8)
        ax.plot(x, c["rate"], "o-", color=_colour(i), ms=4, lw=1.2, label=g, alpha=0.9)
    if probability:
        top = float(np.nanmax(np.r_[calib["mean_score"], calib["upper"]])) if len(calib) else 1
        ax.plot([0, top], [0, top], ls="--", color="#888888", lw=1, label="score = rate")
        ax.set_xlabel("mean score in the band (the tool's predicted probability)")
    else:
        ax.set_xticks(bands["band"], bands["band_label"], rotation=45, ha="right", fontsize=8)
        ax.set_xlabel("score band")
    ax.set_ylabel(f"share with the {outcome}")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"Calibration by group: same score, same rate? ({interval:.0%} intervals)", fontsize=10.5)
    fig.tight_layout()
    return fig


def impossibility(table: pd.DataFrame, *, reference: str):
    """Chouldechova's identity drawn: with the reference's PPV, each group's possible (FNR, FPR) pairs.

    FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR): for a fixed PPV, each base rate p gives its own line.
    Groups with different base rates sit on different lines, so no single (FNR, FPR) pair
    serves them all: equal PPV forces unequal FPR or FNR.
    """
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    ppv_ref = table.loc[reference, "ppv"]
    fnr = np.linspace(0, 1, 101)
    for i, (g, row) in enumerate(table.iterrows()):
        p = row["base_rate"]
        line = p / (1 - p) * (1 - ppv_ref) / ppv_ref * (1 - fnr)
        ax.plot(fnr, line, color=_colour(i), lw=1.3, label=f"{g}: base rate {p:.2f}")
        ax.plot(row["fnr"], row["fpr"], "o", color=_colour(i), ms=7, markeredgecolor="black" if g == reference else "white")
        ax.plot(row["fnr"], row["fpr_if_equal_ppv"], "x", color=_colour(i), ms=7, mew=2)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, min(1, max(0.05, float(np.nanmax(np.r_[table["fpr"], table["fpr_if_equal_ppv"]])) * 1.6)))
    ax.set_xlabel("false negative rate (outcome happened, not flagged)")
    ax.set_ylabel("false positive rate (no outcome, flagged)")
    ax.set_title(f"Lines: every (FNR, FPR) a group could have with PPV = {ppv_ref:.2f} ('{reference}')\n"
                 "dots: where each group is now; crosses: the FPR equal PPV would force at its own FNR", fontsize=9.5)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(color="#EEEEEE")
    fig.tight_layout()
    return fig


def label_bias(disparities: pd.DataFrame, *, reference: str, metrics=("fpr", "fnr", "ppv", "npv"), scale: str = "ratio"):
    """Each disparity's range if recorded outcomes are biased: no assumption (thin) and if unrelated to the flag (thick)."""
    d = disparities[(disparities["scale"] == scale) & disparities["metric"].isin(metrics)].copy()
    d["order"] = d["metric"].map({m: i for i, m in enumerate(metrics)})
    d = d.sort_values(["order", "group"])
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(d) + 1.6))
    y = np.arange(len(d))[::-1]
    null = 1.0 if scale == "ratio" else 0.0
    ax.axvline(null, color="#444444", lw=0.8)
    # Each kind of range as one line broken between rows (drawn by zorder, so as one line per row would be).
    ax.plot(*_segments(d["low_interval"], d["high_interval"], y), color="#BBBBBB", lw=1, zorder=1)
    ax.plot(*_segments(d["low"], d["high"], y), color="#56B4E9", lw=3, solid_capstyle="butt", zorder=2)
    ax.plot(*_segments(d["low_if_unrelated"], d["high_if_unrelated"], y), color="#0072B2", lw=6, solid_capstyle="butt",
            zorder=3)
    ax.plot(d["recorded"], y, "|", ls="", color="black", ms=12, mew=2, zorder=4)
    ax.set_yticks(y, [f"{LABELS[m]}  ·  {g}" for m, g in zip(d["metric"], d["group"])], fontsize=8.5)
    if scale == "ratio":
        ax.set_xscale("log")
        finite = np.r_[d["low_interval"], d["high_interval"]]
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size:
            ax.set_xlim(max(finite.min() * 0.9, 0.05), min(finite.max() * 1.1, 20))
        ticks = [t for t in (0.1, 0.25, 0.5, 0.8, 1, 1.25, 2, 4, 10) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.set_xlabel(f"{scale} to '{reference}'" + (" (log scale)" if scale == "ratio" else ""))
    handles = [plt.Line2D([], [], color="black", marker="|", ls="", ms=10, mew=2, label="as recorded"),
               plt.Line2D([], [], color="#0072B2", lw=6, label="if mislabelling is unrelated to the flag"),
               plt.Line2D([], [], color="#56B4E9", lw=3, label="any mislabelling (no assumption)"),
               plt.Line2D([], [], color="#BBBBBB", lw=1, label="with sampling uncertainty")]
    ax.set_title("If the recorded outcome is biased by surveillance: where the disparities could be", fontsize=10.5)
    _legend_below(fig, handles, ncol=2)
    return fig
