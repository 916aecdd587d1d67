"""A synthetic world for bias experiments: who is maltreated, who is seen, what is recorded.

Child-protection records are not a sample of maltreatment. Self-report studies find far more
maltreatment than services know of (substantiated cases are less than a tenth of the true burden,
Gilbert et al. 2009), and the families services know are skewed towards poverty (the most deprived
tenth of neighbourhoods has at least ten times the rate of children looked after of the least
deprived, Child Welfare Inequalities Project). A tool trained on those records learns who gets
seen and how professionals recorded them. This module builds a population where the truth is
known, so that gap can be measured.

The chain, for each family in each period (a year)::

    need (latent, persistent)  ->  maltreated?  ->  referred? (visibility x scrutiny)  ->  substantiated?
    deprivation decile, ethnic group, benefits receipt, a needs indicator seen by universal services

The *recorded label* is contact with services (referral), as real tools predict (the Allegheny
Family Screening Tool predicts re-referral or removal), or substantiation. Truth (maltreatment)
is kept beside it and never shown to the tool.

Then the feedback loop (:func:`feedback_loop`): a tool trained on last period's records scores
every family, the highest scores are flagged, flags raise this period's scrutiny of flagged
families and of areas with many flags, more is recorded there, and the tool is recalibrated on
those records. With ``correction=True`` each new record is weighted by the inverse of the scrutiny
that produced it. :func:`polya_urn` is the runaway loop of Ensign et al. (2018) in its own terms.

Everything is vectorised over families (no per-family Python loops) and seeded: the same
parameters and seed give the same numbers. Runs with and without the correction use the same
random numbers (common random numbers), so their difference is the correction's doing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scipy import optimize, special

from decide.errors import DecideError

#: Deprivation bands used for audits (decile 1 = least deprived, 10 = most deprived).
BANDS = {"least deprived (deciles 1-3)": (1, 3), "middle (deciles 4-7)": (4, 7), "most deprived (deciles 8-10)": (8, 10)}
LEAST, MIDDLE, MOST = list(BANDS)
GROUPS = ("majority", "minority")  # values of the ethnic_group column


def _explain(exc: ValidationError, model: str) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" (you gave {value!r})"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{model}{'.' + where if where else ''}: {msg}{shown}")
    return "; ".join(parts)


#: What a reader sees for each setting (its name in code stays beside it, for researchers).
SETTING_NAMES: dict[str, str] = {
    "families": "families simulated",
    "areas_per_decile": "neighbourhoods per deprivation decile",
    "minority_share": "share of families in the minority ethnic group",
    "minority_deprivation_tilt": "how much more often minority families live in the most deprived areas",
    "true_rate": "share of families where a child is maltreated in a year",
    "true_deprivation_ratio": "true maltreatment, most deprived decile against least",
    "true_minority_ratio": "true maltreatment, minority against majority group",
    "need_spread": "how much families differ in need",
    "indicator_noise": "noise in the needs indicator",
    "referral_if_maltreated": "chance a maltreated family is referred (least deprived)",
    "referral_if_not_maltreated": "chance a family with no maltreatment is referred (least deprived)",
    "visibility_ratio": "visibility to services, most deprived decile against least",
    "minority_visibility_ratio": "visibility to services, minority against majority group",
    "substantiation_if_maltreated": "chance a referral of a maltreated family is substantiated",
    "substantiation_if_not_maltreated": "chance a referral with no maltreatment is substantiated",
    "minority_recording_ratio": "substantiation, minority against majority group, same facts",
    "benefits_least_deprived": "share receiving benefits, least deprived decile",
    "benefits_most_deprived": "share receiving benefits, most deprived decile",
    "memory": "years counted as 'earlier contact with services'",
    "label": "what the tool learns to predict",
    "generations": "years the tool is used and recalibrated",
    "flag_share": "share of families the tool flags",
    "family_scrutiny": "extra attention a flagged family gets (times)",
    "area_weight": "share of area attention that follows the flags",
    "correction": "records weighted by the inverse of the scrutiny behind them",
    "features": "what the tool sees",
}


class _Checked(BaseModel):
    """A pydantic model whose bad input raises one DecideError naming field, value and fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise DecideError(_explain(exc, type(self).__name__)) from None

    def but(self, **changes):
        """A copy with some values changed, validated again (``model_copy`` would skip the checks)."""
        return type(self)(**{**self.model_dump(), **changes})

    @classmethod
    def describe(cls, values=None) -> pd.DataFrame:
        """Each setting in plain words, with its value, the figure (or assumption) behind it, and its name in code.

        The name in code is what a researcher passes to change it (``params.but(name=value)``).
        """
        values = values if values is not None else cls()
        rows = [{"setting": SETTING_NAMES[name], "value": _plain_value(getattr(values, name)),
                 "why this value": f.description, "name in code": name} for name, f in cls.model_fields.items()]
        return pd.DataFrame(rows).set_index("setting")


