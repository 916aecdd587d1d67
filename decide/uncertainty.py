"""Risk versus uncertainty in numbers, for teaching: known odds, unknown odds (Ellsberg's urns), unknown unknowns.

*Risk*: the odds are known, yet what happens to one child is still chance. *Uncertainty*: the
odds themselves are not known. *Unknown unknowns*: outcomes nobody listed. Everything here is
exact (binomial and beta-binomial probabilities, straight lines), so the notebook's figures
and worked answers can be checked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from decide.errors import DecideError


def _check_chance(p: float, name: str = "chance") -> None:
    if not 0 <= p <= 1:
        raise DecideError(f"{name} must lie between 0 and 1 (e.g. 0.46 for 46 %), got {p!r}")


def how_many_harmed(n_children: int, chance: float, how_sure: float | None = None) -> pd.DataFrame:
    """How many of ``n_children`` would be harmed: with the chance known exactly (risk), and with it uncertain.

    ``how_sure`` is how many children's worth of evidence the chance rests on (a Beta with that
    concentration around ``chance``): 180 means 'as sure as a study of 180 children'. Returns the
    probability of each count, for known odds (binomial) and for unknown odds (beta-binomial).
    """
    _check_chance(chance)
    if not isinstance(n_children, int | np.integer) or n_children < 1:
        raise DecideError(f"n_children must be a whole number of at least 1, got {n_children!r}")
    k = np.arange(n_children + 1)
    out = pd.DataFrame({"harmed": k, "known odds": stats.binom.pmf(k, n_children, chance)})
    if how_sure is not None:
        if not how_sure > 0:
            raise DecideError(f"how_sure must be above 0 (e.g. 180 for a study of 180 children), got {how_sure!r}")
        a, b = chance * how_sure, (1 - chance) * how_sure
        out["unknown odds"] = stats.betabinom.pmf(k, n_children, a, b)
    out.attrs.update(n_children=n_children, chance=chance, how_sure=how_sure)
    return out


def middle_range(table: pd.DataFrame, column: str, mass: float = 0.9) -> tuple[int, int]:
    """The central range of counts holding ``mass`` of the probability (equal tails)."""
    cdf = table[column].cumsum().to_numpy()
    lo = int(table["harmed"].iloc[np.searchsorted(cdf, (1 - mass) / 2)])
    hi = int(table["harmed"].iloc[min(np.searchsorted(cdf, (1 + mass) / 2), len(cdf) - 1)])
    return lo, hi


def two_urns(n_balls: int = 100, n_draws: int = 10) -> pd.DataFrame:
    """Ellsberg's two urns: the chance of drawing k red balls in ``n_draws`` (with replacement).

    Urn A holds exactly half red, half black (known odds). Urn B holds ``n_balls`` in an unknown
    mix, every mix from 0 to ``n_balls`` red equally likely (unknown odds). For one draw both give
    red half the time; over several draws from the same urn, urn B's results spread far wider.
    """
    if n_balls < 1 or n_draws < 1:
        raise DecideError("n_balls and n_draws must be at least 1")
    k = np.arange(n_draws + 1)
    mixes = np.arange(n_balls + 1) / n_balls
    known = stats.binom.pmf(k, n_draws, 0.5)
    unknown = stats.binom.pmf(k[:, None], n_draws, mixes[None, :]).mean(axis=1)
    out = pd.DataFrame({"red": k, "urn A (known: half red)": known, "urn B (unknown mix)": unknown})
    out.attrs.update(n_balls=n_balls, n_draws=n_draws)
    return out


def three_colour_bets(red: int = 30, other: int = 60) -> pd.DataFrame:
    """Ellsberg's three-colour urn: ``red`` red balls and ``other`` black-or-yellow in an unknown mix.

    For each bet, the lowest and highest chance of winning over every possible mix, and the chance if
    every mix is equally likely. Many people prefer I over II and IV over III: no single set of
    odds makes both choices best, which is how Ellsberg showed that people treat unknown odds
    differently from known ones (ambiguity aversion).
    """
    n = red + other
    bets = {
        "I: red": lambda black: red,
        "II: black": lambda black: black,
        "III: red or yellow": lambda black: red + (other - black),
        "IV: black or yellow": lambda black: other,
    }
    black = np.arange(other + 1)
    rows = []
    for name, wins in bets.items():
        p = np.array([wins(b) for b in black], dtype=float) / n
        rows.append({"bet": name, "lowest chance": p.min(), "highest chance": p.max(),
                     "chance if every mix equally likely": p.mean(), "odds known?": "yes" if p.min() == p.max() else "no"})
    return pd.DataFrame(rows)


def three_colour_beliefs(red: int = 30, other: int = 60) -> pd.DataFrame:
    """For every possible number of black balls, which of Ellsberg's bets it makes better.

    The usual choices (I over II, IV over III) need fewer than ``other / 2`` black balls for the
    first and more than that for the second, so no row has both: the exercise's answer, by counting.
    """
    if red < 0 or other < 1:
        raise DecideError(f"red must be at least 0 and other at least 1, got red={red!r}, other={other!r}")
    n = red + other
    black = np.arange(other + 1)
    out = pd.DataFrame({"black balls": black, "bet I (red)": red / n, "bet II (black)": black / n,
                        "bet III (red or yellow)": (red + other - black) / n, "bet IV (black or yellow)": other / n})
    out["I better than II"] = out["bet I (red)"] > out["bet II (black)"]
    out["IV better than III"] = out["bet IV (black or yellow)"] > out["bet III (red or yellow)"]
    out["both"] = out["I better than II"] & out["IV better than III"]
    return out


def chance_of(table: pd.DataFrame, column: str, counts, count_column: str | None = None) -> float:
    """The probability, in ``table[column]``, of any of ``counts`` (e.g. 0-2 or 8-10 reds)."""
    count_column = count_column or table.columns[0]
    counts = set(int(c) for c in counts)
    unknown = counts - set(table[count_column].astype(int))
    if unknown:
        raise DecideError(f"counts {sorted(unknown)} are outside the table's {count_column} "
                          f"{int(table[count_column].min())}-{int(table[count_column].max())}")
    return float(table.loc[table[count_column].isin(counts), column].sum())


def unlisted_harm(summary: pd.DataFrame, magnitudes, harm_weight: float = 1.0) -> pd.DataFrame:
    """How likely an outcome nobody listed would have to be, under the preferred option, to change the choice.

    ``summary`` is :func:`decide.compare.summary`. An extra harm of magnitude m with chance r lowers
    the preferred option's expected value by harm_weight x r x m, so the choice switches to the
    runner-up once r exceeds lead / (harm_weight x m). A needed chance above 1 means no harm of that size could.
    """
    if "expected_value" not in summary.columns or len(summary) < 2:
        raise DecideError("unlisted_harm needs decide.compare.summary(sim) for a case with at least two options")
    ev = summary["expected_value"].sort_values(ascending=False)
    lead = float(ev.iloc[0] - ev.iloc[1])
    m = np.asarray(magnitudes, dtype=float)
    if np.any(m <= 0):
        raise DecideError("magnitudes of a harm must be above 0")
    needed = lead / (harm_weight * m)
    out = pd.DataFrame({"magnitude": m, "chance_needed": needed, "could_change": needed <= 1})
    out.attrs.update(preferred=str(ev.index[0]), runner_up=str(ev.index[1]), lead=lead, harm_weight=harm_weight)
    return out
