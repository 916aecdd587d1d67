"""Simulate: propagate uncertainty from judgements to each option's value, keeping its two kinds apart.

*Uncertainty* (epistemic): we do not know the chances and magnitudes, so we draw them from the
judged distributions (``draw`` dimension). *Risk* (aleatory): even if we knew the chance, what
happens to this child is still random, so for each draw we also simulate one child's outcomes.
Each option is evaluated on the same child (common random numbers), so options differ only
because the options differ.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit, logit
from xarray.backends import BackendArray
from xarray.core import indexing

from decide import judge
from decide.errors import DecideError
from decide.frame import Decision, factor_input_name, inline_input_name


#: Draws are made and evaluated in chunks of this many (results do not depend on it for the
#: numpy-drawn families; it is fixed so that every family gives the same numbers run to run).
CHUNK = 1 << 16


def _rng(seed: int, label: str) -> np.random.Generator:
    """One stream per named thing, so adding an option or quantity leaves the others' draws unchanged."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


def chance_label(outcome: str, option: str) -> str:
    """Plain words for an outcome's chance judged inline in an option (a label a reader sees)."""
    return f"the chance of '{outcome}' under '{option}'"


def magnitude_label(outcome: str, option: str, kind: str) -> str:
    """Plain words for an outcome's magnitude judged inline: how serious a harm, how much a benefit is worth."""
    if kind == "harm":
        return f"how serious '{outcome}' would be under '{option}'"
    return f"how much '{outcome}' would be worth under '{option}'"