def _plain_value(value):
    """A setting's value as a reader should see it: yes/no, not True/False; names, not a Python tuple."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        from decide.tool import PLAIN

        return "; ".join(PLAIN[v][0] if v in PLAIN else str(v) for v in value)
    return value


_P = dict(gt=0.0, lt=1.0)


class WorldParameters(_Checked):
    """The synthetic population. Defaults cite ../shared/evidence.md; 'illustrative' marks assumptions."""

    families: int = Field(100_000, ge=100, le=50_000_000, description="how many families (up to 5x10^7; 10^6 runs in seconds)")
    areas_per_decile: int = Field(10, ge=1, le=1000, description="neighbourhoods per deprivation decile; areas are what "
                                  "scrutiny is allocated to (illustrative)")
    minority_share: float = Field(0.2, **_P, description="share of families in the minority ethnic group (illustrative)")
    minority_deprivation_tilt: float = Field(2.0, ge=0.1, le=20, description="the minority group's share in the most "
                                             "deprived decile over its share in the least deprived: minority families live "
                                             "more often in deprived areas, which is why Bywaters et al. (2016) compare "
                                             "ethnic groups within deprivation levels (illustrative size)")
    true_rate: float = Field(0.10, **_P, description="share of families where a child is maltreated in a year: 1 in 10 "
                             "neglected or psychologically abused, 4-16 % physically abused (Gilbert et al. 2009, Lancet)")
    true_deprivation_ratio: float = Field(1.0, ge=0.1, le=50, description="true maltreatment rate in the most deprived "
                                          "decile over the least deprived; 1 = equal, so any recorded gradient is bias "
                                          "(illustrative: set it above 1 to add a real need gradient)")
    true_minority_ratio: float = Field(1.0, ge=0.1, le=10, description="true rate in the minority over the majority group "
                                       "at the same deprivation; 1 = equal (illustrative)")
    need_spread: float = Field(1.5, ge=0.0, le=5, description="how much families differ in their chance of maltreatment "
                               "(sd of a persistent family effect on the log-odds scale; illustrative)")
    indicator_noise: float = Field(0.5, gt=0.0, le=10, description="noise in the needs indicator universal services "
                                   "(schools, health visitors) see, relative to the spread of need (illustrative)")
    referral_if_maltreated: float = Field(0.05, **_P, description="chance a maltreated family is referred in a year, "
                                          "least deprived decile, ordinary scrutiny. With visibility ten times higher in the "
                                          "most deprived decile the average is about 0.2, and with substantiation 0.35 under a "
                                          "tenth of the true burden is "
                                          "substantiated, as Gilbert et al. (2009) found (calibrated to that figure)")
    referral_if_not_maltreated: float = Field(0.01, **_P, description="chance a family with no maltreatment is referred in "
                                              "a year, least deprived decile: most referrals are not substantiated "
                                              "(illustrative; gives a contact rate of a few per cent a year)")
    visibility_ratio: float = Field(10.0, ge=0.1, le=100, description="referral chance in the most deprived decile over the "
                                    "least deprived, same true need; a constant step per decile. The Child Welfare "
                                    "Inequalities Project found >= 10x between those deciles in being looked after (1 in 60 "
                                    "vs 1 in 660), about +1/3 per step; that figure mixes need and visibility, so 10 is an "
                                    "upper reading used as an illustration")
    minority_visibility_ratio: float = Field(1.0, ge=0.1, le=10, description="referral chance of minority over majority "
                                             "families with the same need and deprivation; 1 = equal (illustrative)")
    substantiation_if_maltreated: float = Field(0.35, **_P, description="chance a referral of a maltreated family is "
                                                "substantiated (professional judgement; calibrated with the referral "
                                                "chance of a maltreated family to Gilbert et al.'s 'less than a tenth')")
    substantiation_if_not_maltreated: float = Field(0.05, ge=0.0, lt=1.0, description="chance a referral of a family with "
                                                    "no maltreatment is substantiated (illustrative)")
    minority_recording_ratio: float = Field(1.0, ge=0.1, le=10, description="substantiation chance for minority over "
                                            "majority families, same facts: how professionals' judgement can differ by "
                                            "group; 1 = equal (illustrative)")
    benefits_least_deprived: float = Field(0.05, **_P, description="share receiving means-tested benefits, least deprived "
                                           "decile (illustrative; income deprivation is measured by benefits receipt)")
    benefits_most_deprived: float = Field(0.6, **_P, description="share receiving benefits, most deprived decile "
                                          "(illustrative)")
    memory: int = Field(3, ge=1, le=20, description="years of history counted as 'earlier contact with services'")
    label: Literal["contact", "substantiated"] = Field("contact", description="what the tool is trained to predict: "
                                                      "'contact' (referral, as real tools predict) or 'substantiated'")

    @model_validator(mode="after")
    def _probabilities_stay_below_one(self):
        top = self.referral_if_maltreated * max(1.0, self.visibility_ratio) * max(1.0, self.minority_visibility_ratio)
        if top > 1:
            raise ValueError(f"referral_if_maltreated x visibility_ratio x minority_visibility_ratio = {top:.3g} is above 1, "
                             "so the stated ratios cannot hold in the most visible families; lower referral_if_maltreated "
                             f"to at most {self.referral_if_maltreated / top:.3g}")
        top = self.substantiation_if_maltreated * max(1.0, self.minority_recording_ratio)
        if top > 1:
            raise ValueError(f"substantiation_if_maltreated x minority_recording_ratio = {top:.3g} is above 1; lower "
                             f"substantiation_if_maltreated to at most {self.substantiation_if_maltreated / top:.3g}")
        shares = _minority_shares(self.minority_share, self.minority_deprivation_tilt)
        if shares.max() >= 1:
            raise ValueError(f"minority_share {self.minority_share} with minority_deprivation_tilt "
                             f"{self.minority_deprivation_tilt} puts {shares.max():.0%} of the most deprived decile in the "
                             "minority group; lower one of them")
        return self


class FeedbackSettings(_Checked):
    """How the tool steers scrutiny, and how it is recalibrated. All values are illustrative."""

    generations: int = Field(10, ge=1, le=200, description="periods (years) the tool is used and recalibrated")
    flag_share: float = Field(0.1, **_P, description="share of families the tool flags (the highest scores), as tools "
                              "that report the top band of a score (illustrative)")
    family_scrutiny: float = Field(1.5, ge=1.0, le=20, description="how many times more likely anything about a flagged "
                                   "family is to reach services next period (illustrative)")
    area_weight: float = Field(0.3, ge=0.0, le=1.0, description="share of area scrutiny (visits, outreach, partner "
                               "agencies' attention) allocated in proportion to the area's flags; the rest is spread "
                               "evenly (illustrative; 1 = all of it follows the flags, as in Ensign et al.'s model)")
    correction: bool = Field(False, description="weight each new record by the inverse of the scrutiny that produced it "
                             "when recalibrating")
    features: tuple[str, ...] = Field(("prior_contact", "benefits", "needs_indicator", "deprivation"),
                                      description="what the tool sees (ethnic group is left out, as in real tools; add "
                                      "'minority' to include it)")

    @field_validator("features")
    @classmethod
    def _known_features(cls, features):
        from decide.tool import FEATURES

        unknown = [f for f in features if f not in FEATURES]
        if unknown or not features:
            raise ValueError(f"must be a non-empty selection of {sorted(FEATURES)}; unknown: {unknown}")
        return features


# ----------------------------------------------------------------------------------------------
# The population
# ----------------------------------------------------------------------------------------------


def _steps(ratio: float) -> np.ndarray:
    """Decile multipliers 1 .. ratio with a constant step (ratio ** ((d - 1) / 9)), deciles 1..10."""
    return ratio ** (np.arange(10) / 9.0)


def _minority_shares(share: float, tilt: float) -> np.ndarray:
    s = _steps(tilt)
    return share * s / s.mean()


def _rng(seed: int, label: str, *more: int) -> np.random.Generator:
    """One stream per named use, so adding a use elsewhere leaves these numbers unchanged."""
    return np.random.default_rng([int(seed), zlib.crc32(label.encode()), *map(int, more)])


_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(80)
_GH_W = _GH_W / _GH_W.sum()


def _mean_rate(a: float, spread: float) -> float:
    return float(np.dot(_GH_W, special.expit(a + spread * _GH_X)))


def _intercept(target: float, spread: float) -> float:
    """The log-odds intercept at which the population's mean chance is ``target`` (Gauss-Hermite, exact to 1e-12)."""
    return optimize.brentq(lambda a: _mean_rate(a, spread) - target, -40, 40, xtol=1e-13)


