"""Sentences that explain pairs of numbers that seem to disagree, written from the numbers themselves.

A reader who sees an option lead by 4.2 points in one place and 6.9 in another, or an option with the
highest expected net value that is *not* the one most often best, deserves one line saying why both
are true. Each function here takes the results (never typed-in numbers) and returns plain sentences,
so the explanation cannot drift from what is printed beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from decide.errors import DecideError
from decide.simulate import Simulation

#: Plain words for :func:`decide.compare.summary`'s columns, for tables a reader sees.
SUMMARY_HEADERS = {
    "expected_value": "expected net value",
    "lower": "lower end",
    "upper": "upper end",
    "expected_benefit": "expected benefit",
    "expected_harm": "expected harm",
    "probability_best": "probability best",
    "expected_regret": "expected regret",
    "uncertainty_sd": "spread from what we do not know",
    "risk_sd": "extra spread from chance (risk)",
}


def readable_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with plain-word headers; the interval's width is named from the table itself."""
    pct = f"{summary.attrs.get('interval', 0.9) * 100:g} %"
    headers = {**SUMMARY_HEADERS, "lower": f"lower end ({pct} interval)", "upper": f"upper end ({pct} interval)"}
    out = summary.rename(columns=headers)
    out.index.name = summary.index.name
    return out


def _pts(x: float) -> str:
    return f"{x:.1f} point{'' if round(abs(x), 1) == 1 else 's'}"


def two_leads(summary: pd.DataFrame, tornado: pd.DataFrame) -> list[str]:
    """Say what the expected lead and the tornado's lead at average inputs are, and why they differ.

    The comparison's lead is the difference of *expected* net values: each option's value averaged
    over every possible world. The tornado starts from the lead with every input held at its
    average. Values are built from products (chance x how serious) and odds ratios, so the value at
    average inputs is not the average value, and the two leads differ even on the same draws.
    """
    ev = summary["expected_value"].sort_values(ascending=False)
    if len(ev) < 2:
        raise DecideError("two_leads needs at least two options")
    first, second = ev.index[0], ev.index[1]
    expected_lead = float(ev.iloc[0] - ev.iloc[1])
    base = float(tornado.attrs["base_lead"])
    t_first, t_second = tornado.attrs["preferred"], tornado.attrs["runner_up"]
    draws = summary.attrs.get("draws")
    worlds = f"all {draws:,} possible worlds" if draws else "every possible world"
    lines = [f"Averaged over {worlds}, '{first}' is ahead of '{second}' by {_pts(expected_lead)} of expected "
             "net value. This is the lead in the comparison table, and the one `decide report` and "
             "`decide compare` give with the same draws and seed."]
    if (t_first, t_second) == (first, second):
        who = "the same two options"
    else:
        who = f"'{t_first}' against '{t_second}', the two that come first at average inputs"
    gap = "larger" if base > expected_lead else "smaller"
    lines.append(f"The tornado chart starts from a different number, {_pts(base)} ({who}): the lead when every "
                 f"input is set to its average. It is {gap} because each option's value is built from chances "
                 "multiplied by how serious the outcomes are, and from odds ratios, so the value at average inputs "
                 "is not the average value. Both use the same draws; they answer different questions.")
    return lines


