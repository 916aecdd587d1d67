"""Compare the options: expected value with intervals, chance each is best, regret, and what would change the choice.

Every function takes a :class:`~decide.simulate.Simulation` and returns a pandas table; the
plots in :mod:`decide.plots` draw these tables and never recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from decide.defaults import INTERVAL
from decide.errors import DecideError
from decide.simulate import Simulation


#: Values this close (relative to their size) count as equal: options that differ only by
#: floating-point rounding are tied, not ranked by the order they are listed in.
TIE_TOLERANCE = 1e-9


def best_shares(values: np.ndarray) -> np.ndarray:
    """Each option's share of being best in each draw: values [draw, option] -> shares [draw, option].

    The best option in a draw gets 1; options tied for best split that draw equally, so two
    identical options get half each instead of the first listed getting all of it. Rows sum to 1.
    """
    v = np.asarray(values, dtype=float)
    top = v.max(axis=-1, keepdims=True)
    tied = v >= top - TIE_TOLERANCE * np.maximum(1.0, np.abs(top))
    return tied / tied.sum(axis=-1, keepdims=True)


def probability_best(sim: Simulation, harm_weight: float | None = None) -> pd.Series:
    """Share of draws in which each option has the highest expected value (ties shared; sums to 1)."""
    v = _values(sim, harm_weight)
    return pd.Series(best_shares(v).mean(axis=0), index=pd.Index(sim.options, name="option"), name="probability_best")


def expected_regret(sim: Simulation, harm_weight: float | None = None) -> pd.Series:
    """Expected loss from choosing each option, against the best option in each draw (points)."""
    v = _values(sim, harm_weight)
    regret = (v.max(axis=1, keepdims=True) - v).mean(axis=0)
    return pd.Series(regret, index=pd.Index(sim.options, name="option"), name="expected_regret")


def _values(sim: Simulation, harm_weight: float | None) -> np.ndarray:
    ds = sim.dataset
    if harm_weight is None:
        return ds["expected_value"].values
    return ds["expected_benefit"].values - harm_weight * ds["expected_harm"].values


def summary(sim: Simulation, interval: float = INTERVAL) -> pd.DataFrame:
    """One row per option: expected value with its interval, probability best, regret, and spread.

    ``uncertainty_sd`` is the spread of the expected value across draws (what we do not know);
    ``risk_sd`` is the extra spread in what happens to one child (chance, even if we knew the odds).
    """
    if not 0 < interval < 1:
        raise DecideError(f"interval must be between 0 and 1 (e.g. 0.9), got {interval!r}")
    ds = sim.dataset
    v = ds["expected_value"].values
    lo, hi = np.quantile(v, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    child = ds["child_value"].values
    total_var = child.var(axis=0)
    epistemic_var = v.var(axis=0)
    out = pd.DataFrame(
        {
            "expected_value": v.mean(axis=0),
            "lower": lo,
            "upper": hi,
            "expected_benefit": ds["expected_benefit"].values.mean(axis=0),
            "expected_harm": ds["expected_harm"].values.mean(axis=0),
            "probability_best": probability_best(sim).values,
            "expected_regret": expected_regret(sim).values,
            "uncertainty_sd": np.sqrt(epistemic_var),
            "risk_sd": np.sqrt(np.maximum(total_var - epistemic_var, 0.0)),
        },
        index=pd.Index(sim.options, name="option"),
    )
    out.attrs.update(interval=interval, harm_weight=sim.decision.values.harm_weight, draws=v.shape[0])
    return out


def preferred(sim: Simulation) -> str:
    """The option with the highest expected value."""
    return sim.options[int(np.argmax(sim.dataset["expected_value"].values.mean(axis=0)))]


@dataclass
class Lead:
    """How far the option with the highest expected value is ahead, and whether that is more than noise."""

    best: str
    runner_up: str
    lead: float  # difference in expected value (points)
    se: float  # its Monte Carlo standard error (paired across draws)
    tied: list[str]  # options that cannot be told apart from the best (the best first)

    @property
    def is_tie(self) -> bool:
        return len(self.tied) > 1


def lead(sim: Simulation, harm_weight: float | None = None) -> Lead:
    """The best option's lead over each other option, and which of them it cannot be told apart from.

    An option is tied with the best when the difference of their expected values is within two
    Monte Carlo standard errors of the paired difference (zero when the two are equal in every
    draw), so "best by 0.0 points" is never reported as a win.
    """
    v = _values(sim, harm_weight)
    means = v.mean(axis=0)
    order = np.argsort(-means, kind="stable")
    b = int(order[0])
    n = v.shape[0]
    tied = [sim.options[b]]
    gaps, ses = {}, {}
    for j in order[1:]:
        diff = v[:, b] - v[:, j]
        gaps[j] = float(diff.mean())
        ses[j] = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
        if gaps[j] <= 2 * ses[j] + TIE_TOLERANCE * max(1.0, abs(float(means[b]))):
            tied.append(sim.options[int(j)])
    r = int(order[1]) if len(order) > 1 else b
    return Lead(sim.options[b], sim.options[r], gaps.get(r, 0.0), ses.get(r, 0.0), tied)


def outcome_table(sim: Simulation, interval: float = INTERVAL) -> pd.DataFrame:
    """Per option and outcome: chance and magnitude with intervals, and the expected contribution."""
    ds = sim.dataset
    m = sim.model
    a, b = (1 - interval) / 2, (1 + interval) / 2
    w = sim.decision.values.harm_weight
    rows = []
    for i, opt in enumerate(m.options):
        for k, out in enumerate(m.outcomes):
            if not m.applies[i, k]:
                continue
            c = ds["chance"].values[:, i, k]
            mag = ds["magnitude"].values[:, i, k]
            contrib = c * mag * (-w if m.is_harm[i, k] else 1.0)
            rows.append(
                {
                    "option": opt, "outcome": out, "kind": "harm" if m.is_harm[i, k] else "benefit",
                    "chance": _mean(c), "chance_lower": np.quantile(c, a), "chance_upper": np.quantile(c, b),
                    "magnitude": _mean(mag), "magnitude_lower": np.quantile(mag, a), "magnitude_upper": np.quantile(mag, b),
                    "contribution": _mean(contrib), "contribution_lower": np.quantile(contrib, a),
                    "contribution_upper": np.quantile(contrib, b),
                    "happened_share": ds["happens"].values[:, i, k].mean(),
                }
            )
    out = pd.DataFrame(rows)
    out.attrs.update(interval=interval)
    return out


def _mean(x: np.ndarray) -> float:
    """The mean, exact for a fixed number (summing 0.3 a thousand times does not give back 0.3), so a
    fixed input's mean never falls outside its own interval."""
    lo, hi = float(x.min()), float(x.max())
    return lo if lo == hi else float(x.mean())


def acceptability(sim: Simulation, weights=None, n: int = 41) -> pd.DataFrame:
    """Probability each option is best across a range of harm weights (an acceptability curve).

    Values are contestable: this shows how the choice depends on how heavily harm is weighed.
    """
    if weights is None:
        lo, hi = sim.decision.values.harm_weight_range
        weights = np.geomspace(lo, hi, n)
    weights = np.asarray(weights, dtype=float)
    if np.any(weights <= 0):
        raise DecideError("harm weights must be above 0")
    ds = sim.dataset
    b = ds["expected_benefit"].values
    h = ds["expected_harm"].values
    rows = []
    for w in weights:
        rows.append(best_shares(b - w * h).mean(axis=0))
    return pd.DataFrame(rows, index=pd.Index(weights, name="harm_weight"), columns=pd.Index(sim.options, name="option"))


def harm_weight_switches(summary: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """Harm weights in [low, high] at which the option with the highest expected value changes.

    Expected value is benefit - w x harm, a straight line in w, so the switches are exact; takes
    :func:`summary`'s expected_benefit and expected_harm columns (one row per option).
    """
    b = summary["expected_benefit"].to_numpy(float)
    h = summary["expected_harm"].to_numpy(float)
    options = list(summary.index)
    rows, w = [], low
    best = int(np.argmax(b - w * h))
    while True:
        # the next crossing above w where another option overtakes the current best
        nxt, who = None, None
        for j in range(len(options)):
            if j == best or h[j] >= h[best]:
                continue  # only options with less harm can overtake as the harm weight rises
            x = (b[best] - b[j]) / (h[best] - h[j])
            if x > w and (nxt is None or x < nxt):
                nxt, who = x, j
        if nxt is None or nxt > high:
            break
        rows.append({"harm_weight": nxt, "from_option": options[best], "to_option": options[who]})
        best, w = who, nxt
    return pd.DataFrame(rows, columns=["harm_weight", "from_option", "to_option"])


@dataclass
class Threshold:
    """How the expected value of each option moves with one input, and where the choice switches.

    ``quantity`` is the input swept, by its name among the simulation's inputs (a factor's odds
    ratio is "<factor>: odds ratio"). ``curve`` has one row per value tried (its index, named
    after the input) and one column per option: that option's expected value, in points, with the
    input held at that value and everything else still uncertain. ``switches`` has one row per
    place where the option with the highest expected value changes: the input's value there
    (``value``), the option that was ahead below it (``from_option``) and the one ahead above it
    (``to_option``); it is empty when the same option leads over the whole range.
    """

    quantity: str
    curve: pd.DataFrame  # index: the input's value; columns: options (expected value)
    switches: pd.DataFrame  # value, from_option, to_option


def threshold(sim: Simulation, quantity: str, grid=None, n: int = 61, max_draws: int = 4000) -> Threshold:
    """Sweep one input across its plausible range, averaging over everything else still uncertain.

    ``quantity`` is a shared quantity's name, a factor's name as written in the case (its odds
    ratio is swept) or an inline judgement's name ("<option>: <outcome>: chance"). Returns a
    :class:`Threshold`: each option's expected value at each value tried, and the values at which
    the preferred option changes (found by linear interpolation between grid points).
    """
    m = sim.model
    resolved = sim.decision.resolve_input(quantity) if isinstance(quantity, str) else None
    if resolved is None or resolved not in m.quantities:
        import difflib

        accepted = [*m.quantities[: len(sim.decision.quantities)], *(f.name for f in sim.decision.factors),
                    *(q for q in m.quantities[len(sim.decision.quantities):] if not q.endswith(": odds ratio"))]
        close = difflib.get_close_matches(str(quantity), accepted, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise DecideError(f"threshold: there is no quantity or factor named '{quantity}' in this case{hint}; "
                          f"give one of: {', '.join(repr(a) for a in accepted)}")
    quantity = resolved
    j = m.quantities.index(quantity)
    q = sim.quantity_draws()[:max_draws]
    if grid is None:
        lo, hi = np.quantile(sim.quantity_draws()[:, j], [0.01, 0.99])
        if m.kinds[j] == "probability":
            lo, hi = max(lo - 0.1, 0.0), min(hi + 0.1, 1.0)
        grid = np.linspace(lo, hi, n)
    grid = np.asarray(grid, dtype=float)
    means = np.empty((grid.size, len(m.options)))
    for g, x in enumerate(grid):
        qq = q.copy()
        qq[:, j] = x
        means[g] = m.expected_value(qq).mean(axis=0)
    curve = pd.DataFrame(means, index=pd.Index(grid, name=quantity), columns=pd.Index(m.options, name="option"))
    best = means.argmax(axis=1)
    switches = []
    for g in np.flatnonzero(best[1:] != best[:-1]):
        a, b = best[g], best[g + 1]
        d0 = means[g, a] - means[g, b]
        d1 = means[g + 1, a] - means[g + 1, b]
        x = grid[g] + (grid[g + 1] - grid[g]) * d0 / (d0 - d1) if d0 != d1 else grid[g]
        switches.append({"value": x, "from_option": m.options[a], "to_option": m.options[b]})
    return Threshold(quantity, curve, pd.DataFrame(switches, columns=["value", "from_option", "to_option"]))


#: The tornado table's columns (a case whose inputs are all fixed numbers has no rows, and a record stores none).
TORNADO_COLUMNS = ["quantity", "description", "low_value", "high_value", "lead_at_low", "lead_at_high", "best_at_low",
                   "best_at_high", "swing"]


def tornado(sim: Simulation, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """One-way sensitivity: move each quantity to its low and high percentile, others at their means.

    The output is the lead of the preferred option over the runner-up (both chosen at the
    means); a lead below zero means the choice would flip. Sorted by swing, largest first.
    """
    m = sim.model
    q = sim.quantity_draws()
    base = q.mean(axis=0)
    v0 = m.expected_value(base)
    order = np.argsort(v0)[::-1]
    first, second = order[0], order[1]
    lows, highs = np.quantile(q, [low, high], axis=0)
    rows = []
    for j, name in enumerate(m.quantities):
        if lows[j] == highs[j]:
            continue
        at = []
        for x in (lows[j], highs[j]):
            qq = base.copy()
            qq[j] = x
            v = m.expected_value(qq)
            # the preferred option stays 'best' where it ties the top (E10: a tie at an input's edge is not a switch)
            level = v[first] >= v.max() - TIE_TOLERANCE * max(1.0, abs(float(v.max())))
            at.append((v[first] - v[second], m.options[int(first if level else np.argmax(v))]))
        rows.append(
            {
                "quantity": name, "description": m.labels.get(name, name),
                "low_value": lows[j], "high_value": highs[j],
                "lead_at_low": at[0][0], "lead_at_high": at[1][0],
                "best_at_low": at[0][1], "best_at_high": at[1][1],
                "swing": abs(at[1][0] - at[0][0]),
            }
        )
    out = pd.DataFrame(rows, columns=TORNADO_COLUMNS).sort_values("swing", ascending=False, ignore_index=True, kind="stable")
    out.attrs.update(base_lead=float(v0[first] - v0[second]), preferred=m.options[first], runner_up=m.options[second],
                     low=low, high=high)
    return out