def cell_rates(params: WorldParameters) -> pd.DataFrame:
    """The design, per (decile, ethnic group): share of families, true rate, visibility, recording.

    The true rates are scaled so the population's mean rate is ``true_rate``, with the stated ratios
    between deciles and groups. These are the expected values the simulation draws around, so tests
    can compare the simulation with them.
    """
    minority = _minority_shares(params.minority_share, params.minority_deprivation_tilt)
    rows = []
    for d in range(10):
        for g, name in enumerate(GROUPS):
            rows.append({"decile": d + 1, "ethnic_group": name,
                         "share": 0.1 * (minority[d] if g else 1 - minority[d]),
                         "true_multiplier": _steps(params.true_deprivation_ratio)[d] * params.true_minority_ratio ** g,
                         "visibility": _steps(params.visibility_ratio)[d] * params.minority_visibility_ratio ** g,
                         "recording": params.minority_recording_ratio ** g})
    t = pd.DataFrame(rows)
    t["true_rate"] = params.true_rate * t["true_multiplier"] / np.dot(t["share"], t["true_multiplier"])
    if t["true_rate"].max() >= 1:
        raise DecideError(f"WorldParameters: true_rate {params.true_rate} with the ratios given puts a group's true rate at "
                          f"{t['true_rate'].max():.2f}; lower true_rate or the ratios")
    t["intercept"] = [_intercept(r, params.need_spread) for r in t["true_rate"]]
    t["referral_if_maltreated"] = params.referral_if_maltreated * t["visibility"]
    t["referral_if_not_maltreated"] = params.referral_if_not_maltreated * t["visibility"]
    return t.drop(columns="true_multiplier")


@dataclass
class Population:
    """Families as arrays (one entry per family), and their recent contacts with services."""

    params: WorldParameters
    seed: int
    decile: np.ndarray  # 1..10, 10 = most deprived
    minority: np.ndarray  # bool
    area: np.ndarray  # neighbourhood index, areas_per_decile per decile
    need: np.ndarray  # latent, persistent (never shown to the tool)
    needs_indicator: np.ndarray  # need + noise, seen by universal services
    benefits: np.ndarray  # bool
    cell: np.ndarray  # (decile - 1) * 2 + minority: index into cell_rates
    design: pd.DataFrame  # cell_rates(params)
    history: np.ndarray  # [memory, families] contacts (referrals) in the last `memory` periods, oldest first

    @property
    def size(self) -> int:
        return int(self.decile.size)

    @property
    def prior_contact(self) -> np.ndarray:
        """Number of periods, of the last ``memory``, in which the family was referred."""
        return self.history.sum(0, dtype=np.int8)

    def remember(self, referred: np.ndarray) -> None:
        self.history = np.concatenate([self.history[1:], referred[None, :]], axis=0)

    def band(self) -> np.ndarray:
        return deprivation_band(self.decile)