def expected_vs_most_often_best(sim: Simulation, harm_weight: float) -> str | None:
    """When the option with the highest expected value is not the one most often best, say why both hold.

    Returns None when they agree. The explanation is exact, from the draws: head to head, the
    expected lead of A over B is P(A beats B) x (A's average margin then) - P(B beats A) x (B's
    average margin then); and A is *best* only in the worlds where it beats every other option, so
    a third option that often beats A takes worlds from A's count but not from its average.
    """
    if not harm_weight > 0:
        raise DecideError(f"harm weight must be above 0, got {harm_weight!r}")
    ds = sim.dataset
    v = ds["expected_benefit"].values - harm_weight * ds["expected_harm"].values
    options = list(sim.options)
    mean = v.mean(axis=0)
    top = v == v.max(axis=1, keepdims=True)  # options tied for first in a world share that world
    best = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)
    a, b = int(np.argmax(mean)), int(np.argmax(best))
    if a == b or not (mean[a] > mean[b] and best[b] > best[a]):
        return None
    A, B = options[a], options[b]
    d = v[:, a] - v[:, b]
    wins, losses = d > 0, d < 0
    win_margin = float(d[wins].mean()) if wins.any() else 0.0
    loss_margin = float(-d[losses].mean()) if losses.any() else 0.0
    text = (f"At a harm weight of {harm_weight:.2g}, '{A}' has the higher expected net value "
            f"({mean[a]:.1f} against {mean[b]:.1f} points), yet '{B}' comes out best in more possible worlds "
            f"({best[b]:.0%} against {best[a]:.0%}). Both are true. Head to head, '{A}' beats '{B}' in "
            f"{wins.mean():.0%} of the worlds, by {_pts(win_margin)} on average when it does, and falls behind in "
            f"{losses.mean():.0%}, by {_pts(loss_margin)} on average")
    if wins.mean() < losses.mean():
        text += ": it wins less often than it loses, but by more, so it leads on average"
    taken = wins & ~(top[:, a] & (top.sum(axis=1) == 1))  # A beats B, but is not alone in first place
    if taken.any():
        # A wins the pair, but a third option does at least as well, and takes those worlds from A's count
        others = top[taken].copy()
        others[:, a] = False
        thief = options[int(others.sum(axis=0).argmax())]
        text += (f". And in {taken.sum() / wins.sum():.0%} of the worlds where '{A}' beats '{B}', "
                 f"'{thief}' does better still, so '{A}' comes first in only {best[a]:.0%} of all the worlds")
    # (one of the two always holds: if no third option ever takes A's wins, A is first exactly when it
    # beats B, ties with B are shared equally, and B, first more often than A, must beat A more often)
    text += "."
    return text + (" Expected value weighs how much an option wins or loses by; probability best counts only "
                   "how often it comes first.")


def disagreement_range(summary: pd.DataFrame, acceptability: pd.DataFrame) -> tuple[float, float] | None:
    """The harm weights on the acceptability grid where the highest expected value and most-often-best differ.

    Uses the summary's expected benefit and harm (value is a straight line in the weight) and the
    acceptability table's rows; returns (lowest, highest) such weight, or None if they always agree.
    """
    b = summary["expected_benefit"].reindex(acceptability.columns).to_numpy(float)
    h = summary["expected_harm"].reindex(acceptability.columns).to_numpy(float)
    w = np.asarray(acceptability.index, dtype=float)
    by_value = np.argmax(b[None, :] - w[:, None] * h[None, :], axis=1)
    by_chance = np.argmax(acceptability.to_numpy(), axis=1)
    differ = w[by_value != by_chance]
    return (float(differ.min()), float(differ.max())) if differ.size else None


def two_regrets(summary: pd.DataFrame, scenario: pd.DataFrame) -> str:
    """Say how the comparison's expected regret and the scenarios' regret differ, for the same option.

    ``scenario`` is :class:`decide.robustness.Regret`'s ``regret`` table (rows: scenarios; columns: options).
    """
    option = summary["expected_value"].idxmax()
    expected = float(summary.loc[option, "expected_regret"])
    worst = float(scenario[option].max())
    where = scenario[option].idxmax()
    lead = ("Two kinds of regret appear here. The comparison's expected regret of "
            f"'{option}' ({_pts(expected)}) is how far it falls short, on average over the possible worlds, of "
            "whichever option is best in each world; it is above zero whenever another option sometimes wins. "
            "The scenario regret compares the options' averages within one stated scenario at a time: ")
    if worst <= 0:
        middle = f"'{option}' is best in every scenario listed, so its scenario regret is 0 throughout. "
    else:
        middle = f"'{option}' falls short by at most {_pts(worst)} (in '{where}'). "
    return lead + middle + "They measure different things, so they need not agree."
