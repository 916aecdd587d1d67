"""Figures for the synthetic world. Each takes a table or result from :mod:`decide.world` and draws it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from decide.audit import LABELS

#: What each rate means, for the world's figures (the audit's short labels, TPR and PPV, were never
#: defined for the trainers who read notebook 04).
PLAIN_RATES = {
    "base_rate": "base rate:\nshare with the outcome",
    "selection_rate": "selection rate:\nshare flagged",
    "tpr": "true positive rate (TPR):\nof those with the outcome,\nshare flagged",
    "fpr": "false positive rate (FPR):\nof those without it,\nshare flagged",
    "fnr": "false negative rate (FNR):\nof those with the outcome,\nshare not flagged",
    "ppv": "positive predictive value (PPV):\nof those flagged,\nshare with the outcome",
    "npv": "negative predictive value (NPV):\nof those not flagged,\nshare without it",
}

COLOURS = {"truth": "#009E73", "records": "#D55E00", "flags": "#0072B2", "families": "#999999",
           "substantiated": "#CC79A7"}
RUN_COLOURS = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#000000"]


def records_vs_truth_by_decile(rates: pd.DataFrame, *, title: str | None = None):
    """True maltreatment, contact and substantiation rates by deprivation decile (from ``world.rates_by(counts, 'decile')``)."""
    fig, ax = plt.subplots(figsize=(9, 4.4), layout="constrained")
    x = rates.index.to_numpy()
    ax.plot(x, rates["true rate"], "o-", color=COLOURS["truth"], label="maltreated (truth, unseen)")
    ax.plot(x, rates["referral rate"], "s-", color=COLOURS["records"], label="contact with services (the tool's label)")
    ax.plot(x, rates["substantiation rate"], "^-", color=COLOURS["substantiated"], label="substantiated")
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xlabel("deprivation decile (1 = least deprived, 10 = most deprived)")
    ax.set_ylabel("share of families in a year (log scale)")
    # percentages, not powers of ten, for readers who are not statisticians
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.3g} %"))
    ax.grid(axis="y", which="both", color="#EEEEEE")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside, off the lines
    ax.set_title(title or "What the records see, against the truth, by deprivation", fontsize=10.5)
    return fig


def who_is_flagged(rates: pd.DataFrame, *, title: str | None = None):
    """Each group's share of families, of the truly maltreated, of the records and of the tool's flags."""
    cols = [("share of families", "families", COLOURS["families"]), ("share of the maltreated", "the maltreated (truth)",
            COLOURS["truth"]), ("share of records", "the records", COLOURS["records"]),
            ("share of flags", "the tool's flags", COLOURS["flags"])]
    fig, ax = plt.subplots(figsize=(max(6.5, 0.9 * len(rates) + 3), 4.6), layout="constrained")
    x = np.arange(len(rates))
    w = 0.2
    for i, (col, label, colour) in enumerate(cols):
        ax.bar(x + (i - 1.5) * w, rates[col], w, color=colour, label=label)
    ax.set_xticks(x, [str(i) for i in rates.index], fontsize=8.5)
    ax.set_xlabel((rates.index.name or "group").replace("_", " "))
    ax.set_ylabel("share of the total")
    # under the chart: inside it, the key met the tallest bars
    fig.legend(fontsize=8, frameon=False, ncol=4, loc="outside lower center")
    ax.set_title(title or "Who is flagged, against who is maltreated", fontsize=10.5)
    return fig


def records_vs_truth(audits: dict, *, metrics=("base_rate", "selection_rate", "fpr", "ppv"), interval: float = 0.9):
    """The audit run twice: each rate by group against the records and against the truth, with intervals.

    ``audits`` is ``{"records": Audit, "truth": Audit}`` (from ``world.audit_twice``).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(2.6 * len(metrics) + 1.8, 3.6), sharey=True)
    first = next(iter(audits.values()))
    groups = list(first.group_names)
    y = np.arange(len(groups))[::-1]
    colours = {"records": COLOURS["records"], "truth": COLOURS["truth"]}
    for ax, m in zip(np.atleast_1d(axes), metrics):
        for j, (name, a) in enumerate(audits.items()):
            r = a.rates[a.rates["metric"] == m].set_index("group").reindex(groups)
            off = 0.12 if j == 0 else -0.12
            ax.hlines(y + off, r["lower"], r["upper"], color=colours.get(name, "#777777"), lw=2)
            ax.plot(r["estimate"], y + off, "o", color=colours.get(name, "#777777"), ms=5,
                    label=f"against the {name}" if ax is np.atleast_1d(axes)[0] else None)
        ax.set_title(PLAIN_RATES.get(m, LABELS.get(m, m)), fontsize=9)
        ax.set_xlabel("proportion", fontsize=8)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.grid(axis="x", color="#EEEEEE")
    ax0 = np.atleast_1d(axes)[0]
    ax0.set_yticks(y, [g + (" (reference)" if g == first.reference else "") for g in groups], fontsize=8.5)
    fig.legend(loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    fig.suptitle(f"The same flags audited against the records and against the truth ({interval:.0%} intervals)", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


TRUTH_LINE = "the truth: no disparity (ratio 1),\nor the most deprived's share of the maltreated (flag share)"


def _log_ticks(lo: float, hi: float, candidates=(0.5, 1, 1.5, 2, 3, 4, 6, 8, 10, 15, 20, 30, 50, 100)) -> list[float]:
    """Readable ticks for a log axis from lo to hi, spaced so that their labels never touch:
    each at least 1/6 of the range (in log units) above the one before."""
    inside = [v for v in candidates if lo <= v <= hi]
    gap = np.log(hi / lo) / 6 if hi > lo > 0 else 0.0
    kept: list[float] = []
    for v in inside:
        if not kept or np.log(v / kept[-1]) >= gap or v == 1:
            if kept and v == 1 and np.log(v / kept[-1]) < gap:
                kept.pop()  # 1 (no disparity) always keeps its label
            kept.append(v)
    return kept


_METRIC_TITLES = {"recorded rate": "recorded rate: most / least deprived", "true rate": "true rate: most / least deprived",
                  "mean score": "tool's mean score: most / least deprived", "flag rate": "flag rate: most / least deprived",
                  "flag share": "share of the flags going to the most deprived"}


def disparities_over_generations(runs: dict[str, pd.DataFrame], *, metrics=("recorded rate", "mean score", "flag share"),
                                 family_share: float | None = 0.3, title: str | None = None):
    """Disparities per generation for one or more runs (``{label: world.disparities_over_generations(...)}``), with intervals.

    Ratio panels have a line at 1 (no disparity) and a log scale; the flag-share panel has a line
    at the group's share of families (``family_share``), which is its share of the truly
    maltreated when truth is equal.
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.0 * len(metrics), 3.9))
    for ax, m in zip(np.atleast_1d(axes), metrics):
        for i, (label, t) in enumerate(runs.items()):
            d = t[t["metric"] == m].sort_values("generation")
            c = RUN_COLOURS[i % len(RUN_COLOURS)]
            ax.plot(d["generation"], d["ratio"], "o-", color=c, ms=3.5, lw=1.5, label=label)
            if d["lower"].notna().any():
                ax.fill_between(d["generation"], d["lower"], d["upper"], color=c, alpha=0.2, lw=0)
        # one key entry for the green dashed line: it is the truth in every panel (no disparity for a
        # ratio, their share of the maltreated for the flag share); two entries that looked the same
        # but meant different things confused readers of notebook 05
        if m == "flag share":
            if family_share is not None:
                ax.axhline(family_share, color=COLOURS["truth"], ls="--", lw=1, label=TRUTH_LINE)
            ax.set_ylim(0, 1)
            ax.set_ylabel("share of all flags")
        else:
            ax.axhline(1, color=COLOURS["truth"], ls="--", lw=1, label=TRUTH_LINE)
            ax.set_yscale("log")
            ax.set_ylabel("ratio (log scale)")
            lo = min(1.0, np.nanmin([t[t["metric"] == m]["lower"].min() for t in runs.values()] + [1.0]))
            hi = np.nanmax([np.nanmax(t[t["metric"] == m][["ratio", "upper"]].to_numpy()) for t in runs.values()])
            ticks = _log_ticks(lo * 0.9, hi * 1.1)
            ax.set_yticks(ticks, [f"{v:g}" for v in ticks])
            ax.yaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel("generation (years the tool has been used)")
        ax.set_title(_METRIC_TITLES.get(m, m), fontsize=9.5)
        ax.grid(color="#EEEEEE")
    handles, labels = np.atleast_1d(axes)[-1].get_legend_handles_labels()
    h0, l0 = np.atleast_1d(axes)[0].get_legend_handles_labels()
    for h, lab in zip(h0, l0):
        if lab not in labels:
            handles.append(h)
            labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8.5, frameon=False)
    first = next(iter(runs.values()))
    interval = first.attrs.get("interval", 0.9)
    fig.suptitle(title or f"Feedback loop with equal true maltreatment ({interval:.0%} intervals)", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.5 / fig.get_size_inches()[1], 1, 1))
    return fig


def urn(runs: dict, *, paths: int = 25, title: str | None = None):
    """Ensign et al.'s urn: share of records in area A over time (top) and where it ends across seeds (bottom)."""
    fig, axes = plt.subplots(2, len(runs), figsize=(4.0 * len(runs), 6.0), squeeze=False)
    for j, (label, r) in enumerate(runs.items()):
        ax = axes[0, j]
        for k in range(min(paths, r.share.shape[0])):
            ax.plot(r.steps, r.share[k], color="#0072B2", lw=0.7, alpha=0.5)
        ax.axhline(r.true_share, color=COLOURS["truth"], ls="--", lw=1.4)
        ax.set_ylim(0, 1)
        ax.set_xscale("log")
        ax.set_xlabel("visits (log scale)")
        ax.set_ylabel("area A's share of the records")
        ax.set_title(label, fontsize=9.5)
        ax = axes[1, j]
        ax.hist(r.final_share, bins=np.linspace(0, 1, 26), color="#0072B2", alpha=0.8)
        ax.axvline(r.true_share, color=COLOURS["truth"], ls="--", lw=1.4)
        ax.set_xlabel("area A's share at the end")
        ax.set_ylabel(f"runs (of {r.share.shape[0]})")
    fig.suptitle(title or "The runaway feedback loop (Ensign et al. 2018): records decide where to look", fontsize=10.5)
    # one key for every panel, under them: inside a panel it covered the runs' lines
    shown = min(paths, min(r.share.shape[0] for r in runs.values()))
    handles = [plt.Line2D([], [], color="#0072B2", lw=0.7, label=f"one run (top: {shown} runs shown)"),
               plt.Line2D([], [], color=COLOURS["truth"], ls="--", lw=1.4, label="true share of incidents in area A")]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.35 / fig.get_size_inches()[1], 1, 1))
    return fig


__all__ = ["disparities_over_generations", "records_vs_truth", "records_vs_truth_by_decile", "urn", "who_is_flagged"]
