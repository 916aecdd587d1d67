"""Compare the options: expected value with intervals, chance each is best, regret, and what would change the choice.

Every function takes a :class:`~decide.simulate.Simulation` and returns a pandas table; the
plots in :mod:`decide.plots` draw these tables and never recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from decide.errors import DecideError
from decide.simulate import Simulation


def _best_index(values: np.ndarray) -> np.ndarray:
    return np.argmax(values, axis=-1)


def probability_best(sim: Simulation, harm_weight: float | None = None) -> pd.Series:
    """Share of draws in which each option has the highest expected value (sums to 1)."""
    v = _values(sim, harm_weight)
    counts = np.bincount(_best_index(v), minlength=v.shape[1])
    return pd.Series(counts / v.shape[0], index=pd.Index(sim.options, name="option"), name="probability_best")


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


def summary(sim: Simulation, interval: float = 0.9) -> pd.DataFrame:
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


def outcome_table(sim: Simulation, interval: float = 0.9) -> pd.DataFrame:
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
                    "chance": c.mean(), "chance_lower": np.quantile(c, a), "chance_upper": np.quantile(c, b),
                    "magnitude": mag.mean(), "magnitude_lower": np.quantile(mag, a), "magnitude_upper": np.quantile(mag, b),
                    "contribution": contrib.mean(), "contribution_lower": np.quantile(contrib, a),
                    "contribution_upper": np.quantile(contrib, b),
                    "happened_share": ds["happens"].values[:, i, k].mean(),
                }
            )
    out = pd.DataFrame(rows)
    out.attrs.update(interval=interval)
    return out


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
        best = _best_index(b - w * h)
        rows.append(np.bincount(best, minlength=b.shape[1]) / b.shape[0])
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
    """How the expected value of each option moves with one quantity, and where the choice switches."""

    quantity: str
    curve: pd.DataFrame  # index: quantity value; columns: options (expected value)
    switches: pd.DataFrame  # value, from_option, to_option


def threshold(sim: Simulation, quantity: str, grid=None, n: int = 61, max_draws: int = 4000) -> Threshold:
    """Sweep one quantity across its plausible range, averaging over everything else still uncertain.

    Returns the expected value of each option at each value and the values at which the
    preferred option changes (found by linear interpolation between grid points).
    """
    m = sim.model
    if quantity not in m.quantities:
        import difflib

        close = difflib.get_close_matches(quantity, m.quantities, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise DecideError(f"no quantity '{quantity}'{hint}; quantities: {', '.join(m.quantities)}")
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
            at.append((v[first] - v[second], m.options[int(np.argmax(v))]))
        rows.append(
            {
                "quantity": name, "description": m.labels.get(name, name),
                "low_value": lows[j], "high_value": highs[j],
                "lead_at_low": at[0][0], "lead_at_high": at[1][0],
                "best_at_low": at[0][1], "best_at_high": at[1][1],
                "swing": abs(at[1][0] - at[0][0]),
            }
        )
    out = pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)
    out.attrs.update(base_lead=float(v0[first] - v0[second]), preferred=m.options[first], runner_up=m.options[second],
                     low=low, high=high)
    return out
