"""Outcome bias: what happens when decisions are judged by their outcomes instead of their reasoning.

A simple world for teaching. Many children; for each, a decision between returning home and an
alternative (staying in care). Each option carries its own chance of harm for this child, and
on the day those chances are known (the information of the day is right). A decision *made
well* picks the option with the lower chance of harm; a *poor* decision picks the other. Then
harm happens, or not, by chance. Judged by outcomes, a decision is blamed when harm followed
and praised when it did not.

The closed form is simple: a decision made well is blamed exactly as often as the bad outcome
happens under it, so when harm is common many good decisions are blamed, and when harm is rare
many poor decisions are praised. Both harms are treated as equally serious (a simplification
the notebook states).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, stats

from decide.errors import DecideError


@dataclass(frozen=True)
class World:
    """Settings of the simulated world (all chances are chances of harm within the horizon)."""

    base_rate: float = 0.3  # average chance of harm if the child returns home
    alternative_rate: float = 0.2  # average chance of harm under the alternative (e.g. staying in care)
    spread: float | None = 8.0  # how alike children are: Beta concentration (larger = more alike; None = identical)
    share_made_well: float = 0.8  # share of decisions made well on the information of the day

    def __post_init__(self):
        for name in ("base_rate", "alternative_rate"):
            v = getattr(self, name)
            if not 0 < v < 1:
                raise DecideError(f"{name} must be a chance strictly between 0 and 1 (e.g. 0.3), got {v!r}")
        if not 0 <= self.share_made_well <= 1:
            raise DecideError(f"share_made_well must lie between 0 and 1, got {self.share_made_well!r}")
        if self.spread is not None and not self.spread > 0:
            raise DecideError(f"spread must be above 0 (e.g. 8), or None for children who are all alike; got {self.spread!r}")

    def _dist(self, mean: float):
        if self.spread is None:
            return None
        return stats.beta(mean * self.spread, (1 - mean) * self.spread)

    def draw_chances(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Each child's chance of harm at home and under the alternative."""
        if self.spread is None:
            return np.full(n, self.base_rate), np.full(n, self.alternative_rate)
        k = self.spread
        home = rng.beta(self.base_rate * k, (1 - self.base_rate) * k, n)
        alt = rng.beta(self.alternative_rate * k, (1 - self.alternative_rate) * k, n)
        return home, alt

    def expected_min_max(self) -> tuple[float, float]:
        """E[min(p, q)] and E[max(p, q)] over children: the closed-form chance of harm after a good / poor decision.

        For independent chances in [0, 1]: E[min] = ∫ (1 - F(x)) (1 - G(x)) dx and E[max] = ∫ 1 - F(x) G(x) dx.
        """
        f, g = self._dist(self.base_rate), self._dist(self.alternative_rate)
        if f is None:
            return min(self.base_rate, self.alternative_rate), max(self.base_rate, self.alternative_rate)
        e_min = integrate.quad(lambda x: f.sf(x) * g.sf(x), 0, 1, epsabs=1e-12, limit=200)[0]
        e_max = integrate.quad(lambda x: 1 - f.cdf(x) * g.cdf(x), 0, 1, epsabs=1e-12, limit=200)[0]
        return e_min, e_max

    def closed_form(self) -> dict[str, float]:
        """Every rate the simulation estimates, from the closed form (no simulation)."""
        e_min, e_max = self.expected_min_max()
        s = self.share_made_well
        blamed = s * e_min + (1 - s) * e_max
        praised = 1 - blamed
        return {
            "blame_rate_good": e_min,  # good decisions blamed = chance of the bad outcome under them
            "praise_rate_good": 1 - e_min,
            "blame_rate_poor": e_max,
            "praise_rate_poor": 1 - e_max,  # poor decisions praised = chance the bad outcome did not happen
            "share_blamed": blamed,
            "good_among_blamed": s * e_min / blamed if blamed > 0 else float("nan"),
            "poor_among_praised": (1 - s) * (1 - e_max) / praised if praised > 0 else float("nan"),
        }


