"""Robustness: would the choice survive what nobody has identified, or a different view of the case?

* :func:`robustness_margins` — how large a hidden shift in an outcome's chance (an odds ratio
  nobody has put in the case) would have to be before the preferred option changes: for each
  outcome of each option, for all outcomes of an option at once, and for one outcome in every
  option that has it.
* :func:`scenario_regret` — each option's value under stated scenarios (quantities set to
  values, hidden odds ratios, another harm weight), its regret in each, and the option whose
  largest regret is smallest (minimax regret).
* :func:`two_way` — a map of the preferred option over two quantities, the rest averaged over
  their draws (extends :func:`decide.compare.threshold` to two dimensions).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit

from decide.errors import DecideError
from decide.frame import Scenario  # noqa: F401  (part of the case model; re-exported here)
from decide.simulate import Simulation

#: The largest hidden odds ratio looked for (and its inverse): beyond this, "no plausible shift".
MAX_ODDS_RATIO = 1000.0


def _check_name(name: str, known: list[str], what: str) -> None:
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise DecideError(f"no {what} '{name}'{hint}; {what}s: {', '.join(known)}")


class _Parts:
    """Chances and magnitudes per draw, so value under hidden odds shifts is quick to recompute."""

    def __init__(self, sim: Simulation, harm_weight: float | None, max_draws: int | None):
        m = sim.model
        q = sim.quantity_draws()
        if max_draws is not None:
            q = q[:max_draws]
        self.model = m
        self.q = q
        self.w = sim.decision.values.harm_weight if harm_weight is None else float(harm_weight)
        chance, magnitude = m.evaluate(q)
        with np.errstate(divide="ignore"):
            self.logit = logit(np.clip(chance, 0.0, 1.0))
        self.magnitude = magnitude
        self.weight = np.where(m.is_harm, -self.w, 1.0) * m.applies  # [option, outcome]
        self._slot_means = None  # each outcome's average contribution, computed on first use

    def means(self, log_odds_shift: np.ndarray | float = 0.0, harm_weight: float | None = None) -> np.ndarray:
        """Mean value of each option when every chance's log-odds moves by ``log_odds_shift``."""
        weight = self.weight if harm_weight is None else np.where(self.model.is_harm, -harm_weight, 1.0) * self.model.applies
        chance = expit(self.logit + log_odds_shift)
        return (chance * self.magnitude * weight).sum(axis=-1).mean(axis=0)

    def means_along(self, mask: np.ndarray, shifts) -> np.ndarray:
        """Mean value of each option [shift, option] when the chances in ``mask`` move by ``shift * mask``
        on the log-odds scale, for every shift at once. Only the moved outcomes are recomputed (the
        rest keep their averages), which is what makes the margins' search quick."""
        shifts = np.atleast_1d(np.asarray(shifts, dtype=float))
        opt, out = np.nonzero(mask)
        if self._slot_means is None:
            with np.errstate(invalid="ignore"):
                self._slot_means = (expit(self.logit) * self.magnitude * self.weight).mean(axis=0)
        rest = np.where(mask != 0, 0.0, self._slot_means).sum(axis=-1)  # [option]
        moved = expit(self.logit[:, opt, out] + shifts[:, None, None] * mask[opt, out])  # [shift, draw, slot]
        moved = (moved * (self.magnitude[:, opt, out] * self.weight[opt, out])).mean(axis=1)  # [shift, slot]
        owner = (opt[:, None] == np.arange(mask.shape[0])).astype(float)  # [slot, option]
        return rest + moved @ owner


def _first_switch(parts: _Parts, mask: np.ndarray, best: int, direction: float):
    """Smallest log-odds shift t >= 0 (applied as direction * t * mask) that changes the best option.

    The lead is found on a 61-point grid, then the crossing refined by Brent's method. The grid is
    worked out a few points at a time and the search stops at the first crossing (each point's
    lead is the same number however many are worked out together). When the lead can only move
    one way as t grows (see :func:`_one_way`), its smallest value on the grid is at one end, so
    if both ends are clearly above zero nothing in between crosses and the rest is skipped.
    """
    def leads(v):
        return v[..., best] - np.delete(v, best, axis=-1).max(axis=-1)

    top = np.log(MAX_ODDS_RATIO)
    grid = np.linspace(0.0, top, 61)
    if _one_way(parts, mask):
        ends = parts.means_along(mask, direction * grid[[0, -1]])
        if leads(ends).min() > 1e-9 * (1.0 + np.abs(ends).max()):  # far above rounding error
            return None
    for start in range(0, grid.size, GRID_CHUNK):
        crossed = np.flatnonzero(leads(parts.means_along(mask, direction * grid[start:start + GRID_CHUNK])) <= 0)
        if crossed.size:
            k = start + crossed[0]
            break
    else:
        return None
    t = 0.0 if k == 0 else brentq(lambda t: float(leads(parts.means_along(mask, direction * t))[0]),
                                  grid[k - 1], grid[k], xtol=1e-8)
    v = parts.means_along(mask, direction * t)[0]
    v[best] = -np.inf  # at the switch the preferred option ties with the one taking over
    return t, int(np.argmax(v))


