"""Plots for what would change the decision: EVPPI bars, the two-way map, robustness margins,
and enquiries against the cost of waiting. They draw result tables and never recompute them."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from decide.plots.decision import OPTION_COLOURS  # the same colour for an option in every figure


def _wrap(text: str, width: int = 40) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _plain_name(row) -> str:
    """What a reader sees for a row of a value-of-information table: the case's description of the
    quantity where it gives one, never its identifier."""
    description = str(row.get("description", "") or "")
    if description and not (row.get("group", False) and description.startswith("group of")):
        return description
    return str(row["name"]).replace("_", " ")


def evppi_bars(table, ax=None, top: int | None = 15, title: str | None = None):
    """Horizontal bars of EVPPI (from :func:`decide.information.evppi_table`) with ±2 standard
    errors, and the EVPI (everything learned) as a dashed line, named in the key beside the chart."""
    rows = table.head(top) if top else table
    rows = rows.iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.42 * len(rows) + 1.8), layout="constrained")
    colours = ["#F58518" if g else "#4C78A8" for g in rows["group"]]
    y = np.arange(len(rows))
    ax.barh(y, rows["evppi"], xerr=2 * rows["se"], color=colours, ecolor="#333333", capsize=3)
    ax.set_yticks(y, [_wrap(_plain_name(r), 45) for _, r in rows.iterrows()], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    handles = []
    evpi = table.attrs.get("evpi")
    if evpi is not None:
        handles.append(ax.axvline(evpi, color="#444444", linestyle="--", linewidth=1,
                                  label=_wrap(f"learning everything that is uncertain: {evpi:.2f} points", 30)))
    if rows["group"].any():  # a key for the colours only when both kinds of bar are drawn
        handles += [Patch(color="#4C78A8", label="one uncertain input"), Patch(color="#F58518", label="a group of inputs")]
    ax.set_xlim(left=0)
    ax.set_xlabel("value of learning it before deciding (points per child; bars ±2 standard errors)")
    ax.set_title(title or "What would be worth finding out before deciding", loc="left")
    if handles:  # beside the chart: a key inside it sat over the bars
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return ax


def two_way_map(result, ax=None, labels: dict | None = None, title: str | None = None):
    """Map of the preferred option over two quantities (a :class:`decide.robustness.TwoWay`),
    with the switching lines and today's judged means marked."""
    labels = labels or {}
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 5.5))
    present = sorted(set(np.unique(result.best)))
    # Each option's region is where its lead over the best of the others is positive; filling that
    # smooth surface (rather than the grid cells) gives the same edges as the switching lines. The
    # regions reach a hair past zero so that none leaves a gap where three options meet.
    span = float(np.ptp(result.values)) or 1.0
    for d in range(len(result.options)):
        lead = result.values[..., d] - np.delete(result.values, d, axis=-1).max(axis=-1)
        if lead.max() > 0:
            ax.contourf(result.grid_x, result.grid_y, lead.T, levels=[-0.005 * span, lead.max() + 1],
                        colors=[OPTION_COLOURS[d % len(OPTION_COLOURS)]], alpha=0.75)
        if lead.min() < 0 < lead.max():  # where the preferred option changes
            ax.contour(result.grid_x, result.grid_y, lead.T, levels=[0], colors="black", linewidths=1)
    # named in the key: a note beside the point could sit on a switching line
    now = ax.plot(*result.current, marker="o", color="white", markeredgecolor="black", markersize=9, linestyle="none",
                  label="as judged now (today's averages)")[0]
    ax.set_xlabel(_wrap(labels.get(result.x, result.x), 60))
    ax.set_ylabel(_wrap(labels.get(result.y, result.y), 45))
    ax.set_title(title or "Which option is preferred as two quantities change\n(everything else averaged over its uncertainty)")
    switching = [plt.Line2D([], [], color="black", lw=1, label="where the preferred option changes")] if any(
        ax.collections) and len(present) > 1 else []
    ax.legend(handles=[Patch(color=OPTION_COLOURS[i % len(OPTION_COLOURS)], alpha=0.75, label=result.options[i]) for i in present]
              + switching + [now], loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="preferred option",
              title_fontsize=8, frameon=False)
    return ax


def robustness_bars(table, ax=None, top: int | None = 12, title: str | None = None):
    """How big a hidden odds ratio would change the choice (from
    :func:`decide.robustness.robustness_margins`), smallest first; longer bars are sturdier."""
    rows = table[np.isfinite(table["margin"])]
    rows = (rows.head(top) if top else rows).iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.42 * len(rows) + 1.6))
    y = np.arange(len(rows))
    ratio = np.where(rows["odds_ratio"] >= 1, rows["odds_ratio"], 1 / rows["odds_ratio"])
    ax.barh(y, ratio, left=0, color=["#E45756" if r < 1.5 else "#4C78A8" for r in ratio])
    names = [f"{o}: whole option ({c})" if s == "whole option" else
             f"every option: {out} ({c})" if s == "outcome everywhere" else f"{o}: {out} ({c})"
             for s, o, out, c in zip(rows["scope"], rows["option"], rows["outcome"], rows["change"])]
    ax.set_yticks(y, [_wrap(n, 55) for n in names], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(left=1)
    fmt = FuncFormatter(lambda x, _: f"{x:g}×")
    ax.xaxis.set_major_formatter(fmt)
    # label the in-between ticks (2×, 3×, 5×) only while they have room: over more than two
    # powers of ten, 8×, 9× and 10× ran into each other
    lo, hi = ax.get_xlim()
    decades = np.log10(hi / lo) if hi > lo > 0 else 0.0
    keep = (2, 3, 5) if decades <= 1.2 else (2, 5) if decades <= 2.2 else ()
    ax.xaxis.set_minor_formatter(FuncFormatter(
        lambda x, _: f"{x:g}×" if x > 0 and round(x / 10 ** np.floor(np.log10(x) + 1e-9)) in keep else ""))
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("hidden odds ratio needed to change the preferred option (×, log scale; red: under 1.5)")
    pref = table.attrs.get("preferred", "")
    ax.set_title(title or f"How sturdy is the choice ({pref})? Unidentified shifts that would change it")
    return ax


def enquiry_bars(table, ax=None, title: str | None = None):
    """Each enquiry's value against the expected harm of waiting for it (from
    :func:`decide.information.enquiries_table`)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.7 * len(table) + 1.6), layout="constrained")
    y = np.arange(len(table))[::-1]
    h = 0.38
    ax.barh(y + h / 2, table["value"], h, xerr=2 * table["value_se"], color="#54A24B", label="value of finding out")
    ax.barh(y - h / 2, table["delay_cost"], h, color="#E45756", label="expected harm of the wait")
    ax.set_yticks(y, [_wrap(f"{e}: {v}", 40) for e, v in zip(table["enquiry"], table["verdict"])], fontsize=8)
    ax.set_xlabel("points per child (value of finding out: ±2 standard errors)")
    ax.set_title(title or "Decide now or find out more? Value of each enquiry against the harm of drift", loc="left")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside: inside it met the bars
    return ax


__all__ = ["enquiry_bars", "evppi_bars", "robustness_bars", "two_way_map"]
