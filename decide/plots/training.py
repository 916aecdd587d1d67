"""Plots for the trainers' pack: risk versus uncertainty, outcome bias, and the review of a recorded decision.

Each function draws a table made elsewhere (:mod:`decide.uncertainty`, :mod:`decide.outcome_bias`,
:mod:`decide.review`) and never recomputes it. Titles and axes are written for social workers.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from decide.errors import DecideError
from decide.plots.decision import BENEFIT, HARM, _option_colours

KNOWN = "#0072B2"
UNKNOWN = "#E69F00"
GOOD = "#009E73"
POOR = "#CC79A7"


def _wrap(text: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _need(table: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DecideError(f"{what} needs columns {list(columns)}; missing {missing} (got {list(table.columns)})")


# --- risk versus uncertainty ---------------------------------------------------------------------


def plot_harmed_counts(table: pd.DataFrame, title: str | None = None) -> Figure:
    """How many children of a group would be harmed: known odds (risk) against unknown odds (uncertainty).

    ``table`` is :func:`decide.uncertainty.how_many_harmed`.
    """
    _need(table, ["harmed", "known odds"], "plot_harmed_counts")
    n, p, sure = table.attrs.get("n_children"), table.attrs.get("chance"), table.attrs.get("how_sure")
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    ax.bar(table["harmed"], table["known odds"], width=0.9, color=KNOWN, alpha=0.6,
           label=f"known odds: the chance is exactly {p:.0%}" if p is not None else "known odds")
    if "unknown odds" in table:
        ax.step(table["harmed"], table["unknown odds"], where="mid", color=UNKNOWN, lw=2.2,
                label=f"unknown odds: the chance is about {p:.0%}, as sure as a study of {sure:g} children")
    ax.set_xlabel(f"How many of the {n} children are harmed")
    ax.set_ylabel("Probability")
    ax.set_title(title or f"Known odds still leave chance: out of {n} children, how many are harmed?", loc="left")
    # the key under the chart: inside it covered the bars whatever the chance (notebook 01)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: not labels[i].startswith("known"))  # known odds first
    fig.legend([handles[i] for i in order], [labels[i] for i in order], frameon=False, loc="outside lower center",
               fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    return fig


def plot_two_urns(table: pd.DataFrame) -> Figure:
    """Ellsberg's two urns: how many red balls in several draws, from the known and the unknown urn.

    ``table`` is :func:`decide.uncertainty.two_urns`.
    """
    cols = [c for c in table.columns if c != "red"]
    if "red" not in table.columns or len(cols) != 2:
        raise DecideError("plot_two_urns needs the table from decide.uncertainty.two_urns")
    n = table.attrs.get("n_draws", int(table["red"].max()))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    w = 0.4
    ax.bar(table["red"] - w / 2, table[cols[0]], width=w, color=KNOWN, label=cols[0])
    ax.bar(table["red"] + w / 2, table[cols[1]], width=w, color=UNKNOWN, label=cols[1])
    ax.set_xlabel(f"Red balls in {n} draws (each ball put back)")
    ax.set_ylabel("Probability")
    ax.set_xticks(table["red"])
    ax.set_title("Same chance of red on one draw, very different spread over many", loc="left")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def plot_unlisted_harm(table: pd.DataFrame, scale: tuple[float | None, float | None] | None = None) -> Figure:
    """How likely an unlisted harm would have to be to change the choice, by how serious it is.

    ``table`` is :func:`decide.uncertainty.unlisted_harm`; ``scale`` the case's value scale
    (``(case.values.scale_min, case.values.scale_max)``), named on the axis when given.
    """
    _need(table, ["magnitude", "chance_needed"], "plot_unlisted_harm")
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    ax.plot(table["magnitude"], np.minimum(table["chance_needed"], 1.05), color=HARM, lw=2.2,
            label="the chance it would need to have to change the choice")
    ax.axhline(1, color="grey", ls=":", lw=1, label="certain (a chance of 1)")
    ax.fill_between(table["magnitude"], np.minimum(table["chance_needed"], 1.05), 1.05, color=HARM, alpha=0.12,
                    label="an unlisted harm this likely would change the choice")
    ax.set_ylim(0, 1.05)
    lo, hi = scale if scale is not None else (None, None)
    where = f"the case's {lo:g} to {hi:g} scale" if lo is not None and hi is not None else "the case's value scale"
    ax.set_xlabel(f"How serious the unlisted harm would be (points on {where})")
    ax.set_ylabel("Chance it would need to have")
    pref, run = table.attrs.get("preferred", "the preferred option"), table.attrs.get("runner_up", "the runner-up")
    ax.set_title(_wrap(f"Unknown unknowns: how likely a harm nobody listed under '{pref}' would need to be "
                       f"to make '{run}' the better choice", 80), loc="left", fontsize=11)
    fig.legend(frameon=False, loc="outside lower center", ncol=2, fontsize=9)
    ax.grid(alpha=0.3)
    return fig


# --- outcome bias ------------------------------------------------------------------------------------


def plot_outcome_bias(counts: pd.DataFrame) -> Figure:
    """Decisions made well and made poorly, split by how an outcome-judging review would see them.

    ``counts`` is :meth:`decide.outcome_bias.OutcomeBias.counts`.
    """
    if list(counts.index) != ["made well", "made poorly"]:
        raise DecideError("plot_outcome_bias needs OutcomeBias.counts() (rows 'made well', 'made poorly')")
    blamed, praised = counts.columns
    fig, ax = plt.subplots(figsize=(9, 3.8))
    y = np.array([1, 0])
    total = counts.sum(axis=1).to_numpy(float)
    ax.barh(y, counts[blamed], color=HARM, label=blamed)
    ax.barh(y, counts[praised], left=counts[blamed], color=BENEFIT, alpha=0.75, label=praised)
    for yi, (b, p), t in zip(y, counts.to_numpy(), total):
        if t:
            ax.text(b / 2, yi, f"{b:,}\n({b / t:.0%})", ha="center", va="center", color="white", fontsize=9)
            ax.text(b + p / 2, yi, f"{p:,}\n({p / t:.0%})", ha="center", va="center", color="white", fontsize=9)
    ax.set_yticks(y, ["decisions made well", "decisions made poorly"])
    ax.set_xlabel("Number of decisions")
    ax.set_title("Judged by outcomes: good decisions blamed, poor decisions praised", loc="left")
    ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.08), ncol=2, fontsize=9)
    fig.tight_layout()
    return fig


def plot_outcome_bias_by_base_rate(table: pd.DataFrame) -> Figure:
    """How the blame of good decisions and the praise of poor ones shift with the base rate of harm.

    ``table`` is :func:`decide.outcome_bias.by_base_rate`; dots are simulated (with 2 standard
    errors), lines the closed form.
    """
    _need(table, ["base_rate", "blame_rate_good", "blame_rate_good_closed_form", "praise_rate_poor",
                  "praise_rate_poor_closed_form", "good_among_blamed", "good_among_blamed_closed_form"],
          "plot_outcome_bias_by_base_rate")
    x = table["base_rate"]
    fig, ax = plt.subplots(figsize=(9, 5))
    series = [("blame_rate_good", "good decisions that are blamed", HARM),
              ("praise_rate_poor", "poor decisions that are praised", BENEFIT),
              ("good_among_blamed", "of all blamed decisions, the share made well", GOOD)]
    for key, label, colour in series:
        ax.plot(x, table[key + "_closed_form"], color=colour, lw=2, label=label + " (worked out exactly)")
        ax.errorbar(x, table[key], yerr=2 * table[key + "_se"], fmt="o", ms=4, color=colour, capsize=2,
                    label=label + " (simulated, ±2 standard errors)")
    ax.set_xlabel("Base rate: average chance of harm if the child returns home")
    ax.set_ylabel("Share")
    ax.set_ylim(0, 1)
    ax.set_xlim(0, 1)
    ax.set_title("Judged by outcomes: blame of good decisions and praise of poor ones, by base rate", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --- review of a recorded decision ------------------------------------------------------------------------


def plot_outcome_chances(chances: pd.DataFrame, hindsight: bool = False) -> Figure:
    """How likely the record said each named outcome was, under every option that listed it.

    ``chances`` is :attr:`decide.review.Review.chances`. With ``hindsight=True`` a hollow marker at
    100 % shows how certain the outcome feels once it is known (hindsight), beside what was said.
    """
    _need(chances, ["outcome", "option", "chance", "chance_lower", "chance_upper", "carried_out", "happened"],
          "plot_outcome_chances")
    if chances.empty:
        raise DecideError("plot_outcome_chances was given no outcomes; name what happened in the review")
    rows = chances.reset_index(drop=True)
    colours = _option_colours(list(dict.fromkeys(rows["option"])))
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.6 * len(rows)))
    y = np.arange(len(rows))[::-1]
    for yi, (_, r) in zip(y, rows.iterrows()):
        c = colours[r["option"]]
        ax.barh(yi, r["chance"], color=c, alpha=0.9 if r["carried_out"] else 0.35, edgecolor="black" if r["carried_out"] else c)
        ax.errorbar(r["chance"], yi, xerr=[[r["chance"] - r["chance_lower"]], [r["chance_upper"] - r["chance"]]],
                    color="black", capsize=3, lw=1)
        ax.text(r["chance_upper"] + 0.01, yi, f"{r['chance']:.0%}", va="center", fontsize=9)
        if hindsight and r["happened"] and r["carried_out"]:
            ax.plot(1.0, yi, marker="o", mfc="none", mec="black", ms=10)
            ax.annotate("after the event it\nfeels as if it was certain", (1.0, yi), xytext=(-8, 10),
                        textcoords="offset points", ha="right", fontsize=8)
    labels = [_wrap(f"{r['outcome']} ({'happened' if r['happened'] else 'did not happen'}) if {r['option']}"
                    + (" — carried out" if r["carried_out"] else ""), 42) for _, r in rows.iterrows()]
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlim(0, 1.05)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    iv = chances.attrs.get("interval", 0.9)
    ax.set_xlabel(f"Chance the record gave it, on the day (bar: average; whiskers: {iv:.0%} interval)")
    ax.set_title("What the record said before anyone knew the outcome", loc="left")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def plot_choice(summary: pd.DataFrame, chosen: str) -> Figure:
    """Each option's expected net value with its interval, as recorded, with the chosen option marked.

    ``summary`` is the record's summary table (:meth:`decide.record.Record.table`).
    """
    _need(summary, ["expected_value", "lower", "upper", "probability_best"], "plot_choice")
    if chosen not in summary.index:
        raise DecideError(f"plot_choice: '{chosen}' is not an option in the summary ({', '.join(summary.index)})")
    options = list(summary.index)
    colours = _option_colours(options)
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.8 * len(options)))
    y = np.arange(len(options))[::-1]
    for yi, opt in zip(y, options):
        r = summary.loc[opt]
        ax.plot([r["lower"], r["upper"]], [yi, yi], color=colours[opt], lw=6, alpha=0.6, solid_capstyle="butt")
        ax.plot(r["expected_value"], yi, "o", color="black", ms=7)
    ax.set_yticks(y, [_wrap(o + (" (chosen)" if o == chosen else ""), 26)
                      + f"\nbest in {summary.loc[o, 'probability_best']:.0%} of possible worlds" for o in options])
    for tick, opt in zip(ax.get_yticklabels(), options):
        if opt == chosen:
            tick.set_fontweight("bold")
    iv = summary.attrs.get("interval", 0.9)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(f"Expected net value (points: benefits minus weighted harms); dot: average, bar: {iv:.0%} interval")
    ax.set_title("The options as the record saw them on the day", loc="left")
    ax.margins(y=0.25)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig
