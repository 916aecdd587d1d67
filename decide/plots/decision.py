"""Plots for one decision: what each option could bring, how sure we are, and what would change the choice.

Every function takes tables already made by :mod:`decide.compare` (or the simulation's own
tables) and draws them; none of them simulates or compares again, so a figure always shows
the numbers printed beside it. Each returns a matplotlib Figure with a title and labelled
axes, written for a social worker as much as for an analyst.

Colours: harms are vermilion and benefits blue (Okabe-Ito, readable with colour-blindness);
options keep the same colour in every figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from decide.errors import DecideError

HARM = "#D55E00"
BENEFIT = "#0072B2"
#: Okabe-Ito colours for options (same option, same colour, in every figure).
OPTION_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
LOW_COLOUR = "#56B4E9"
#: Dash patterns that tell apart several switch lines in one key.
SWITCH_DASHES = [(1, 2), (3, 2, 1, 2), (1, 4), (4, 4)]
MARK_DASHES = [(5, 3), (8, 3, 2, 3), (2, 2, 6, 2)]
HIGH_COLOUR = "#E69F00"



def _spans(mid, lower, upper):
    """Error-bar lengths below and above a mean. For a rare event the mean can lie outside its own
    90 % interval (most worlds give nothing, a few give much); the bar then stops at the mean."""
    mid, lower, upper = (np.asarray(x, dtype=float) for x in (mid, lower, upper))
    return [np.clip(mid - lower, 0, None), np.clip(upper - mid, 0, None)]

def _wrap(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _percent(p: float) -> str:
    return f"{100 * p:.0f} %"


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DecideError(
            f"{what} needs a table with columns {list(columns)}; missing {missing}. "
            f"Pass the table from decide.compare (got columns {list(table.columns)})"
        )


def _option_colours(options: Sequence[str]) -> dict[str, str]:
    return {o: OPTION_COLOURS[i % len(OPTION_COLOURS)] for i, o in enumerate(options)}


def _interval_label(table, default: float = 0.9) -> str:
    return f"{100 * float(table.attrs.get('interval', default)):.0f} %"


# --- harms and benefits of each option ---------------------------------------------------------------


def plot_outcomes(outcomes: pd.DataFrame) -> Figure:
    """Each option's harms and benefits: the chance of each, and what it adds to or takes from the option.

    ``outcomes`` is :func:`decide.compare.outcome_table`. Left: the chance within its horizon;
    right: chance x magnitude (harms counted with the harm weight, so negative). Bars are the
    means; whiskers the interval over what we do not know.
    """
    _require(outcomes, ["option", "outcome", "kind", "chance", "chance_lower", "chance_upper",
                        "contribution", "contribution_lower", "contribution_upper"], "plot_outcomes")
    if outcomes.empty:
        raise DecideError("plot_outcomes was given an empty outcome table; simulate a decision with options first")
    options = list(dict.fromkeys(outcomes["option"]))
    counts = [int((outcomes["option"] == o).sum()) for o in options]
    fig, axes = plt.subplots(
        len(options), 2, figsize=(11, 1.0 + 0.55 * sum(counts) + 0.5 * len(options)),
        gridspec_kw={"height_ratios": counts, "width_ratios": [1, 1.3]}, sharex="col", squeeze=False,
    )
    lo_c = min(0.0, float(outcomes["contribution_lower"].min()))
    hi_c = max(0.0, float(outcomes["contribution_upper"].max()))
    pad = 0.05 * (hi_c - lo_c or 1.0)
    for r, opt in enumerate(options):
        rows = outcomes[outcomes["option"] == opt].reset_index(drop=True)
        y = np.arange(len(rows))[::-1]
        colours = [HARM if k == "harm" else BENEFIT for k in rows["kind"]]
        ax_c, ax_v = axes[r]
        ax_c.barh(y, rows["chance"], color=colours, alpha=0.85, height=0.6)
        ax_c.errorbar(rows["chance"], y, xerr=_spans(rows["chance"], rows["chance_lower"], rows["chance_upper"]),
                      fmt="none", ecolor="black", capsize=3, lw=1)
        # each outcome's horizon beside its name when the table gives it: chances over 6 months and
        # over 5 years are not alike, and the reader must see which is which
        names = [_wrap(o, 30) + (f"\n(within {h})" if isinstance(h, str) and h.strip() else "")
                 for o, h in zip(rows["outcome"], rows["horizon"] if "horizon" in rows else [None] * len(rows))]
        ax_c.set_yticks(y, names)
        ax_c.set_xlim(0, 1)
        ax_c.set_title(opt, loc="left", fontsize=11, fontweight="bold")
        ax_v.barh(y, rows["contribution"], color=colours, alpha=0.85, height=0.6)
        ax_v.errorbar(rows["contribution"], y,
                      xerr=_spans(rows["contribution"], rows["contribution_lower"], rows["contribution_upper"]),
                      fmt="none", ecolor="black", capsize=3, lw=1)
        ax_v.axvline(0, color="black", lw=0.8)
        ax_v.set_yticks(y, [""] * len(y))
        ax_v.set_xlim(lo_c - pad, hi_c + pad)
        for ax in (ax_c, ax_v):
            ax.set_ylim(-0.6, len(rows) - 0.4)
            ax.grid(axis="x", alpha=0.3)
            ax.set_ylabel("")
    interval = _interval_label(outcomes)
    axes[-1, 0].set_xlabel(f"Chance it happens within its horizon\n(bar: best estimate; whiskers: {interval} interval)")
    axes[-1, 1].set_xlabel(f"What it adds to the option (points of value; harms count against)\n"
                           f"= chance x how much it matters; whiskers: {interval} interval")
    for ax in axes[:, 0]:
        ax.set_ylabel("possible outcome")
    fig.legend(handles=[Patch(color=HARM, label="harm"), Patch(color=BENEFIT, label="benefit")],
               loc="upper right", ncol=2, frameon=False)
    fig.suptitle("What could happen under each option, and how much each outcome counts", x=0.02, ha="left",
                 fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


# --- expected value, chance best ---------------------------------------------------------------------


def plot_value(summary: pd.DataFrame, values: pd.DataFrame | None = None, child_interval: float = 0.9) -> Figure:
    """Expected net value of each option with its interval, and (optionally) the spread for one child.

    ``summary`` is :func:`decide.compare.summary`. The thick bar is what we do not know about
    the *average* (uncertainty). With ``values`` (``Simulation.values_table()``) a thin, pale
    line adds the range of what might actually happen to this one child, which stays wide even
    when the odds are known (risk).
    """
    _require(summary, ["expected_value", "lower", "upper"], "plot_value")
    options = list(summary.index)
    colours = _option_colours(options)
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.9 * len(options)))
    y = np.arange(len(options))[::-1]
    if values is not None:
        _require(values, ["option", "child_value"], "plot_value (values)")
        a, b = (1 - child_interval) / 2, (1 + child_interval) / 2
        for yi, opt in zip(y, options):
            child = values.loc[values["option"] == opt, "child_value"]
            lo, hi = np.quantile(child, [a, b])
            ax.plot([lo, hi], [yi, yi], color=colours[opt], alpha=0.35, lw=12, solid_capstyle="butt",
                    label=f"one child: {100 * child_interval:.0f} % of what might happen" if yi == y[0] else None)
    for yi, opt in zip(y, options):
        row = summary.loc[opt]
        ax.plot([row["lower"], row["upper"]], [yi, yi], color=colours[opt], lw=5, solid_capstyle="butt",
                label=f"the average: {_interval_label(summary)} interval (what we do not know)" if yi == y[0] else None)
        ax.plot([row["expected_value"]], [yi], "o", color="white", mec="black", ms=9, zorder=3,
                label="best estimate of the average" if yi == y[0] else None)
        ax.annotate(f"{row['expected_value']:.0f}", (row["expected_value"], yi), xytext=(0, 9),
                    textcoords="offset points", ha="center", fontsize=9)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [_wrap(o, 24) for o in options])
    ax.set_ylabel("option")
    ax.set_xlabel("Net value (points: benefits minus weighted harms; higher is better for the child)")
    ax.set_ylim(-0.7, len(options) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False, fontsize=9)
    w = summary.attrs.get("harm_weight")
    ax.set_title("Expected net value of each option" + (f" (harm weight {w:g})" if w is not None else ""), loc="left")
    fig.tight_layout()
    return fig


def plot_probability_best(probability_best: pd.Series | pd.DataFrame) -> Figure:
    """How often each option comes out best across what we do not know.

    Takes :func:`decide.compare.probability_best` or the ``summary`` table.
    """
    if isinstance(probability_best, pd.DataFrame):
        _require(probability_best, ["probability_best"], "plot_probability_best")
        probability_best = probability_best["probability_best"]
    options = list(probability_best.index)
    colours = _option_colours(options)
    fig, ax = plt.subplots(figsize=(8, 1.3 + 0.7 * len(options)))
    y = np.arange(len(options))[::-1]
    ax.barh(y, probability_best.values, color=[colours[o] for o in options], height=0.6)
    for yi, p in zip(y, probability_best.values):
        ax.text(min(p + 0.01, 0.9), yi, _percent(p), va="center", fontsize=10)
    ax.set_yticks(y, [_wrap(o, 24) for o in options])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _: _percent(x))
    ax.set_xlabel("Chance this option is the best one, given what we do not know")
    ax.set_ylabel("option")
    ax.set_title("How often each option comes out best", loc="left")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# --- values: how heavily harm is weighed ----------------------------------------------------------------


def plot_acceptability(acceptability: pd.DataFrame, harm_weight: float | None = None) -> Figure:
    """The chance each option is best as the weight on harm changes (log scale), with the case's weight marked.

    ``acceptability`` is :func:`decide.compare.acceptability` (index: harm weight; columns: options).
    """
    if acceptability.empty:
        raise DecideError("plot_acceptability was given an empty table; use decide.compare.acceptability(sim)")
    weights = np.asarray(acceptability.index, dtype=float)
    options = list(acceptability.columns)
    colours = _option_colours(options)
    fig, ax = plt.subplots(figsize=(9, 5))
    for opt in options:
        ax.plot(weights, acceptability[opt].values, color=colours[opt], lw=2.2, label=opt)
    ax.set_xscale("log")
    ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8) if weights.min() <= t <= weights.max()]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    if harm_weight is not None:  # named in the key, so no note sits on the lines
        ax.axvline(harm_weight, color="black", ls="--", lw=1, label=f"the weight in this case: {harm_weight:g}")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda x, _: _percent(x))
    ax.set_xlabel("Harm weight: how many points of benefit one point of harm outweighs (log scale)\n"
                  "left: harms weighed lightly · right: harms weighed heavily")
    return _finish_option_lines(fig, ax, "Chance this option is best", "Does the choice depend on how heavily harm is weighed?")


def plot_value_by_harm_weight(summary: pd.DataFrame, weights: tuple[float, float] = (0.25, 4.0),
                              harm_weight: float | None = None, switches: pd.DataFrame | None = None) -> Figure:
    """Each option's expected net value as the harm weight changes, and where the best option switches.

    Expected value is ``expected_benefit - w * expected_harm``, a straight line in ``w``, so the
    summary table's two columns give every option's line exactly; nothing is simulated again.
    ``switches`` is :func:`decide.compare.harm_weight_switches` (marked as dotted lines if given).
    """
    _require(summary, ["expected_benefit", "expected_harm"], "plot_value_by_harm_weight")
    lo, hi = weights
    if not 0 < lo < hi:
        raise DecideError(f"weights must be (low, high) with 0 < low < high, got {weights}")
    options = list(summary.index)
    colours = _option_colours(options)
    b = summary["expected_benefit"].to_numpy(float)
    h = summary["expected_harm"].to_numpy(float)
    w = np.geomspace(lo, hi, 400)
    lines = b[None, :] - w[:, None] * h[None, :]
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, opt in enumerate(options):
        ax.plot(w, lines[:, i], color=colours[opt], lw=2.2, label=opt)
    # switches and the case's weight are named in the key, not written beside their lines, where
    # the notes sat on the lines they labelled
    for k, (x, frm, to) in enumerate([] if switches is None else
                                     switches[["harm_weight", "from_option", "to_option"]].itertuples(index=False)):
        ax.axvline(x, color="grey", ls=":", lw=1.4, dashes=SWITCH_DASHES[k % len(SWITCH_DASHES)],
                   label=_wrap(f"switch at {x:.2g}: below, {frm}; above, {to}", 34))
    if harm_weight is not None:
        ax.axvline(harm_weight, color="black", ls="--", lw=1, label=f"the weight in this case: {harm_weight:g}")
    ax.set_xscale("log")
    ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8) if lo <= t <= hi]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("Harm weight: how many points of benefit one point of harm outweighs (log scale)")
    return _finish_option_lines(fig, ax, "Expected net value (points)", "Where the harm weight would change the preferred option")


def _finish_option_lines(fig: Figure, ax, ylabel: str, title: str) -> Figure:
    """The common finish of the one-line-per-option charts: labels, grid, the option legend outside."""
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(title="option, and lines marked", frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    fig.tight_layout()
    return fig


# --- what would change the choice ---------------------------------------------------------------------


def plot_tornado(tornado: pd.DataFrame, label_width: int = 38) -> Figure:
    """One-way sensitivity: the preferred option's lead over the runner-up as each input moves low/high.

    ``tornado`` is :func:`decide.compare.tornado` (pass ``.head(n)`` for the largest n). A bar that
    crosses zero means that input alone, at that value, would flip the choice.
    """
    _require(tornado, ["quantity", "lead_at_low", "lead_at_high", "low_value", "high_value"], "plot_tornado")
    if tornado.empty:
        raise DecideError("plot_tornado was given an empty table; use decide.compare.tornado(sim)")
    base = float(tornado.attrs.get("base_lead", 0.0))
    preferred = tornado.attrs.get("preferred", "preferred option")
    runner_up = tornado.attrs.get("runner_up", "runner-up")
    low_pct = tornado.attrs.get("low", 0.1)
    high_pct = tornado.attrs.get("high", 0.9)
    labels = tornado["description"] if "description" in tornado.columns else tornado["quantity"]
    n = len(tornado)
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.62 * n))
    y = np.arange(n)[::-1]
    ax.barh(y, tornado["lead_at_low"] - base, left=base, color=LOW_COLOUR, height=0.6,
            label=f"input at its low value ({100 * low_pct:.0f}th percentile)")
    ax.barh(y, tornado["lead_at_high"] - base, left=base, color=HIGH_COLOUR, height=0.6,
            label=f"input at its high value ({100 * high_pct:.0f}th percentile)")
    for yi, (_, row) in zip(y, tornado.iterrows()):
        # the value tried at the end of its bar: low above the bar's middle, high below, so the
        # two never meet when both bars point the same way and end close together
        for lead, value, up in ((row["lead_at_low"], row["low_value"], True), (row["lead_at_high"], row["high_value"], False)):
            right = lead >= base
            ax.annotate(f"{value:.2g}", (lead, yi), xytext=(3 if right else -3, 1 if up else -1), textcoords="offset points",
                        ha="left" if right else "right", va="bottom" if up else "top", fontsize=7.5, color="dimgrey")
    ax.axvline(base, color="black", lw=1)
    ax.axvline(0, color=HARM, lw=1.5, ls="--", label="no lead: a bar reaching past this line would flip the choice")
    xmin, xmax = ax.get_xlim()
    span = xmax - xmin
    ax.set_xlim(min(xmin, -0.08 * span), max(xmax, 0.08 * span))
    ax.axvspan(ax.get_xlim()[0], 0, color=HARM, alpha=0.07)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks(y, [_wrap(s, label_width) for s in labels], fontsize=9)
    ax.set_ylabel("uncertain input (moved on its own)")
    ax.set_xlabel(f"Lead of '{preferred}' over '{runner_up}' (points of expected net value)\n"
                  f"black line: lead with every input at its average ({base:.1f}); numbers: the value tried")
    ax.set_title("What could change the choice: one uncertain input at a time", loc="left")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="lower center", ncol=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.55 / (1.6 + 0.62 * n), 1, 1))
    return fig


def plot_threshold(threshold, label: str | None = None, marks: dict[str, float] | None = None) -> Figure:
    """Expected value of each option as one input is swept, with the points where the choice switches.

    ``threshold`` is :func:`decide.compare.threshold` (``curve`` and ``switches``). ``marks`` adds
    labelled vertical lines, e.g. a published base rate: ``{"Farmer et al. (2011): 46 %": 0.46}``.
    """
    curve, switches = threshold.curve, threshold.switches
    if curve.empty:
        raise DecideError("plot_threshold was given an empty curve; use decide.compare.threshold(sim, quantity)")
    label = label or threshold.quantity
    options = list(curve.columns)
    colours = _option_colours(options)
    x = np.asarray(curve.index, dtype=float)
    fig, ax = plt.subplots(figsize=(9, 5))
    for opt in options:
        ax.plot(x, curve[opt].values, color=colours[opt], lw=2.2, label=opt)
    # switches and marks are named in the key: notes beside the lines sat on the lines they labelled
    for k, (_, sw) in enumerate(switches.iterrows()):
        ax.axvline(sw["value"], color="black", ls=":", lw=1.2, dashes=SWITCH_DASHES[k % len(SWITCH_DASHES)],
                   label=_wrap(f"switch at {sw['value']:.3g}: {sw['from_option']} → {sw['to_option']}", 34))
    for k, (text, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color="dimgrey", ls="--", lw=1, dashes=MARK_DASHES[k % len(MARK_DASHES)], label=_wrap(text, 34))
    title = "Where would the choice switch?"
    if switches.empty:
        best = options[int(np.argmax(curve.iloc[0].values))]
        title += "\n" + _wrap(f"No switch in this range: '{best}' stays preferred throughout", 70)
    ax.set_xlabel(_wrap(label, 80) + "\n(everything else left as uncertain as it is)")
    return _finish_option_lines(fig, ax, "Expected net value (points)", title)


# --- risk and uncertainty -----------------------------------------------------------------------------


def plot_risk_and_uncertainty(values: pd.DataFrame, bins: int = 40) -> Figure:
    """For each option: the spread of the *average* (uncertainty) beside what happens to *one child* (risk too).

    ``values`` is ``Simulation.values_table()`` (columns option, expected_value, child_value).
    Even if we knew every chance exactly, one child's outcome would still vary: that is risk.
    """
    _require(values, ["option", "expected_value", "child_value"], "plot_risk_and_uncertainty")
    options = list(dict.fromkeys(values["option"]))
    edges = np.histogram_bin_edges(np.concatenate([values["child_value"], values["expected_value"]]), bins=bins)
    fig, axes = plt.subplots(len(options), 1, figsize=(9, 1.0 + 1.8 * len(options)), sharex=True, squeeze=False)
    for ax, opt in zip(axes[:, 0], options):
        rows = values[values["option"] == opt]
        ax.hist(rows["child_value"], bins=edges, density=True, color="grey", alpha=0.5,
                label="what might happen to this one child (risk and uncertainty)")
        ax.hist(rows["expected_value"], bins=edges, density=True, histtype="step", lw=2, color="black",
                label="the average outcome, as far as we know it (uncertainty only)")
        ax.set_title(opt, loc="left", fontsize=10, fontweight="bold")
        ax.set_ylabel("share\n(density)")
        ax.set_yticks([])
        ax.axvline(0, color="grey", lw=0.8, ls="--")
    axes[-1, 0].set_xlabel("Net value for the child (points: benefits minus weighted harms)")
    fig.suptitle("Risk versus uncertainty: knowing the odds would not tell us what will happen", x=0.02, ha="left",
                 fontsize=12)
    # one key under the panels: inside the first panel it covered the distributions
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0.4 / height, 1, 1 - 0.25 / height))
    return fig


# --- what each practitioner said ----------------------------------------------------------------------

_KIND_AXIS = {
    "probability": "Chance (0 = impossible, 1 = certain)",
    "odds_ratio": "Odds ratio (below 1 lowers the odds, above 1 raises them)",
    "magnitude": "How much it matters (points on the value scale)",
    "number": "Value",
}


def judged_distributions(decision, ref, kind: str | None = None):
    """The fitted distribution of each judgement behind an input, and their pool (None for one judgement).

    ``ref`` is a quantity name or an inline :class:`~decide.judge.Judgement` (for example an
    outcome's ``chance``). Returns ``(kind, [(who, judgement, distribution), ...], pooled)``.
    """
    from decide.judge import Judgement

    if isinstance(ref, str):
        q = decision.quantity(ref)
        kind = q.kind
        judgements = q.all_judgements
    elif isinstance(ref, Judgement):
        if kind is None:
            raise DecideError("give kind ('probability', 'magnitude', 'odds_ratio') for an inline judgement")
        judgements = [ref]
    else:
        raise DecideError(f"expected a quantity name or a Judgement, got {type(ref).__name__} {ref!r}")
    bounds = decision.bounds(kind)
    fitted = [(j.by or (f"practitioner {i + 1}" if len(judgements) > 1 else "judgement"), j,
               j.to_distribution(kind, bounds)) for i, j in enumerate(judgements)]
    pooled = decision.distribution_of(ref, kind) if isinstance(ref, str) and len(judgements) > 1 else None
    return kind, fitted, pooled


def _grid(kind: str, bounds, dists, n: int = 400, keep=()) -> np.ndarray:
    """Where to draw the curves. For a chance, the whole 0-1 range unless every curve (and every
    value in ``keep``: numbers written, verbal bands) sits in a small part of it; then that part,
    padded, so a judgement of about 3 % is not a spike against the left edge."""
    lo, hi = bounds
    if kind == "probability":
        qs = [d.ppf([0.0005, 0.9995]) for d in dists if hasattr(d, "ppf")]
        points = [float(v) for q in qs for v in q] + [float(v) for v in keep if v is not None]
        if points and np.all(np.isfinite(points)):
            a, b = min(points), max(points)
            if b - a < 0.5:
                pad = 0.15 * (b - a) + 0.005
                return np.linspace(max(a - pad, 0.0005), min(b + pad, 0.9995), n)
        return np.linspace(0.0005, 0.9995, n)
    if kind == "magnitude" and hi is not None:
        pad = (hi - lo) * 0.0005
        return np.linspace(lo + pad, hi - pad, n)
    qs = [d.ppf([0.001, 0.999]) for d in dists if hasattr(d, "ppf")]
    a = min(float(q[0]) for q in qs)
    b = max(float(q[1]) for q in qs)
    return np.linspace(a, b, n)


def plot_judgements(decision, refs, titles: Sequence[str] | None = None, kinds: Sequence[str | None] | None = None) -> Figure:
    """What each practitioner said about one or more inputs, as the distributions the analysis uses.

    One panel per input (a quantity name, or an inline Judgement with its kind). Each
    practitioner's fitted distribution is a line, the pooled view a thick black line, the numbers
    they wrote (low / likely / high) are marked, and a verbal likelihood's band on its published
    scale is shaded.
    """
    from decide.judge import SCALE_SOURCES, CONFIDENCE_MASS, Fixed, verbal_band

    if isinstance(refs, str) or not isinstance(refs, Sequence):
        refs = [refs]
    kinds = list(kinds) if kinds is not None else [None] * len(refs)
    fig, axes = plt.subplots(len(refs), 1, figsize=(12, 0.6 + 3.3 * len(refs)), squeeze=False)
    for p, (ax, ref, kind) in enumerate(zip(axes[:, 0], refs, kinds)):
        kind, fitted, pooled = judged_distributions(decision, ref, kind)
        bounds = decision.bounds(kind)
        dists = [d for _, _, d in fitted if not isinstance(d, Fixed)]
        written = [v for _, j, _ in fitted for v in (j.low, j.likely, j.high)]
        bands = [v for _, j, _ in fitted if j.verbal is not None for v in verbal_band(j.verbal, j.scale)]
        x = _grid(kind, bounds, dists, keep=written + bands) if dists else None
        for i, (who, j, dist) in enumerate(fitted):
            colour = OPTION_COLOURS[i % len(OPTION_COLOURS)]
            if isinstance(dist, Fixed):
                ax.axvline(dist.value, color=colour, lw=2, label=f"{who}: exactly {dist.value:g}")
                continue
            ax.plot(x, dist.pdf(x), color=colour, lw=1.8, ls="-" if pooled is None else "--", label=f"{who}: {_said(j)}")
            if j.low is not None:
                first = all(jj.low is None for _, jj, _ in fitted[:i])
                ax.plot([j.low, j.likely, j.high], [0, 0, 0], "|", color=colour, ms=14, mew=2, clip_on=False,
                        label="ticks: the low, likely and high values written" if first else None)
            if j.verbal is not None:
                a, b = verbal_band(j.verbal, j.scale)
                ax.axvspan(a, b, color=colour, alpha=0.15,
                           label=f"'{j.verbal}' = {_percent(a)} to {_percent(b)} on the\n{_wrap(SCALE_SOURCES[j.scale], 45)}"
                                 f"\n({j.confidence} confidence: {_percent(CONFIDENCE_MASS[j.confidence])} of the curve "
                                 "inside the band)")
        if pooled is not None and x is not None:
            ax.plot(x, pooled.pdf(x), color="black", lw=2.6, label="pooled view used in the analysis")
        if titles is not None:
            title = titles[p]
        elif isinstance(ref, str):
            q = decision.quantity(ref)
            title = (q.description or ref) + (f"\nsource: {q.source}" if q.source else "")
        else:
            title = "a judgement written in the option itself"
        ax.set_title("\n".join(_wrap(line, 95) for line in title.split("\n")), loc="left", fontsize=10)
        ax.set_xlabel(_KIND_AXIS.get(kind, "Value"))
        ax.set_ylabel("How plausible\n(density)")
        ax.set_ylim(bottom=0)
        # the key beside the panel, never over the curves (it covered them in notebook 02)
        ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
        ax.grid(alpha=0.3)
    fig.suptitle("What was judged: each statement as a distribution", x=0.02, ha="left", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def _said(j) -> str:
    """The practitioner's own words or numbers, for a legend."""
    if j.verbal is not None:
        return f"'{j.verbal}', {j.confidence} confidence"
    if j.low is not None:
        return f"low {j.low:g}, likely {j.likely:g}, high {j.high:g}"
    if j.quantiles is not None:
        return ", ".join(f"{100 * p:g}th percentile {v:g}" for p, v in sorted(j.quantiles.items()))
    if j.distribution is not None:
        return f"{j.distribution}(" + ", ".join(f"{k} {v:g}" for k, v in (j.params or {}).items()) + ") distribution"
    return f"exactly {j.value:g}"


__all__ = [
    "judged_distributions", "plot_acceptability", "plot_judgements", "plot_outcomes", "plot_probability_best",
    "plot_risk_and_uncertainty", "plot_threshold", "plot_tornado", "plot_value", "plot_value_by_harm_weight",
]