@dataclass
class OutcomeBias:
    """One simulated run: every decision, and the counts and rates when decisions are judged by outcomes."""

    world: World
    decisions: pd.DataFrame
    seed: int

    def counts(self) -> pd.DataFrame:
        """A two-by-two table: how the decision was made (rows) against how it was judged (columns)."""
        d = self.decisions
        quality = np.where(d["made_well"], "made well", "made poorly")
        judged = np.where(d["harm"], "blamed (harm followed)", "praised (no harm)")
        table = pd.crosstab(pd.Series(quality, name="decision"), pd.Series(judged, name="judged by outcome"))
        return table.reindex(index=["made well", "made poorly"], columns=["blamed (harm followed)", "praised (no harm)"],
                             fill_value=0)

    def rates(self) -> pd.DataFrame:
        """Each rate: simulated, its Monte Carlo standard error, and the closed form."""
        d = self.decisions
        good, poor, harm = d["made_well"].to_numpy(), ~d["made_well"].to_numpy(), d["harm"].to_numpy()
        n = len(d)

        def share(mask, within):
            m = int(within.sum())
            p = float(mask[within].mean()) if m else float("nan")
            se = float(np.sqrt(p * (1 - p) / m)) if m else float("nan")
            return p, se, m

        sims = {
            "blame_rate_good": share(harm, good),
            "praise_rate_good": share(~harm, good),
            "blame_rate_poor": share(harm, poor),
            "praise_rate_poor": share(~harm, poor),
            "share_blamed": share(harm, np.ones(n, bool)),
            "good_among_blamed": share(good, harm),
            "poor_among_praised": share(poor, ~harm),
        }
        closed = self.world.closed_form()
        plain = {
            "blame_rate_good": "decisions made well that were blamed",
            "praise_rate_good": "decisions made well that were praised",
            "blame_rate_poor": "poor decisions that were blamed",
            "praise_rate_poor": "poor decisions that were praised",
            "share_blamed": "all decisions that were blamed",
            "good_among_blamed": "of the blamed decisions, the share that were made well",
            "poor_among_praised": "of the praised decisions, the share that were poor",
        }
        rows = [{"rate": k, "meaning": plain[k], "simulated": p, "mc_se": se, "out_of": m, "closed_form": closed[k]}
                for k, (p, se, m) in sims.items()]
        return pd.DataFrame(rows).set_index("rate")

    def table(self) -> pd.DataFrame:
        """:meth:`rates` for people to read: each rate in words, as percentages, under plain headings."""
        r = self.rates()
        out = pd.DataFrame({
            "simulated (%)": 100 * r["simulated"], "Monte Carlo standard error (points)": 100 * r["mc_se"],
            "out of (decisions)": r["out_of"], "closed form (%)": 100 * r["closed_form"],
        })
        out.index = pd.Index(r["meaning"], name="share of")
        return out

    def within_monte_carlo_error(self, k: float = 4.0) -> bool:
        """True if every simulated rate lies within ``k`` standard errors of its closed form (from the closed form,
        so a rate never observed still has an error), plus one decision's worth for discreteness."""
        r = self.rates()
        p, m = r["closed_form"], r["out_of"]
        se = np.sqrt(p * (1 - p) / m.where(m > 0))
        ok = (r["simulated"] - p).abs() <= k * se + 1 / m.where(m > 0)
        return bool(ok[m > 0].all())


def simulate_outcome_bias(n_decisions: int = 10_000, world: World | None = None, *, seed: int, **settings) -> OutcomeBias:
    """Simulate ``n_decisions`` decisions in ``world`` (or a World built from ``settings``)."""
    if world is None:
        world = World(**settings)
    elif settings:
        raise DecideError("give either a World or its settings (base_rate=..., ...), not both")
    if not isinstance(n_decisions, int | np.integer) or n_decisions < 1:
        raise DecideError(f"n_decisions must be a whole number of at least 1, got {n_decisions!r}")
    rng = np.random.default_rng(seed)
    home, alt = world.draw_chances(int(n_decisions), rng)
    made_well = rng.random(n_decisions) < world.share_made_well
    home_is_safer = home <= alt
    chooses_home = np.where(made_well, home_is_safer, ~home_is_safer)
    chance = np.where(chooses_home, home, alt)
    harm = rng.random(n_decisions) < chance
    decisions = pd.DataFrame({
        "chance_if_home": home, "chance_if_alternative": alt, "made_well": made_well,
        "chosen": np.where(chooses_home, "return home", "alternative"), "chance_under_choice": chance, "harm": harm,
    })
    return OutcomeBias(world, decisions, seed)


def by_base_rate(base_rates, n_decisions: int = 10_000, *, seed: int, **settings) -> pd.DataFrame:
    """How outcome bias shifts with the base rate of harm at home: simulated rates beside the closed form."""
    rows = []
    for i, b in enumerate(np.asarray(base_rates, dtype=float)):
        run = simulate_outcome_bias(n_decisions, World(base_rate=float(b), **settings), seed=int(np.random.SeedSequence([seed, i]).generate_state(1)[0]))
        r = run.rates()
        row = {"base_rate": float(b)}
        for k in r.index:
            row[k] = r.loc[k, "simulated"]
            row[k + "_se"] = r.loc[k, "mc_se"]
            row[k + "_closed_form"] = r.loc[k, "closed_form"]
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(n_decisions=n_decisions, seed=seed, **{k: v for k, v in settings.items()})
    return out