@dataclass
class Model:
    """The decision compiled into arrays: which quantity feeds which (option, outcome) slot."""

    decision: Decision
    quantities: list[str]  # every uncertain input, shared and inline
    kinds: list[str]
    distributions: list
    options: list[str]
    outcomes: list[str]  # union over options, in order of first appearance
    applies: np.ndarray  # bool [option, outcome]
    is_harm: np.ndarray  # bool [option, outcome]
    chance_idx: np.ndarray  # int [option, outcome] -> quantity index (or -1)
    magnitude_idx: np.ndarray
    factor_matrix: np.ndarray  # [quantity, option*outcome]: 1 where an odds-ratio quantity applies
    has_factors: np.ndarray  # bool [option, outcome]
    labels: dict = field(default_factory=dict)  # quantity -> plain description

    @classmethod
    def from_decision(cls, decision: Decision) -> "Model":
        names, kinds, dists, labels = [], [], [], {}
        index: dict[str, int] = {}

        def add(key, kind, dist, label):
            index[key] = len(names)
            names.append(key)
            kinds.append(kind)
            dists.append(dist)
            labels[key] = label

        for q in decision.quantities:
            add(q.name, q.kind, decision.distribution_of(q.name, q.kind), q.description or q.name)

        def ref(value, kind, inline_name, label):
            if isinstance(value, str):
                return index[value]
            if inline_name not in index:
                add(inline_name, kind, decision.distribution_of(value, kind), label)
            return index[inline_name]

        factor_idx = {
            f.name: ref(f.odds_ratio, "odds_ratio", factor_input_name(f.name), f"the odds ratio for '{f.name}'")
            for f in decision.factors
        }
        options = [o.name for o in decision.options]
        outcomes: list[str] = []
        for o in decision.options:
            for out in o.outcomes:
                if out.name not in outcomes:
                    outcomes.append(out.name)
        shape = (len(options), len(outcomes))
        applies = np.zeros(shape, bool)
        is_harm = np.zeros(shape, bool)
        chance_idx = np.full(shape, -1)
        magnitude_idx = np.full(shape, -1)
        factor_pairs = []
        for i, o in enumerate(decision.options):
            for out in o.outcomes:
                k = outcomes.index(out.name)
                applies[i, k] = True
                is_harm[i, k] = out.kind == "harm"
                chance_idx[i, k] = ref(out.chance, "probability", inline_input_name(o.name, out.name, "chance"),
                                       chance_label(out.name, o.name))
                magnitude_idx[i, k] = ref(out.magnitude, "magnitude", inline_input_name(o.name, out.name, "magnitude"),
                                          magnitude_label(out.name, o.name, out.kind))
                factor_pairs += [(factor_idx[f], i * len(outcomes) + k) for f in out.factors]
        factor_matrix = np.zeros((len(names), applies.size))
        for q, slot in factor_pairs:
            factor_matrix[q, slot] += 1.0
        has_factors = factor_matrix.sum(axis=0).reshape(shape) > 0
        return cls(decision, names, kinds, dists, options, outcomes, applies, is_harm, chance_idx,
                   magnitude_idx, factor_matrix, has_factors, labels)

    # --- drawing and evaluating -------------------------------------------------------------------

    def draw(self, n: int, seed: int, overrides: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Epistemic draws of every quantity: an array [draw, quantity].

        Stored quantity-major (each quantity's draws contiguous) and returned as a transposed view,
        which keeps drawing and the gathers in :meth:`evaluate` at memory speed.
        """
        overrides = dict(overrides or {})
        unknown = set(overrides) - set(self.quantities)
        if unknown:
            raise DecideError(f"overrides name unknown quantities {sorted(unknown)}; known: {self.quantities}")
        out = np.empty((len(self.quantities), n))
        for j, (name, dist) in enumerate(zip(self.quantities, self.distributions)):
            rng = _rng(seed, "quantity:" + name)
            given = np.asarray(overrides[name], dtype=float).ravel() if name in overrides else None
            if given is not None and given.size == n:
                out[j] = given
                continue
            # In chunks: small temporaries are reused instead of faulting in fresh pages each time.
            for start in range(0, n, CHUNK):
                size = min(CHUNK, n - start)
                if given is None:
                    out[j, start : start + size] = judge.draw(dist, size, rng)
                else:
                    out[j, start : start + size] = rng.choice(given, size=size, replace=True)
        return out.T

    def _evaluate_first(self, qt: np.ndarray):
        """Like :meth:`evaluate` with the quantity axis first: qt [quantity, ...] -> [option, outcome, ...]."""
        ci = np.where(self.applies, self.chance_idx, 0)
        mi = np.where(self.applies, self.magnitude_idx, 0)
        chance = qt[ci]
        magnitude = qt[mi]
        if self.has_factors.any():
            flat = chance.reshape((-1,) + chance.shape[2:])
            flat[np.flatnonzero(self.has_factors.ravel())] = self._shifted_chances(qt)
        if not self.applies.all():
            chance[~self.applies] = 0.0
            magnitude[~self.applies] = 0.0
        return chance, magnitude

    def _shifted_chances(self, qt: np.ndarray) -> np.ndarray:
        """The chances that factors move, qt [quantity, ...] -> [slot with factors, ...], on the log-odds scale."""
        used = np.flatnonzero(self.factor_matrix.any(axis=1))
        slots = np.flatnonzero(self.has_factors.ravel())
        shift = np.tensordot(self.factor_matrix[np.ix_(used, slots)].T, np.log(qt[used]), axes=1)
        base = qt[np.where(self.applies, self.chance_idx, 0).ravel()[slots]]
        with np.errstate(divide="ignore"):
            return expit(logit(base) + shift)

    def evaluate(self, q: np.ndarray):
        """Chances and magnitudes [..., option, outcome] for quantity values q [..., quantity].

        A factor shifts a chance on the log-odds scale: logit(p) = logit(base) + sum log(odds ratio).
        """
        q = np.asarray(q, dtype=float)
        chance, magnitude = self._evaluate_first(np.moveaxis(q, -1, 0))
        return np.moveaxis(chance, (0, 1), (-2, -1)), np.moveaxis(magnitude, (0, 1), (-2, -1))

    def _parts_first(self, chance, magnitude):
        weighted = chance * magnitude
        benefit = np.einsum("ok...,ok->o...", weighted, (~self.is_harm & self.applies).astype(float))
        harm = np.einsum("ok...,ok->o...", weighted, self.is_harm.astype(float))
        return benefit, harm

    def expected_parts(self, q: np.ndarray):
        """Expected benefit and expected harm per option [..., option], given quantity values (points)."""
        q = np.asarray(q, dtype=float)
        benefit, harm = self._parts_first(*self._evaluate_first(np.moveaxis(q, -1, 0)))
        return np.moveaxis(benefit, 0, -1), np.moveaxis(harm, 0, -1)

    def expected_value(self, q: np.ndarray, harm_weight: float | None = None) -> np.ndarray:
        """Expected net value per option: benefit - harm_weight * harm, given quantity values."""
        w = self.decision.values.harm_weight if harm_weight is None else harm_weight
        benefit, harm = self.expected_parts(q)
        return benefit - w * harm


def _chunks(n: int) -> list[slice]:
    return [slice(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]


class _SlotRows(BackendArray):
    """A chance or magnitude variable [draw, option, outcome], built from the draws when first read.

    The summary does not read them, and built they take a row of draws for every (option,
    outcome) slot, NaN where an option lacks the outcome: for a case with shared quantities,
    more memory than the draws themselves.
    """

    def __init__(self, model: Model, qt: np.ndarray, what: str):
        self.model, self.qt, self.what = model, qt, what
        self.shape = (qt.shape[1],) + model.applies.shape
        self.dtype = np.dtype(float)
        self._rows = None

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.BASIC, self._get)

    def _get(self, key):
        if self._rows is None:
            self._rows = self._build().transpose(2, 0, 1)
        return self._rows[key]

    def _build(self) -> np.ndarray:
        m, qt = self.model, self.qt
        idx = (m.chance_idx if self.what == "chance" else m.magnitude_idx).ravel()
        applies = m.applies.ravel()
        rows = np.empty((applies.size, qt.shape[1]))
        for s, j in enumerate(idx):
            rows[s] = qt[j] if applies[s] else np.nan
        if self.what == "chance" and m.has_factors.any():
            shifted = np.flatnonzero(m.has_factors.ravel())
            for sl in _chunks(qt.shape[1]):
                rows[shifted, sl] = m._shifted_chances(qt[:, sl])
        return rows.reshape(m.applies.shape + (qt.shape[1],))


@dataclass
class Simulation:
    """The result of :func:`simulate`: an xarray Dataset plus the compiled model behind it.

    The dataset's ``chance`` and ``magnitude`` [draw, option, outcome] are built from the drawn
    quantities the first time they are read (its printout shows ``...`` until then); the
    values, summary and information need only the quantities and the values per option.
    """

    dataset: xr.Dataset
    model: Model
    seed: int

    @property
    def decision(self) -> Decision:
        return self.model.decision

    @property
    def options(self) -> list[str]:
        return self.model.options

    def quantity_draws(self) -> np.ndarray:
        return self.dataset["quantity_value"].values

    def pairs(self) -> list[tuple[str, str]]:
        """The (option, outcome) pairs the case has, in the order of the options and their outcomes."""
        m = self.model
        return [(o, k) for i, o in enumerate(m.options) for j, k in enumerate(m.outcomes) if m.applies[i, j]]

    def to_datatree(self) -> xr.DataTree:
        """ArviZ-ready: ``az.summary``, ``az.plot_forest`` and ``az.plot_dist`` read it as it is.

        Groups (each with chain and draw dimensions): ``posterior`` holds only numbers, with chance
        and magnitude along ``pair``, one entry per option-outcome pair the case has (labelled
        "phased return: re-abuse or neglect"), so no row stands for a pair that does not exist;
        ``posterior_predictive`` holds one child's outcomes (happens, 1 or 0) and value;
        ``constant_data`` holds each pair's option, outcome and kind (harm or benefit).
        """
        ds, m = self.dataset, self.model
        pairs = self.pairs()
        rows, cols = np.nonzero(m.applies)  # row-major: the same order as pairs()
        pair = [f"{o}: {k}" for o, k in pairs]

        def by_pair(name, dtype=float):
            return xr.DataArray(ds[name].values[:, rows, cols].astype(dtype), dims=("draw", "pair"),
                                coords={"draw": ds["draw"].values, "pair": pair})

        posterior = xr.Dataset(
            {"quantity_value": ds["quantity_value"], "chance": by_pair("chance"), "magnitude": by_pair("magnitude"),
             **{v: ds[v] for v in ("expected_benefit", "expected_harm", "expected_value")}},
            attrs=ds.attrs,
        )
        predictive = xr.Dataset({"happens": by_pair("happens", np.int8), "child_value": ds["child_value"]})
        constant = xr.Dataset(
            {"option": ("pair", [o for o, _ in pairs]), "outcome": ("pair", [k for _, k in pairs]),
             "kind": ("pair", ["harm" if m.is_harm[i, j] else "benefit" for i, j in zip(rows, cols)])},
            coords={"pair": pair},
        )
        return xr.DataTree.from_dict({
            "posterior": posterior.expand_dims(chain=[0]),
            "posterior_predictive": predictive.expand_dims(chain=[0]),
            "constant_data": constant,
        })

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per draw, option and outcome (chance, magnitude, whether it happened)."""
        ds = self.dataset[["chance", "magnitude", "happens"]]
        df = ds.to_dataframe().reset_index()
        applies = pd.DataFrame(self.model.applies, index=self.options, columns=self.model.outcomes)
        keep = applies.stack().rename("applies").reset_index().rename(columns={"level_0": "option", "level_1": "outcome"})
        df = df.merge(keep, on=["option", "outcome"])
        df = df[df["applies"]].drop(columns="applies")
        kinds = {(o.name, out.name): out.kind for o in self.decision.options for out in o.outcomes}
        df.insert(3, "kind", [kinds[(a, b)] for a, b in zip(df["option"], df["outcome"])])
        return df.reset_index(drop=True)

    def values_table(self) -> pd.DataFrame:
        """Tidy table: one row per draw and option (expected benefit, harm, net value; one child's value)."""
        cols = ["expected_benefit", "expected_harm", "expected_value", "child_value"]
        return self.dataset[cols].to_dataframe().reset_index()


def simulate(
    decision: Decision,
    draws: int = 4000,
    *,
    seed: int,
    overrides: dict[str, np.ndarray] | None = None,
) -> Simulation:
    """Draw every uncertain quantity ``draws`` times and, for each draw, one child's outcomes.

    ``overrides`` replaces a quantity's judged distribution with given draws (for example the
    posterior from :mod:`decide.evidence`), resampled to ``draws`` if the lengths differ.
    """
    if not isinstance(draws, int | np.integer) or draws < 2:
        raise DecideError(f"draws must be a whole number of at least 2, got {draws!r}")
    model = Model.from_decision(decision)
    draws = int(draws)
    q = model.draw(draws, seed, overrides)  # [draw, quantity], a view of [quantity, draw]
    qt = q.T
    n_options, n_outcomes = shape = model.applies.shape
    applies = model.applies.ravel()
    chance_idx, magnitude_idx = model.chance_idx.ravel(), model.magnitude_idx.ravel()
    shifted = {s: i for i, s in enumerate(np.flatnonzero(model.has_factors.ravel()))}
    happens = np.zeros((applies.size, draws), dtype=bool)
    benefit, harm, value, child = (np.empty((n_options, draws)) for _ in range(4))
    # Risk: one child per draw; the same uniform for an outcome under every option (same child).
    child_rngs = [_rng(seed, "child:" + k) for k in model.outcomes]
    w = decision.values.harm_weight
    coef = (np.where(model.is_harm, -w, 1.0) * model.applies).ravel()
    harmful = model.is_harm.ravel()
    for sl in _chunks(draws):
        # zeroed chunk by chunk: a fresh page is first written, not read (reading first faults twice)
        benefit[:, sl] = harm[:, sl] = child[:, sl] = 0.0
        u = [r.random(sl.stop - sl.start) for r in child_rngs]
        moved = model._shifted_chances(qt[:, sl]) if shifted else None
        # Slot by slot, in the order of the outcomes, so each sum adds its terms in the same order
        # whatever the chunk; each step works on one chunk of one row, which stays in cache.
        for s in np.flatnonzero(applies):
            o, k = divmod(s, n_outcomes)
            c = moved[shifted[s]] if s in shifted else qt[chance_idx[s], sl]
            m, h = qt[magnitude_idx[s], sl], happens[s, sl]
            (harm if harmful[s] else benefit)[o, sl] += c * m
            np.less(u[k], c, out=h)
            one_child = m * h
            one_child *= coef[s]
            child[o, sl] += one_child
        value[:, sl] = benefit[:, sl] - w * harm[:, sl]  # while the chunk is in cache
    happens = happens.reshape(shape + (draws,))
    coords = {
        "draw": np.arange(draws),
        "option": model.options,
        "outcome": model.outcomes,
        "quantity": model.quantities,
    }
    by_draw = (2, 0, 1)  # views with draw first, as ArviZ expects; no copies
    ds = xr.Dataset(
        {
            "quantity_value": (("draw", "quantity"), q),
            "chance": (("draw", "option", "outcome"), indexing.LazilyIndexedArray(_SlotRows(model, qt, "chance"))),
            "magnitude": (("draw", "option", "outcome"), indexing.LazilyIndexedArray(_SlotRows(model, qt, "magnitude"))),
            "happens": (("draw", "option", "outcome"), happens.transpose(by_draw)),
            "expected_benefit": (("draw", "option"), benefit.T),
            "expected_harm": (("draw", "option"), harm.T),
            "expected_value": (("draw", "option"), value.T),
            "child_value": (("draw", "option"), child.T),
        },
        coords=coords,
        attrs={"question": decision.question, "seed": seed, "harm_weight": w, "value_scale": decision.values.scale},
    )
    ds["kind"] = (("option", "outcome"), np.where(model.is_harm, "harm", np.where(model.applies, "benefit", "")))
    return Simulation(ds, model, seed)