#: Grid points of :func:`_first_switch`'s search worked out together.
GRID_CHUNK = 8


def _one_way(parts: _Parts, mask: np.ndarray) -> bool:
    """Whether moving the chances in ``mask`` can move the preferred option's lead only one way.

    True when the mask touches one option only and every moved chance pushes that option's value
    the same way in every draw (the sign of mask x weight x magnitude never changes): that option's
    value is then monotone in the shift, the others stay put, and so is the lead.
    """
    if np.count_nonzero(mask.any(axis=1)) != 1:
        return False
    opt, out = np.nonzero(mask)
    push = np.sign(mask[opt, out] * parts.weight[opt, out]) * np.sign(parts.magnitude[:, opt, out])
    return bool((push >= 0).all() or (push <= 0).all())


def robustness_margins(sim: Simulation, harm_weight: float | None = None, max_draws: int | None = 4000) -> pd.DataFrame:
    """How big an unidentified shift in chances would have to be to change the preferred option.

    Each row is a *scope* — one outcome of one option ('outcome of option'), all outcomes of an
    option together ('whole option': its harms more likely and benefits less likely, or the
    reverse), or one outcome in every option that has it ('outcome everywhere') — shifted on
    the odds scale. ``odds_ratio`` is the smallest hidden odds ratio that makes another option
    preferred (above 1: more likely; below 1: less likely); NaN means no shift up to
    ``MAX_ODDS_RATIO`` (or its inverse) changes the choice. Smallest margins first.
    """
    parts = _Parts(sim, harm_weight, max_draws)
    m = parts.model
    base = parts.means()
    best = int(np.argmax(base))
    n_opt, n_out = m.applies.shape
    scopes = []
    for i in range(n_opt):
        for k in range(n_out):
            if m.applies[i, k]:
                mask = np.zeros((n_opt, n_out))
                mask[i, k] = 1.0
                scopes.append(("outcome of option", m.options[i], m.outcomes[k], mask))
    for i in range(n_opt):
        # harms and benefits move in opposite directions: the option as a whole gets worse (+) or better (-)
        mask = np.where(m.is_harm[i], 1.0, -1.0) * m.applies[i]
        full = np.zeros((n_opt, n_out))
        full[i] = mask
        scopes.append(("whole option", m.options[i], "(all its outcomes)", full))
    for k in range(n_out):
        if m.applies[:, k].sum() > 1:
            mask = np.zeros((n_opt, n_out))
            mask[:, k] = m.applies[:, k]
            scopes.append(("outcome everywhere", "(every option with it)", m.outcomes[k], mask))
    rows = []
    for scope, option, outcome, mask in scopes:
        found = []
        for direction in (1.0, -1.0):
            hit = _first_switch(parts, mask, best, direction)
            if hit is not None:
                found.append((hit[0], direction, hit[1]))
        applies = mask != 0
        chance_now = float(expit(parts.logit[:, applies]).mean())
        if found:
            t, direction, to = min(found)
            odds_ratio = float(np.exp(direction * t))
            chance_then = float(expit(parts.logit[:, applies] + direction * t * mask[applies]).mean())
            if scope == "whole option":
                change = "worse" if direction > 0 else "better"
            else:
                change = "more likely" if direction > 0 else "less likely"
            switches_to = m.options[to]
        else:
            odds_ratio, chance_then, change, switches_to = np.nan, np.nan, "", ""
        kinds = {("harm" if h else "benefit") for h in m.is_harm[applies]}
        rows.append({
            "scope": scope, "option": option, "outcome": outcome, "kind": "/".join(sorted(kinds)),
            "change": change, "odds_ratio": odds_ratio,
            "margin": abs(np.log(odds_ratio)) if np.isfinite(odds_ratio) else np.inf,
            "chance_now": chance_now, "chance_at_switch": chance_then, "switches_to": switches_to,
        })
    out = pd.DataFrame(rows)
    # equal margins (a whole option with one outcome is that outcome) sort by scope, not by rounding noise
    order = np.lexsort((out["scope"].to_numpy(), out["margin"].round(9).to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out.attrs.update(preferred=m.options[best], harm_weight=parts.w, max_odds_ratio=MAX_ODDS_RATIO,
                     lead=float(base[best] - np.delete(base, best).max()))
    return out


# --- scenarios and regret ---------------------------------------------------------------------------


@dataclass
class Regret:
    """Each option's value and regret under each scenario, and the least-maximum-regret option."""

    values: pd.DataFrame  # index scenario, columns option: mean expected value
    regret: pd.DataFrame  # best value in the scenario - the option's value
    max_regret: pd.Series
    least_max_regret: str
    best_by_scenario: pd.Series


def scenario_regret(sim: Simulation, scenarios, include_current: bool = True, max_draws: int | None = 4000) -> Regret:
    """Regret of each option across stated scenarios, and the option with the least maximum regret.

    In each scenario an option's value is its expected value with the named quantities fixed and
    the rest averaged over their draws; its regret is how far it falls short of the best option
    in that scenario. The option whose largest regret is smallest is the cautious choice when
    nobody can say which scenario is more likely.
    """
    m = sim.model
    scenarios = [s if isinstance(s, Scenario) else _scenario(s) for s in scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise DecideError(f"scenario names must differ; got {names}")
    if not scenarios and not include_current:
        raise DecideError("give at least one scenario")
    q0 = sim.quantity_draws()[:max_draws]
    rows, index = [], []
    if include_current:
        rows.append(m.expected_value(q0).mean(axis=0))
        index.append("as judged (current case)")
    for s in scenarios:
        q = q0.copy()
        for name, value in s.quantities.items():
            name = sim.decision.resolve_input(name) or name  # a factor's name stands for its odds ratio
            _check_name(name, m.quantities, "quantity")
            j = m.quantities.index(name)
            lo, hi = sim.decision.bounds(m.kinds[j]) if m.kinds[j] != "number" else (-np.inf, None)
            if value < lo or (hi is not None and value > hi):
                raise DecideError(f"scenario '{s.name}': {name} = {value:g} is outside its range ({lo:g} to {hi}); "
                                  "give a value the quantity can take")
            q[:, j] = value
        shift = np.zeros(m.applies.shape)
        for outcome, ratio in s.odds_ratios.items():
            _check_name(outcome, m.outcomes, "outcome")
            if ratio <= 0:
                raise DecideError(f"scenario '{s.name}': odds ratio for '{outcome}' must be above 0, got {ratio:g}")
            shift[:, m.outcomes.index(outcome)] = np.log(ratio)
        chance, magnitude = m.evaluate(q)
        with np.errstate(divide="ignore"):
            chance = expit(logit(chance) + shift)
        w = sim.decision.values.harm_weight if s.harm_weight is None else s.harm_weight
        value = (chance * magnitude * np.where(m.is_harm, -w, 1.0) * m.applies).sum(axis=-1)
        rows.append(value.mean(axis=0))
        index.append(s.name)
    values = pd.DataFrame(rows, index=pd.Index(index, name="scenario"), columns=pd.Index(m.options, name="option"))
    regret = values.max(axis=1).to_numpy()[:, None] - values
    max_regret = regret.max(axis=0).rename("max_regret")
    return Regret(values, regret, max_regret, str(max_regret.idxmin()), values.idxmax(axis=1).rename("best"))


def _scenario(data) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except Exception as exc:
        name = data.get("name", "") if isinstance(data, dict) else ""
        raise DecideError(f"scenario {name!r}: {exc}") from None


# --- two-way sensitivity ---------------------------------------------------------------------------------


@dataclass
class TwoWay:
    """The preferred option over a grid of two quantities (others averaged over their draws)."""

    x: str
    y: str
    grid_x: np.ndarray
    grid_y: np.ndarray
    values: np.ndarray  # [x, y, option] mean expected value
    options: list[str]
    current: tuple[float, float]  # the two quantities' means

    @property
    def best(self) -> np.ndarray:
        """Index of the preferred option at each grid point [x, y]."""
        return self.values.argmax(axis=-1)

    @property
    def lead(self) -> np.ndarray:
        """How far the preferred option is ahead of the runner-up at each point (points)."""
        s = np.sort(self.values, axis=-1)
        return s[..., -1] - s[..., -2]

    def table(self) -> pd.DataFrame:
        """Tidy: one row per grid point, with each option's value, the preferred option and its lead."""
        gx, gy = np.meshgrid(self.grid_x, self.grid_y, indexing="ij")
        out = pd.DataFrame({self.x: gx.ravel(), self.y: gy.ravel()})
        for d, name in enumerate(self.options):
            out[name] = self.values[..., d].ravel()
        out["preferred"] = np.asarray(self.options)[self.best.ravel()]
        out["lead"] = self.lead.ravel()
        return out


def _grid(sim: Simulation, j: int, n: int) -> np.ndarray:
    """As decide.compare.threshold: the 1st to 99th percentile, widened by 0.1 for probabilities."""
    q = sim.quantity_draws()[:, j]
    lo, hi = np.quantile(q, [0.01, 0.99])
    if sim.model.kinds[j] == "probability":
        lo, hi = max(lo - 0.1, 0.0), min(hi + 0.1, 1.0)
    if lo == hi:
        raise DecideError(f"'{sim.model.quantities[j]}' is fixed at {lo:g}; a map over it shows nothing")
    return np.linspace(lo, hi, n)


def _two_way_values(m, q: np.ndarray, jx: int, jy: int, gx: np.ndarray, gy: np.ndarray,
                    harm_weight: float | None) -> np.ndarray:
    """Mean value of each option [x value, y value, option] over the draws q, with quantities jx and
    jy set to each pair of grid values (the model's expected value, averaged over the draws).

    Only the outcomes the two quantities reach (as a chance, a magnitude, or an odds ratio on a
    chance) are recomputed across the grid, as the model evaluates them; every other outcome keeps
    its average over the draws, which no grid value changes. The same numbers as evaluating every
    outcome at every grid point, to rounding (tests/test_case_report.py), several times faster."""
    w = m.decision.values.harm_weight if harm_weight is None else float(harm_weight)
    n_options = len(m.options)
    weight = (np.where(m.is_harm, -w, 1.0) * m.applies).ravel()  # [slot], slots row-major [option, outcome]
    owner = np.repeat(np.eye(n_options), m.applies.shape[1], axis=0)  # [slot, option]
    chance_idx, magnitude_idx = m.chance_idx.ravel(), m.magnitude_idx.ravel()
    swept = np.isin(chance_idx, (jx, jy)) | np.isin(magnitude_idx, (jx, jy))
    swept |= (m.factor_matrix[[jx, jy]] != 0).any(axis=0)  # an odds ratio on the slot's chance
    swept &= m.applies.ravel()
    chance, magnitude = m.evaluate(q)  # [draw, option, outcome]
    kept = np.where(swept, 0.0, (chance * magnitude).reshape(len(q), -1).mean(axis=0) * weight)
    rest = kept @ owner  # [option]
    slots = np.flatnonzero(swept)
    with_factors = slots[m.has_factors.ravel()[slots]]
    odds = np.flatnonzero(m.factor_matrix[:, with_factors].any(axis=1))  # odds-ratio quantities they use
    rows = np.unique(np.r_[chance_idx[slots], magnitude_idx[slots], odds, jx, jy]).astype(int)
    at = {int(r): i for i, r in enumerate(rows)}
    c_rows = np.array([at[int(i)] for i in chance_idx[slots]], dtype=int)
    m_rows = np.array([at[int(i)] for i in magnitude_idx[slots]], dtype=int)
    shifted = np.flatnonzero(m.has_factors.ravel()[slots])  # positions in slots
    qt = np.broadcast_to(q.T[rows][:, None, :], (rows.size, gy.size, len(q))).copy()  # [row, y, draw]
    qt[at[jy]] = gy[:, None]
    values = np.empty((gx.size, gy.size, n_options))
    for a, vx in enumerate(gx):
        qt[at[jx]] = vx
        c = qt[c_rows]  # [slot, y, draw]
        if shifted.size:
            log_or = np.log(qt[[at[int(i)] for i in odds]])
            shift = np.tensordot(m.factor_matrix[np.ix_(odds, slots[shifted])].T, log_or, axes=1)
            with np.errstate(divide="ignore"):
                c[shifted] = expit(logit(c[shifted]) + shift)
        moved = (c * qt[m_rows]).mean(axis=-1) * weight[slots][:, None]  # [slot, y]
        values[a] = rest + moved.T @ owner[slots]
    return values


def two_way(sim: Simulation, x: str, y: str, *, grid_x=None, grid_y=None, n: int = 31,
            max_draws: int = 1000, harm_weight: float | None = None) -> TwoWay:
    """Sweep two quantities together over their plausible ranges, averaging over everything else."""
    m = sim.model
    x, y = (sim.decision.resolve_input(v) or v for v in (x, y))  # a factor's name stands for its odds ratio
    for name in (x, y):
        _check_name(name, m.quantities, "quantity")
    if x == y:
        raise DecideError("choose two different quantities for a two-way map")
    if n < 2:
        raise DecideError(f"n must be at least 2, got {n}")
    jx, jy = m.quantities.index(x), m.quantities.index(y)
    gx = _grid(sim, jx, n) if grid_x is None else np.asarray(grid_x, dtype=float)
    gy = _grid(sim, jy, n) if grid_y is None else np.asarray(grid_y, dtype=float)
    q = sim.quantity_draws()[:max_draws]
    values = _two_way_values(m, q, jx, jy, gx, gy, harm_weight)
    full = sim.quantity_draws()
    return TwoWay(x, y, gx, gy, values, list(m.options), (float(full[:, jx].mean()), float(full[:, jy].mean())))


__all__ = ["MAX_ODDS_RATIO", "Regret", "Scenario", "TwoWay", "robustness_margins", "scenario_regret", "two_way"]