def deprivation_band(decile) -> np.ndarray:
    """Decile 1..10 -> the three band labels of :data:`BANDS`."""
    decile = np.asarray(decile)
    return np.where(decile <= 3, LEAST, np.where(decile <= 7, MIDDLE, MOST)).astype(object)


def make_population(params: WorldParameters | None = None, *, seed: int) -> Population:
    """Draw the families and ``memory`` years of history at ordinary scrutiny (no tool yet)."""
    params = params or WorldParameters()
    design = cell_rates(params)
    n = params.families
    rng = _rng(seed, "population")
    decile = np.minimum((np.arange(n) * 10) // n, 9).astype(np.int8) + 1  # exactly a tenth in each decile
    rng.shuffle(decile)
    minority = rng.random(n) < _minority_shares(params.minority_share, params.minority_deprivation_tilt)[decile - 1]
    area = (decile.astype(np.int32) - 1) * params.areas_per_decile + rng.integers(0, params.areas_per_decile, n)
    need = rng.standard_normal(n)
    indicator = need + params.indicator_noise * rng.standard_normal(n)
    b = np.interp(np.arange(10), [0, 9], special.logit([params.benefits_least_deprived, params.benefits_most_deprived]))
    benefits = rng.random(n) < special.expit(b)[decile - 1]
    cell = (decile.astype(np.int64) - 1) * 2 + minority
    pop = Population(params, seed, decile, minority, area, need, indicator, benefits, cell, design,
                     np.zeros((params.memory, n), dtype=bool))
    for t in range(params.memory):
        pop.remember(observe(pop, period=-params.memory - 1 + t).referred)
    return pop


@dataclass
class Period:
    """What happened in one period: the truth, the referrals and the records."""

    maltreated: np.ndarray
    referred: np.ndarray  # contact with services
    substantiated: np.ndarray
    label: np.ndarray  # the recorded label the tool learns (referred or substantiated)
    scrutiny: np.ndarray | float  # how many times the ordinary looks each family got (see referral_chance)


def referral_chance(base, scrutiny):
    """Chance of referral when scrutiny multiplies the looks a family gets: 1 - (1 - base) ** scrutiny.

    Scrutiny s counts independent chances to be noticed (s = 2: twice the looks). For small
    chances this is s x base, so records scale with scrutiny; it never exceeds 1. At s = 1 it is
    the base chance exactly.
    """
    if np.isscalar(scrutiny) and scrutiny == 1.0:
        return base
    return -np.expm1(scrutiny * np.log1p(-base))


def observe(pop: Population, *, period: int, scrutiny: np.ndarray | float = 1.0) -> Period:
    """One period: who is maltreated, who is referred (visibility x scrutiny), what is substantiated.

    The random numbers depend only on (seed, period), not on the scrutiny, so runs that differ in
    scrutiny are compared family by family on the same luck.
    """
    p = pop.params
    d = pop.design
    rng = _rng(pop.seed, "period", period + 10_000)
    u = rng.random((3, pop.size), dtype=np.float32)
    logit = d["intercept"].to_numpy()[pop.cell] + p.need_spread * pop.need
    maltreated = u[0] < special.expit(logit)
    base = np.where(maltreated, d["referral_if_maltreated"].to_numpy()[pop.cell],
                    d["referral_if_not_maltreated"].to_numpy()[pop.cell])
    referred = u[1] < referral_chance(base, scrutiny)
    sub = np.where(maltreated, p.substantiation_if_maltreated, p.substantiation_if_not_maltreated)
    sub = sub * d["recording"].to_numpy()[pop.cell]
    substantiated = referred & (u[2] < sub)
    label = referred if p.label == "contact" else substantiated
    return Period(maltreated, referred, substantiated, label, scrutiny)


def frame(pop: Population, period: Period | None = None, scores=None, flagged=None) -> pd.DataFrame:
    """One row per family, for audits and plots of moderate size (use counts for 10^6 families)."""
    df = pd.DataFrame({"decile": pop.decile, "deprivation_band": pop.band(),
                       "ethnic_group": np.where(pop.minority, GROUPS[1], GROUPS[0]), "area": pop.area,
                       "benefits": pop.benefits.astype(np.int8), "needs_indicator": pop.needs_indicator,
                       "prior_contact": pop.prior_contact})
    if period is not None:
        df["maltreated"] = period.maltreated.astype(np.int8)
        df["referred"] = period.referred.astype(np.int8)
        df["substantiated"] = period.substantiated.astype(np.int8)
        df["recorded"] = period.label.astype(np.int8)
    if scores is not None:
        df["score"] = scores
    if flagged is not None:
        df["flagged"] = np.asarray(flagged).astype(np.int8)
    return df


# ----------------------------------------------------------------------------------------------
# Counting (everything the loop reports is counts by decile x ethnic group)
# ----------------------------------------------------------------------------------------------

_COUNTED = ("families", "maltreated", "referred", "substantiated", "recorded", "flagged", "flagged_maltreated",
            "flagged_recorded", "score_sum", "scrutiny_sum")


def _count_cells(pop: Population, period: Period, flagged: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """[20 cells, len(_COUNTED)] sums by (decile, group) in one bincount each."""
    c = pop.cell
    cols = [None, period.maltreated, period.referred, period.substantiated, period.label, flagged,
            flagged & period.maltreated, flagged & period.label, scores,
            np.broadcast_to(period.scrutiny, c.shape)]
    out = np.empty((20, len(cols)))
    for j, w in enumerate(cols):
        out[:, j] = np.bincount(c, weights=None if w is None else w.astype(np.float64, copy=False), minlength=20)
    return out


def counts_table(cells: np.ndarray, generation: int | None = None) -> pd.DataFrame:
    t = pd.DataFrame(cells, columns=_COUNTED)
    t.insert(0, "decile", np.repeat(np.arange(1, 11), 2))
    t.insert(1, "ethnic_group", np.tile(GROUPS, 10))
    t.insert(2, "deprivation_band", deprivation_band(t["decile"]))
    if generation is not None:
        t.insert(0, "generation", generation)
    return t


def audit_table(counts: pd.DataFrame, outcome: str = "recorded", group="deprivation_band") -> pd.DataFrame:
    """Counts in the form :func:`decide.audit.audit_counts` takes: group(s), flag, outcome, n.

    ``outcome`` is 'recorded' (what an analyst sees) or 'maltreated' (what the simulation knows).
    No score column: the counts are by flag, so the audit gives rates and disparities (no AUC).
    """
    if outcome not in ("recorded", "maltreated"):
        raise DecideError(f"outcome must be 'recorded' or 'maltreated', got {outcome!r}")
    groups = [group] if isinstance(group, str) else list(group)
    g = counts.groupby(groups, sort=True)[["families", "flagged", outcome, f"flagged_{outcome}"]].sum()
    tp = g[f"flagged_{outcome}"]
    fp = g["flagged"] - tp
    fn = g[outcome] - tp
    tn = g["families"] - tp - fp - fn
    parts = []
    for flag, y, n in ((1, 1, tp), (1, 0, fp), (0, 1, fn), (0, 0, tn)):
        parts.append(n.rename("n").reset_index().assign(flag=flag, outcome=y))
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].round().astype(np.int64)
    return out[[*groups, "flag", "outcome", "n"]]


def audit_twice(counts: pd.DataFrame, *, reference: str = LEAST, group="deprivation_band", seed: int = 1, **options):
    """The audit run twice on the same flags: against the records and against the truth.

    Returns ``{"records": Audit, "truth": Audit}``. The gap between the two is the lesson: the
    analyst can only ever run the first.
    """
    from decide.audit import audit_counts

    return {name: audit_counts(audit_table(counts, outcome, group), reference=reference, group=group, seed=seed, **options)
            for name, outcome in (("records", "recorded"), ("truth", "maltreated"))}


def count(pop: Population, period: Period, flagged: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """Counts by decile x ethnic group (families, maltreated, referred, ..., flagged) for one period."""
    return counts_table(_count_cells(pop, period, np.asarray(flagged, bool), np.asarray(scores, float)))


@dataclass
class Snapshot:
    """One tool, trained on one year of records, scoring the families the next year."""

    population: Population
    training: Period  # the year the tool learned from
    tool: object  # decide.tool.Tool
    period: Period  # the year it is used in (ordinary scrutiny: nothing acts on the flags yet)
    scores: np.ndarray
    flagged: np.ndarray
    counts: pd.DataFrame

    def frame(self) -> pd.DataFrame:
        return frame(self.population, self.period, self.scores, self.flagged)


def snapshot(params: WorldParameters | None = None, *, seed: int, tool: str = "fast",
             features=("prior_contact", "benefits", "needs_indicator", "deprivation"), flag_share: float = 0.1,
             **tool_options) -> Snapshot:
    """Train a tool on last year's records (``tool='fast'`` or ``'bayes'``), flag this year's highest scores."""
    from decide.tool import fit_bayes, fit_fast

    if tool not in ("fast", "bayes"):
        raise DecideError(f"tool must be 'fast' or 'bayes', got {tool!r}")
    if not 0 < flag_share < 1:
        raise DecideError(f"flag_share must be between 0 and 1 (e.g. 0.1 for the top tenth), got {flag_share!r}")
    pop = make_population(params or WorldParameters(), seed=seed)
    training = observe(pop, period=-1)
    fit = fit_fast if tool == "fast" else fit_bayes
    if tool == "bayes":
        tool_options.setdefault("seed", seed)
    model = fit(pop, training.label.astype(float), features=features, **tool_options)
    pop.remember(training.referred)
    period = observe(pop, period=0)
    scores = model.predict(pop)
    flagged = top_share(scores, flag_share)
    return Snapshot(pop, training, model, period, scores, flagged, count(pop, period, flagged, scores))


# ----------------------------------------------------------------------------------------------
# The feedback loop
# ----------------------------------------------------------------------------------------------


def top_share(scores: np.ndarray, share: float) -> np.ndarray:
    """Flag the ``share`` of families with the highest scores (ties at the cut are all flagged)."""
    k = max(1, int(round(share * scores.size)))
    cut = np.partition(scores, scores.size - k)[scores.size - k]
    return scores >= cut


def scrutiny_from_flags(pop: Population, flagged: np.ndarray, settings: FeedbackSettings) -> np.ndarray:
    """Each family's scrutiny multiplier: its area's share of the flags, times the flagged-family boost.

    Area scrutiny is (1 - w) + w x (area's flag rate / overall flag rate): a fixed budget, of which
    a share w follows the flags. Averaged over families it is 1.
    """
    n_areas = 10 * pop.params.areas_per_decile
    per_area = np.bincount(pop.area, minlength=n_areas).astype(float)
    flags_area = np.bincount(pop.area, weights=flagged.astype(float), minlength=n_areas)
    overall = flagged.mean()
    rel = np.divide(flags_area, per_area * overall, out=np.ones(n_areas), where=per_area > 0)
    area = (1 - settings.area_weight) + settings.area_weight * rel
    return area[pop.area] * np.where(flagged, settings.family_scrutiny, 1.0)


@dataclass
class FeedbackRun:
    """Counts per generation (by decile x ethnic group) and the tool's coefficients."""

    params: WorldParameters
    settings: FeedbackSettings
    seed: int
    counts: pd.DataFrame  # generation, decile, ethnic_group, deprivation_band, families, maltreated, ...
    coefficients: pd.DataFrame  # generation x feature (standardised scale)
    odds_ratios: pd.DataFrame | None = None  # generation x feature: odds ratio per raw unit of each feature

    def generation(self, g: int) -> pd.DataFrame:
        return self.counts[self.counts["generation"] == g]

    def learned(self, generations) -> pd.DataFrame:
        """What the tool learned by year, for readers: each feature's odds ratio for one unit more, in plain words.

        Rows are the features the tool sees (plain names); columns 'year g'. Above 1: the feature
        raises the score. Per raw unit (a decile, a year of contact), not per standard deviation,
        because a feature's spread changes from year to year as the records change.
        """
        from decide.tool import PLAIN

        if self.odds_ratios is None:
            raise DecideError("this run has no odds ratios; run world.feedback_loop again")
        generations = list(generations)
        missing = sorted(set(generations) - set(self.odds_ratios["generation"]))
        if missing:
            last = int(self.odds_ratios["generation"].max())
            raise DecideError(f"no generation(s) {missing}; this run has 0 to {last}")
        t = self.odds_ratios.set_index("generation").loc[generations, list(self.settings.features)].T
        t.index = [PLAIN[f][0] for f in t.index]
        t.index.name = "odds ratio for one unit more of"
        t.columns = [f"year {g}" for g in generations]
        return t

    def disparities(self, **kwargs) -> pd.DataFrame:
        return disparities_over_generations(self.counts, **kwargs)


def feedback_loop(params: WorldParameters | None = None, settings: FeedbackSettings | None = None, *, seed: int,
                  population: Population | None = None) -> FeedbackRun:
    """Run the tool-steers-scrutiny loop for ``settings.generations`` periods.

    Generation 0: a tool trained on the historical records (ordinary scrutiny) flags families,
    but nothing acts on the flags yet, so it shows the bias of visibility alone. From generation 1
    the flags raise that period's scrutiny (:func:`scrutiny_from_flags`), and after each period the
    tool is recalibrated on that period's records, weighted by 1/scrutiny when
    ``settings.correction`` is set. Uses the fast (point-estimate) tool.
    """
    from decide.tool import fit_fast

    params = params or WorldParameters()
    settings = settings or FeedbackSettings()
    pop = population if population is not None else make_population(params, seed=seed)
    if population is not None:  # do not change the caller's population
        pop = Population(**{**pop.__dict__, "history": pop.history.copy()})
    # Historical records: one more period at ordinary scrutiny, the tool's first training data.
    hist = observe(pop, period=-1)
    tool = fit_fast(pop, hist.label.astype(float), features=settings.features)
    pop.remember(hist.referred)
    rows, coefs, ors = [], [], []
    for g in range(settings.generations + 1):
        scores = tool.predict(pop)
        flagged = top_share(scores, settings.flag_share)
        scrutiny = 1.0 if g == 0 else scrutiny_from_flags(pop, flagged, settings)
        period = observe(pop, period=g, scrutiny=scrutiny)
        rows.append(counts_table(_count_cells(pop, period, flagged, scores), g))
        coefs.append({"generation": g, **dict(zip(tool.names, tool.coef))})
        ors.append({"generation": g, **dict(zip(tool.features, np.exp(tool.coef[1:] / tool.scale)))})
        target = period.label.astype(float)
        if settings.correction:
            target = target / scrutiny
        tool = fit_fast(pop, target, features=settings.features, start=tool)
        pop.remember(period.referred)
    return FeedbackRun(params, settings, seed, pd.concat(rows, ignore_index=True), pd.DataFrame(coefs),
                       pd.DataFrame(ors))


#: Rate name -> (numerator column, denominator column) in the counts.
RATE_COLUMNS = {"true rate": ("maltreated", "families"), "recorded rate": ("recorded", "families"),
                "flag rate": ("flagged", "families"), "referral rate": ("referred", "families"),
                "substantiation rate": ("substantiated", "families"), "mean score": ("score_sum", "families"),
                "flag share": ("flagged", None)}


def disparities_over_generations(counts: pd.DataFrame, *, group: str = "deprivation_band", reference: str = LEAST,
                                 versus: str = MOST, metrics=("true rate", "recorded rate", "flag rate"),
                                 interval: float = 0.9, draws: int = 4000, seed: int = 1) -> pd.DataFrame:
    """Ratio of each rate in ``versus`` to ``reference``, per generation, with a posterior interval.

    Each rate k of m has a Jeffreys Beta(k + 1/2, m - k + 1/2) posterior, as in the audit; the
    ratio's interval is from Monte Carlo draws of the two independent posteriors. The mean score
    is not a count, so its ratio is given without an interval. 'flag share' is not a ratio but the
    share of all flags that go to ``versus`` (with its Beta interval): a flag-rate ratio is
    infinite once the reference group gets no flags at all, which happens quickly.
    """
    lo_q, hi_q = (1 - interval) / 2, (1 + interval) / 2
    if "generation" not in counts:
        counts = counts.assign(generation=0)
    agg = counts.groupby(["generation", group]).sum(numeric_only=True)
    out = []
    for metric in metrics:
        num, den = RATE_COLUMNS[metric]
        for g in sorted(counts["generation"].unique()):
            a, b = agg.loc[(g, versus)], agg.loc[(g, reference)]
            if metric == "flag share":
                k, m = a["flagged"], agg.loc[g]["flagged"].sum()
                lo, hi = special.betaincinv(k + 0.5, m - k + 0.5, [lo_q, hi_q])
                out.append({"generation": int(g), "metric": metric, "ratio": k / m, "lower": lo, "upper": hi})
                continue
            est = (a[num] / a[den]) / (b[num] / b[den])
            if metric == "mean score":
                lo = hi = np.nan
            else:
                rng = _rng(seed, metric, g)
                ra = rng.beta(a[num] + 0.5, a[den] - a[num] + 0.5, draws)
                rb = rng.beta(b[num] + 0.5, b[den] - b[num] + 0.5, draws)
                lo, hi = np.quantile(ra / rb, [lo_q, hi_q])
            out.append({"generation": int(g), "metric": metric, "ratio": est, "lower": lo, "upper": hi})
    t = pd.DataFrame(out)
    t.attrs.update(versus=versus, reference=reference, interval=interval)
    return t


def rates_by(counts: pd.DataFrame, by="decile") -> pd.DataFrame:
    """Per group: true, referral, substantiation and recorded rates, flag rate, and each group's share of the flags."""
    by = [by] if isinstance(by, str) else list(by)
    g = counts.groupby(by).sum(numeric_only=True)
    out = pd.DataFrame({name: g[num] / g[den] for name, (num, den) in RATE_COLUMNS.items() if den})
    out["share of families"] = g["families"] / g["families"].sum()
    out["share of flags"] = g["flagged"] / g["flagged"].sum()
    out["share of the maltreated"] = g["maltreated"] / g["maltreated"].sum()
    out["share of records"] = g["recorded"] / g["recorded"].sum()
    return out


def expected_contact_rate(params: WorldParameters, by: str = "deprivation_band") -> pd.Series:
    """The contact (referral) rate each group should show at ordinary scrutiny, from the design alone.

    Exact expected values (no simulation): true rate x referral chance if maltreated, plus the
    rest x referral chance if not, averaged over the group's cells by their share of families.
    Notebooks check the simulated records against these.
    """
    d = cell_rates(params)
    d["deprivation_band"] = deprivation_band(d["decile"])
    if by not in ("deprivation_band", "decile", "ethnic_group"):
        raise DecideError(f"by must be 'deprivation_band', 'decile' or 'ethnic_group', got {by!r}")
    rate = d["true_rate"] * d["referral_if_maltreated"] + (1 - d["true_rate"]) * d["referral_if_not_maltreated"]
    weighted = (d["share"] * rate).groupby(d[by]).sum() / d["share"].groupby(d[by]).sum()
    return weighted.rename("expected contact rate")


#: Plain words for the columns of a family table (:func:`frame`), for tables a person reads.
FAMILY_COLUMNS = {"decile": "deprivation decile (10 = most deprived)", "deprivation_band": "deprivation band",
                  "ethnic_group": "ethnic group", "area": "neighbourhood", "benefits": "receives benefits",
                  "prior_contact": "earlier years with contact", "needs_indicator": "needs noted by schools and health",
                  "maltreated": "maltreated (the truth)", "referred": "referred", "substantiated": "substantiated",
                  "recorded": "in the records", "flagged": "flagged by the tool", "score": "score",
                  "lower": "score, interval from", "upper": "score, interval to"}
_YES_NO = ("benefits", "maltreated", "referred", "substantiated", "recorded", "flagged")


def readable(families: pd.DataFrame) -> pd.DataFrame:
    """A family table as a person should read it: plain column names, yes/no instead of 1/0.

    Columns without a plain name are refused rather than shown raw.
    """
    unknown = [c for c in families.columns if c not in FAMILY_COLUMNS]
    if unknown:
        raise DecideError(f"no plain name for column(s) {unknown}; known: {sorted(FAMILY_COLUMNS)}")
    out = families.copy()
    for c in _YES_NO:
        if c in out:
            out[c] = np.where(out[c].astype(bool), "yes", "no")
    return out.rename(columns=FAMILY_COLUMNS)


#: Plain words for each disparity in :func:`disparities_over_generations` (most deprived against least).
DISPARITY_NAMES = {"true rate": "true maltreatment rate, most / least deprived",
                   "recorded rate": "recorded rate, most / least deprived",
                   "referral rate": "referral rate, most / least deprived",
                   "substantiation rate": "substantiation rate, most / least deprived",
                   "flag rate": "flag rate, most / least deprived",
                   "mean score": "tool's average score, most / least deprived",
                   "flag share": "most deprived band's share of the flags"}


def disparity_summary(runs: dict[str, pd.DataFrame], generations) -> pd.DataFrame:
    """One readable table of several runs' disparities at chosen generations (``{run: disparities table}``).

    Rows are (run, disparity in plain words); columns are 'year 0', 'year 1', ...
    """
    parts = {}
    for name, t in runs.items():
        missing = sorted(set(generations) - set(t["generation"]))
        if missing:
            raise DecideError(f"run '{name}' has no generation(s) {missing}; it has 0 to {t['generation'].max()}")
        wide = t.pivot(index="metric", columns="generation", values="ratio")[list(generations)]
        wide.index = [DISPARITY_NAMES.get(m, m) for m in wide.index]
        wide.columns = [f"year {g}" for g in wide.columns]
        parts[name] = wide
    out = pd.concat(parts)
    out.index.names = ["run", "measure"]
    return out


# ----------------------------------------------------------------------------------------------
# Ensign et al. (2018): the Pólya urn of predictive policing
# ----------------------------------------------------------------------------------------------


@dataclass
class UrnRun:
    """Share of the records held by area A over time, one row per replicate (seed stream)."""

    rates: tuple[float, float]
    correction: bool
    steps: np.ndarray  # the steps at which the share was recorded
    share: np.ndarray  # [replicates, len(steps)]

    @property
    def final_share(self) -> np.ndarray:
        return self.share[:, -1]

    @property
    def true_share(self) -> float:
        return self.rates[0] / (self.rates[0] + self.rates[1])


def polya_urn(rates=(0.1, 0.1), *, steps: int = 5000, replicates: int = 200, initial=(1.0, 1.0),
              correction: bool = False, seed: int, record_every: int | None = None) -> UrnRun:
    """Ensign et al.'s (2018) runaway feedback loop, vectorised over replicates.

    Two areas, A and B, with true incident rates ``rates``. Each step the one officer (or social
    worker) goes to an area with probability equal to its share of the records so far; an
    incident there is found with that area's rate and recorded (one ball of its colour). Nothing
    is found where nobody looked. With equal rates this is a Pólya urn: the share converges to a
    random limit, Beta(initial A, initial B), whatever the truth. With unequal rates the area with
    the higher rate takes over (share -> 1), beyond its true share rate_A / (rate_A + rate_B).
    The correction (Ensign et al.'s remedy) records a finding with weight 1/p, p the chance the
    area was visited: each area then gains rate x 1 per step on average, and the share converges
    to the true share.

    This is the world's feedback loop reduced to two areas, area_weight = 1 (all scrutiny follows
    the records), no referrals from anywhere else, and a tool that is just the record share.
    """
    la, lb = rates
    for name, v in (("rate of area A", la), ("rate of area B", lb)):
        if not 0 < v <= 1:
            raise DecideError(f"polya_urn: {name} must be in (0, 1], got {v!r}")
    if min(initial) <= 0:
        raise DecideError(f"polya_urn: initial records must be positive in both areas, got {initial!r}")
    if steps < 1 or replicates < 1:
        raise DecideError(f"polya_urn: steps and replicates must be at least 1, got {steps}, {replicates}")
    every = record_every or max(1, steps // 200)
    rng = _rng(seed, "urn")
    a = np.full(replicates, float(initial[0]))
    b = np.full(replicates, float(initial[1]))
    kept, at = [], []
    chunk = 1000  # draw the random numbers for 1000 steps at a time
    for start in range(0, steps, chunk):
        m = min(chunk, steps - start)
        u = rng.random((m, 2, replicates))
        for i in range(m):  # steps are sequential by nature; each step is vectorised over replicates
            p = a / (a + b)
            to_a = u[i, 0] < p
            found = u[i, 1] < np.where(to_a, la, lb)
            w = 1.0 / np.where(to_a, p, 1 - p) if correction else 1.0
            add = found * w
            a += np.where(to_a, add, 0.0)
            b += np.where(to_a, 0.0, add)
            t = start + i + 1
            if t % every == 0 or t == steps:
                kept.append(a / (a + b))
                at.append(t)
    return UrnRun((la, lb), correction, np.array(at), np.stack(kept, axis=1))


__all__ = ["BANDS", "FeedbackRun", "FeedbackSettings", "Period", "Population", "Snapshot", "UrnRun", "WorldParameters",
           "DISPARITY_NAMES", "FAMILY_COLUMNS", "audit_table", "audit_twice", "cell_rates", "disparity_summary",
           "expected_contact_rate", "readable", "count", "counts_table", "snapshot", "deprivation_band", "disparities_over_generations",
           "feedback_loop", "frame", "make_population", "observe", "polya_urn", "rates_by", "scrutiny_from_flags",
           "top_share"]
