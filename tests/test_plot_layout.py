"""Every figure decide.plots draws can be read: no two pieces of text on top of each other, no key
(legend) over the data, no note sitting on the line it labels (issue 11).

Each public function of every decide.plots module is drawn on the example cases and on the
tables the library makes for them (compare, information, robustness, audit, world, evidence,
indicators, uncertainty, outcome bias, review), with the Agg renderer, and the drawn boxes
are compared in display space. ``DECIDE_FIGURES_DIR=build/figures`` also saves every figure drawn
there as a PNG, to look at. A new plot function that is not drawn here fails
``test_every_plot_function_is_covered``, so none can escape.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import pkgutil
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import Collection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import decide
import decide.plots

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "data" / "cases").glob("*.yaml"))
SEED = 1
DRAWS = 3000  # layout does not depend on the sampling error; the text does not change with more draws

#: Public functions of decide.plots that draw nothing themselves (with why).
NOT_FIGURES = {
    "decide.plots.decision.judged_distributions": "returns the fitted distributions that plot_judgements draws",
    "decide.plots.interactive.with_sliders": "wraps another plot function; its figure is that function's",
}
#: How much two boxes may touch (pixels at 100 dpi) before it counts as an overlap: antialiasing and
#: the font's own bearing leave a pixel or two of box around every glyph.
SLACK = 1.5


# --- what is on a figure -----------------------------------------------------------------------------------


def _shown(artist) -> bool:
    return artist.get_visible() and (not isinstance(artist, Text) or artist.get_text().strip() != "")


def text_boxes(fig: Figure, renderer) -> list[tuple[str, Bbox, object]]:
    """Every piece of text a reader sees, as (what it is, drawn box, the axes it belongs to).

    A legend counts as one box (its entries are laid out by matplotlib and cannot collide).
    """
    out = []
    for t in fig.texts:
        if _shown(t) and t is not fig._suptitle:
            out.append((f"figure text {t.get_text()!r}", t.get_window_extent(renderer), None))
    if fig._suptitle is not None and _shown(fig._suptitle):
        out.append((f"suptitle {fig._suptitle.get_text()!r}", fig._suptitle.get_window_extent(renderer), None))
    for leg in fig.legends:
        if leg.get_visible():
            out.append(("figure legend", leg.get_window_extent(renderer), None))
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        name = ax.get_title(loc="left") or ax.get_title() or ax.get_label() or "axes"
        where = f"[{name[:40]!r}]"
        for t in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text()):
            if _shown(t):
                out.append((f"{where} {t.get_text()[:50]!r}", t.get_window_extent(renderer), ax))
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(getattr(ax, f"get_{axis.axis_name}lim")())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for t in (tick.label1, tick.label2):
                    # ticks outside the view are not drawn (matplotlib keeps them as spares)
                    if _shown(t) and tick.get_visible() and lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                        out.append((f"{where} tick {t.get_text()!r}", t.get_window_extent(renderer), ax))
        for t in ax.texts:
            if _shown(t):
                out.append((f"{where} note {t.get_text()[:50]!r}", t.get_window_extent(renderer), ax))
        if ax.get_legend() is not None and ax.get_legend().get_visible():
            out.append((f"{where} legend", ax.get_legend().get_window_extent(renderer), ax))
    return out


def _overlap(a: Bbox, b: Bbox, slack: float = SLACK) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > slack) and (min(a.y1, b.y1) - max(a.y0, b.y0) > slack)


def _shrunk(box: Bbox, by: float) -> Bbox:
    return Bbox.from_extents(box.x0 + by, box.y0 + by, box.x1 - by, box.y1 - by)


def _clip(box: Bbox, to: Bbox) -> Bbox | None:
    x0, y0, x1, y1 = max(box.x0, to.x0), max(box.y0, to.y0), min(box.x1, to.x1), min(box.y1, to.y1)
    return Bbox.from_extents(x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _data_artists(ax: Axes):
    """What is plotted in an axes: lines, bars and other patches, filled areas, points."""
    legend_artists = set()
    if ax.get_legend() is not None:
        legend_artists = set(ax.get_legend().get_children())
    for a in itertools.chain(ax.lines, ax.patches, ax.collections):
        if a.get_visible() and a not in legend_artists:
            yield a


def _near(pts: np.ndarray, box: Bbox, r) -> np.ndarray:
    """Which points (display space) are drawn, with radius r, inside the box."""
    return (pts[:, 0] > box.x0 - r) & (pts[:, 0] < box.x1 + r) & (pts[:, 1] > box.y0 - r) & (pts[:, 1] < box.y1 + r)


def _path_hits(path: MplPath, box: Bbox, filled: bool) -> bool:
    """Whether a display-space path has ink inside the box: a point of one of its segments (sampled
    every pixel; matplotlib's own intersects_bbox missed a histogram outline crossing a key), or,
    when filled, the box's corners or middle inside it."""
    for poly in path.to_polygons(closed_only=False):
        poly = poly[np.isfinite(poly).all(axis=1)]
        if len(poly) == 0:
            continue
        if _near(poly, box, 0).any():
            return True
        a, b = poly[:-1], poly[1:]
        steps = np.maximum(np.ceil(np.abs(b - a).max(axis=1)), 1).astype(int)
        for (x0, y0), (x1, y1), k in zip(a, b, steps):
            t = np.linspace(0, 1, min(k, 4000) + 1)[:, None]
            if _near(np.array([x0, y0]) + t * np.array([x1 - x0, y1 - y0]), box, 0).any():
                return True
        if filled and len(poly) > 2:
            probe = np.array([[box.x0, box.y0], [box.x0, box.y1], [box.x1, box.y0], [box.x1, box.y1],
                              [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]])
            if MplPath(poly).contains_points(probe).any():
                return True
    return False


def _hits(artist, box: Bbox) -> bool:
    """Whether a plotted artist has ink inside the display box."""
    if isinstance(artist, Line2D):
        path = artist.get_transform().transform_path(artist.get_path())
        if len(path.vertices) == 0:
            return False
        pts = path.vertices[np.isfinite(path.vertices).all(axis=1)]
        if artist.get_marker() not in (None, "None", "none", "", " ") and len(pts):
            r = artist.get_markersize() / 2 * artist.figure.dpi / 72
            if _near(pts, box, r).any():
                return True
        if artist.get_linestyle() in ("None", "none", "", " ") or len(pts) < 2:
            return False
        return _path_hits(MplPath(pts), box, filled=False)
    if isinstance(artist, Patch):
        if not artist.get_fill() and artist.get_linewidth() == 0:
            return False
        path = artist.get_transform().transform_path(artist.get_path())
        return _path_hits(path, box, filled=artist.get_fill())
    if isinstance(artist, PathCollection) and len(artist.get_offsets()):
        pts = artist.get_offset_transform().transform(artist.get_offsets())
        sizes = np.sqrt(np.broadcast_to(artist.get_sizes(), (len(pts),)) if len(artist.get_sizes()) else np.full(len(pts), 36.0))
        return bool(_near(pts, box, sizes / 2 * artist.figure.dpi / 72).any())
    if isinstance(artist, Collection):
        transform = artist.get_transform()
        filled = len(artist.get_facecolors()) > 0 and np.any(np.asarray(artist.get_facecolors())[:, 3] > 0)
        offsets = artist.get_offsets() if len(artist.get_offsets()) and not np.all(artist.get_offsets() == 0) else None
        for p in artist.get_paths():
            if offsets is not None:
                continue
            path = transform.transform_path(p)
            if len(path.vertices) and _path_hits(path, box, filled):
                return True
    return False


def _look(handle):
    """How a legend entry's symbol looks (None when it cannot be told)."""
    from matplotlib.colors import to_hex

    try:
        if isinstance(handle, Line2D):
            offset, dashes = getattr(handle, "_dash_pattern", (0, None))
            return ("line", to_hex(handle.get_color()), str(handle.get_linestyle()), str(handle.get_marker()),
                    round(float(handle.get_linewidth()), 1), tuple(np.round(dashes, 1)) if dashes is not None else None)
        if isinstance(handle, Patch):
            return ("patch", to_hex(handle.get_facecolor(), keep_alpha=True), to_hex(handle.get_edgecolor()))
    except (ValueError, TypeError):
        return None
    return None


def legends(fig: Figure):
    for leg in fig.legends:
        if leg.get_visible():
            yield "figure legend", leg
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            yield f"legend of [{(ax.get_title(loc='left') or ax.get_title())[:40]!r}]", leg


def layout_problems(fig: Figure) -> list[str]:
    """Everything wrong with the figure's layout, in words (empty when it reads cleanly)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    boxes = text_boxes(fig, renderer)
    for (na, a, _), (nb, b, _) in itertools.combinations(boxes, 2):
        if _overlap(a, b):
            problems.append(f"{na} overlaps {nb}")
    for name, leg in legends(fig):
        lbox = _shrunk(leg.get_window_extent(renderer), 2.0)
        for ax in fig.axes:
            if not ax.get_visible() or not hasattr(ax, "lines"):
                continue
            inside = _clip(lbox, ax.bbox)  # data is clipped to its axes: a key outside them is fine
            if inside is None:
                continue
            for artist in _data_artists(ax):
                if _hits(artist, inside):
                    problems.append(f"{name} covers plotted data ({type(artist).__name__} "
                                    f"{artist.get_label() if not artist.get_label().startswith('_') else ''!r})")
                    break
    for name, leg in legends(fig):
        seen = {}
        for handle, text in zip(leg.legend_handles, leg.get_texts()):
            look = _look(handle)
            if look is not None and seen.setdefault(look, text.get_text()) != text.get_text():
                problems.append(f"{name}: '{seen[look]}' and '{text.get_text()}' look the same in the key")
    # a note written beside a line must not sit on it (the threshold notes did)
    for ax in fig.axes:
        lines = [ln for ln in ax.lines if ln.get_visible() and ln.get_linestyle() not in ("None", "none", "", " ")]
        # and drawn contour lines (the switching lines of the two-way map), which are not filled
        lines += [c for c in ax.collections if c.get_visible() and not isinstance(c, PathCollection)
                  and (len(c.get_facecolors()) == 0 or not np.any(np.asarray(c.get_facecolors())[:, 3] > 0))]
        for t in ax.texts:
            if not _shown(t):
                continue
            box = _shrunk(t.get_window_extent(renderer), 1.0)
            for ln in lines:
                if _hits(ln, box):
                    problems.append(f"note {t.get_text()[:50]!r} sits on a line ({ln.get_label()!r})")
                    break
    return problems


# --- every plot function, drawn on the example cases ---------------------------------------------------------


def public_plot_functions() -> set[str]:
    names = set()
    for info in pkgutil.iter_modules(decide.plots.__path__):
        module = importlib.import_module(f"decide.plots.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and obj.__module__ == module.__name__:
                names.add(f"{module.__name__}.{name}")
    return names


def _case_tables(path: Path) -> dict:
    from decide import information, robustness
    from decide.compare import harm_weight_switches

    case = decide.load_case(path)
    sim = decide.simulate(case, DRAWS, seed=SEED)
    summary = decide.summary(sim)
    low, high = case.values.harm_weight_range
    quantities = list(sim.model.quantities)
    probabilities = [q for q, k in zip(quantities, sim.model.kinds) if k == "probability"]
    ranking = information.evppi_table(sim, seed=SEED)
    firsts = list(ranking.loc[~ranking["group"], "name"].iloc[:2])
    return {
        "case": case, "sim": sim, "summary": summary, "outcomes": decide.outcome_table(sim),
        "values": sim.values_table(), "acceptability": decide.acceptability(sim),
        "tornado": decide.tornado(sim), "switches": harm_weight_switches(summary, low, high),
        "thresholds": [decide.threshold(sim, q) for q in probabilities[:3]],
        "ranking": ranking, "margins": robustness.robustness_margins(sim),
        "two_way": robustness.two_way(sim, firsts[0], firsts[1], n=21),
        "enquiries": (information.enquiries_table(sim, case.enquiries, case.delay_harm_per_week, seed=SEED)
                      if case.enquiries else None),
    }


@pytest.fixture(scope="module")
def cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {p.stem: _case_tables(p) for p in CASES}


@pytest.fixture(scope="module")
def audit_result():
    from decide import audit as A

    df = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = A.audit(df, score="risk_score", outcome="re_referred", group=["deprivation", "area"],
                         reference="less deprived / North", threshold=0.3, draws=500, seed=SEED)
    return result, result.label_bias()


@pytest.fixture(scope="module")
def world_runs():
    from decide import world

    params = world.WorldParameters(families=20_000)
    snap = world.snapshot(params, seed=SEED)
    settings = world.FeedbackSettings(generations=4)
    metrics = ("true rate", "recorded rate", "mean score", "flag share")
    plain = world.feedback_loop(params, settings, seed=SEED)
    corrected = world.feedback_loop(params, settings.but(correction=True), seed=SEED)
    return {
        "snap": snap, "audits": world.audit_twice(snap.counts, seed=SEED),
        "runs": {"recalibrated on its own records": plain.disparities(metrics=metrics, seed=SEED),
                 "with the inverse-scrutiny correction": corrected.disparities(metrics=metrics, seed=SEED)},
        "urns": {"equal rates (A 0.2, B 0.2)": world.polya_urn((0.2, 0.2), seed=SEED, replicates=60, steps=1000),
                 "unequal rates (A 0.3, B 0.2)": world.polya_urn((0.3, 0.2), seed=SEED, replicates=60, steps=1000),
                 "unequal, with the correction": world.polya_urn((0.3, 0.2), seed=SEED, correction=True,
                                                                 replicates=60, steps=1000)},
    }


@pytest.fixture(scope="module")
def evidence_fit():
    from decide import evidence

    table = evidence.read_evidence(ROOT / "data" / "evidence" / "return_home.csv")
    farmer = evidence.select(table, "reabuse_after_return")
    case = decide.load_case(ROOT / "data" / "cases" / "return_home.yaml")
    prior = evidence.prior_for(case, "reabuse_after_return")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = evidence.update(farmer, prior, seed=SEED, draws=300, tune=300, chains=2)
        sens = evidence.prior_sensitivity(farmer, {"the judgement": prior, "vague": evidence.vague_prior()},
                                          seed=SEED, draws=300, tune=300, chains=2)
        several = evidence.select(table, "return_breaks_down", horizon_tolerance=5.0)
        pooled = (evidence.update(several, evidence.vague_prior(), seed=SEED, draws=300, tune=300, chains=2)
                  if len(several) > 1 else None)
    return fit, sens, pooled


@pytest.fixture(scope="module")
def agencies():
    """The synthetic agencies' funnels, and a league table from per-agency draws (normal about each
    agency's adjusted mean, as a fitted model would give) so no sampler runs here."""
    import decide.indicators as ind

    children = ind.read_agencies(ROOT / "data" / "synthetic" / "agencies.csv")
    points, info = ind.timeliness_funnel(children, adjust=True)
    raw = ind.raw_league_table(children)
    n_grid = np.arange(5, children.groupby("agency").size().max() + 20)
    limits = ind.funnel_limits_mean(n_grid, info["target"], info["sd"])
    b_points, b_target = ind.breakdown_funnel(children)
    b_limits = ind.funnel_limits_proportion(n_grid, b_target)
    rng = np.random.default_rng(SEED)
    p = points.set_index("agency")
    scores = 400 * np.exp(p["mean_log_ratio"].to_numpy() + rng.normal(0, 1, (2000, len(p))) * info["sd"]
                          / np.sqrt(p["children"].to_numpy()))
    fit = ind.AgencyFit("timeliness", list(p.index), None, scores, "standardised days", None)
    return {"children": children, "points": points, "info": info, "limits": limits, "raw": raw,
            "b_points": b_points, "b_target": b_target, "b_limits": b_limits, "fit": fit}


def _figure(result) -> Figure:
    return result if isinstance(result, Figure) else result.figure


def scenarios(cases, audit_result, world_runs, evidence_fit, agencies):
    """{function: [(scenario, draw)]}: every public plot function with the inputs it meets in use."""
    from decide import uncertainty
    from decide.outcome_bias import World, by_base_rate, simulate_outcome_bias
    from decide.plots import audit as PA
    from decide.plots import decision as PD
    from decide.plots import evidence as PE
    from decide.plots import information as PI
    from decide.plots import training as PT
    from decide.plots import world as PW
    from decide.record import load_record
    from decide.review import review

    out: dict[str, list] = {}

    def add(func, label, draw):
        out.setdefault(f"{func.__module__}.{func.__name__}", []).append((label, draw))

    for name, t in cases.items():
        case, summary = t["case"], t["summary"]
        low, high = case.values.harm_weight_range
        add(PD.plot_outcomes, name, lambda t=t: PD.plot_outcomes(t["outcomes"]))
        add(PD.plot_value, name, lambda t=t: PD.plot_value(t["summary"], t["values"]))
        add(PD.plot_value, name + " (averages only)", lambda t=t: PD.plot_value(t["summary"]))
        add(PD.plot_probability_best, name, lambda t=t: PD.plot_probability_best(t["summary"]))
        add(PD.plot_acceptability, name, lambda t=t, c=case: PD.plot_acceptability(t["acceptability"], c.values.harm_weight))
        add(PD.plot_value_by_harm_weight, name, lambda t=t, c=case, lo=low, hi=high: PD.plot_value_by_harm_weight(
            t["summary"], (lo, hi), harm_weight=c.values.harm_weight, switches=t["switches"]))
        add(PD.plot_value_by_harm_weight, name + " (wide)", lambda t=t, c=case: PD.plot_value_by_harm_weight(
            t["summary"], (0.1, 10.0), harm_weight=c.values.harm_weight,
            switches=decide.compare.harm_weight_switches(t["summary"], 0.1, 10.0)))
        add(PD.plot_tornado, name + " (top 10)", lambda t=t: PD.plot_tornado(t["tornado"].head(10)))
        add(PD.plot_tornado, name, lambda t=t: PD.plot_tornado(t["tornado"]))
        for th in t["thresholds"]:
            label = case.quantity(th.quantity).description or th.quantity
            add(PD.plot_threshold, f"{name} {th.quantity}", lambda th=th, label=label: PD.plot_threshold(th, label=label))
            mid = float(np.mean(th.curve.index))
            add(PD.plot_threshold, f"{name} {th.quantity} (marked)", lambda th=th, label=label, mid=mid: PD.plot_threshold(
                th, label=label, marks={"a published figure from a study of 180 children": mid}))
        add(PD.plot_risk_and_uncertainty, name, lambda t=t: PD.plot_risk_and_uncertainty(t["values"]))
        refs = list(t["sim"].model.quantities)[:3]
        add(PD.plot_judgements, name, lambda c=case, refs=refs: PD.plot_judgements(c, refs))
        add(PI.evppi_bars, name, lambda t=t: PI.evppi_bars(t["ranking"], top=10))
        add(PI.robustness_bars, name, lambda t=t: PI.robustness_bars(t["margins"]))
        add(PI.two_way_map, name, lambda t=t: PI.two_way_map(t["two_way"], labels=t["sim"].model.labels))
        if t["enquiries"] is not None:
            add(PI.enquiry_bars, name, lambda t=t: PI.enquiry_bars(t["enquiries"]))
        add(PT.plot_unlisted_harm, name, lambda t=t, c=case: PT.plot_unlisted_harm(
            uncertainty.unlisted_harm(t["summary"], magnitudes=range(5, 101, 5), harm_weight=c.values.harm_weight)))
    rh = cases["return_home"]
    q0 = rh["thresholds"][0].quantity
    add(PD.plot_threshold, "return_home: a swept input that never switches", lambda: PD.plot_threshold(
        decide.threshold(rh["sim"], q0, grid=np.linspace(0.0, 0.001, 11)), label=rh["case"].quantity(q0).description))
    add(PD.plot_judgements, "return_home, the notebook's three", lambda: PD.plot_judgements(
        rh["case"], ["harm_of_reabuse", "return_lasts", "reabuse_after_return"]))

    # trainers' figures
    for chance, sure in ((0.46, 20), (0.05, 1), (0.95, 1000)):
        add(PT.plot_harmed_counts, f"{chance} as sure as {sure}", lambda c=chance, s=sure: PT.plot_harmed_counts(
            uncertainty.how_many_harmed(100, c, how_sure=s)))
    add(PT.plot_harmed_counts, "known odds only", lambda: PT.plot_harmed_counts(uncertainty.how_many_harmed(100, 0.46)))
    add(PT.plot_two_urns, "100 balls, 10 draws", lambda: PT.plot_two_urns(uncertainty.two_urns(n_balls=100, n_draws=10)))
    for base in (0.46, 0.05, 0.9):
        add(PT.plot_outcome_bias, f"base rate {base}", lambda b=base: PT.plot_outcome_bias(simulate_outcome_bias(
            5000, World(base_rate=b, alternative_rate=0.25, spread=8, share_made_well=0.8), seed=SEED).counts()))
    add(PT.plot_outcome_bias_by_base_rate, "ten base rates", lambda: PT.plot_outcome_bias_by_base_rate(by_base_rate(
        [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], 2000, seed=SEED, alternative_rate=0.25, spread=8,
        share_made_well=0.8)))
    record = next((ROOT / "data" / "records").glob("*.json"))
    rv = review(load_record(record), ["re-abuse or neglect"])
    add(PT.plot_outcome_chances, "the example record", lambda: PT.plot_outcome_chances(rv.chances))
    add(PT.plot_outcome_chances, "the example record, hindsight", lambda: PT.plot_outcome_chances(rv.chances, hindsight=True))
    add(PT.plot_choice, "the example record", lambda: PT.plot_choice(rv.summary, rv.option))

    # the synthetic world
    from decide import world

    snap = world_runs["snap"]
    add(PW.records_vs_truth_by_decile, "snapshot", lambda: PW.records_vs_truth_by_decile(world.rates_by(snap.counts, "decile")))
    add(PW.who_is_flagged, "deprivation bands", lambda: PW.who_is_flagged(world.rates_by(snap.counts, "deprivation_band")))
    add(PW.who_is_flagged, "ethnic group", lambda: PW.who_is_flagged(world.rates_by(snap.counts, "ethnic_group")))
    add(PW.records_vs_truth, "snapshot", lambda: PW.records_vs_truth(world_runs["audits"],
                                                                     metrics=("base_rate", "selection_rate", "tpr", "ppv")))
    add(PW.records_vs_truth, "default metrics", lambda: PW.records_vs_truth(world_runs["audits"]))
    add(PW.disparities_over_generations, "two runs", lambda: PW.disparities_over_generations(
        world_runs["runs"], metrics=("recorded rate", "mean score", "flag share")))
    first = next(iter(world_runs["runs"]))
    add(PW.disparities_over_generations, "one run", lambda: PW.disparities_over_generations(
        {first: world_runs["runs"][first]}, metrics=("recorded rate", "mean score", "flag share")))
    add(PW.urn, "three urns", lambda: PW.urn(world_runs["urns"]))
    add(PW.urn, "one urn", lambda: PW.urn({"A 0.3, B 0.20": world_runs["urns"]["unequal rates (A 0.3, B 0.2)"]}))

    # a risk-tool audit (decide/plots/audit.py)
    result, lb = audit_result
    ref = result.reference
    add(PA.forest, "synthetic referrals", lambda: PA.forest(result.disparities, reference=ref))
    add(PA.forest, "synthetic referrals, differences", lambda: PA.forest(result.disparities, reference=ref, scale="difference"))
    add(PA.rates_by_group, "synthetic referrals", lambda: PA.rates_by_group(result.rates, reference=ref))
    add(PA.calibration, "synthetic referrals", lambda: PA.calibration(result.calibration, probability=True))
    add(PA.impossibility, "synthetic referrals", lambda: PA.impossibility(result.impossibility, reference=ref))
    add(PA.label_bias, "synthetic referrals", lambda: PA.label_bias(lb.disparities, reference=ref))

    # evidence and indicators
    fit, sens, pooled = evidence_fit
    described = decide.load_case(ROOT / "data" / "cases" / "return_home.yaml").quantity(fit.quantity).description
    add(PE.prior_posterior, "Farmer et al. with the judgement", lambda: PE.prior_posterior(fit, label=described))
    if pooled is not None:
        add(PE.prior_posterior, "several studies, pooled", lambda: PE.prior_posterior(pooled))
    add(PE.prior_sensitivity, "judgement and vague", lambda: PE.prior_sensitivity(sens.table))
    a = agencies
    add(PE.funnel, "timeliness, adjusted", lambda: PE.funnel(a["points"], a["limits"], a["info"]["target"],
                                                             value="mean_log_ratio", ylabel="log(days / expected days)",
                                                             title="Adjusted for complexity"))
    add(PE.funnel, "breakdown", lambda: PE.funnel(a["b_points"], a["b_limits"], a["b_target"], value="rate",
                                                  ylabel="share of placements that broke down",
                                                  title="Breakdown by agency size: raw rates against chance alone"))
    import decide.indicators as ind

    add(PE.league_table, "timeliness with raw rank", lambda: PE.league_table(
        a["fit"].table(), a["raw"]["raw_rank"], threshold=ind.A1_THRESHOLD_DAYS,
        threshold_label="A1 threshold, 14 months (DfE scorecard)", xlabel="standardised days to placement (90 % intervals)",
        title="Complexity-adjusted league table, raw rank in brackets"))
    add(PE.league_table, "timeliness", lambda: PE.league_table(a["fit"].table()))
    add(PE.rank_probabilities, "timeliness", lambda: PE.rank_probabilities(
        ind.rank_probabilities(a["fit"].scores, a["fit"].agencies), title="Probability of each agency's place"))
    return out


def identifiers_shown(fig: Figure, identifiers) -> list[str]:
    """Quantity identifiers (names the case describes in words) that appear in the figure's text."""
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible()]
    return sorted({i for i in identifiers for t in texts if re.search(rf"(?<![A-Za-z_]){re.escape(i)}(?![A-Za-z_])", t)})


@pytest.fixture(scope="module")
def identifiers(cases) -> set[str]:
    """Every quantity name with an underscore that its case describes in words."""
    return {q for t in cases.values() for q, text in t["sim"].model.labels.items() if "_" in q and text and text != q}


@pytest.fixture(scope="module")
def drawn(cases, audit_result, world_runs, evidence_fit, agencies):
    return scenarios(cases, audit_result, world_runs, evidence_fit, agencies)


def test_every_plot_function_is_covered(drawn):
    missing = public_plot_functions() - set(drawn) - set(NOT_FIGURES)
    assert not missing, f"plot functions not drawn by the layout test: {sorted(missing)}; add a scenario for each"


def _all_scenarios():
    """Parametrise lazily: the ids are known without building the tables."""
    return [pytest.param(name, id=name.removeprefix("decide.plots.")) for name in sorted(public_plot_functions() - set(NOT_FIGURES))]


@pytest.mark.parametrize("function", _all_scenarios())
def test_no_text_overlaps_and_no_key_covers_the_data(drawn, identifiers, function):
    problems = []
    for label, draw in drawn.get(function, []):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig = _figure(draw())
        try:
            problems += [f"{label}: {p}" for p in layout_problems(fig)]
            problems += [f"{label}: shows the identifier {i!r} where the case describes it in words"
                         for i in identifiers_shown(fig, identifiers)]
            if os.environ.get("DECIDE_FIGURES_DIR"):  # to look at every figure: DECIDE_FIGURES_DIR=build/figures
                folder = Path(os.environ["DECIDE_FIGURES_DIR"])
                folder.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{function.removeprefix('decide.plots.')}-{label}")
                fig.savefig(folder / f"{name}.png", dpi=80, bbox_inches="tight")
        finally:
            plt.close(fig)
    assert not problems, f"{function}:\n  " + "\n  ".join(problems)


# --- the checker itself catches what it should ---------------------------------------------------------------


def test_checker_sees_two_overlapping_notes():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.text(0.1, 0.9, "first note", transform=ax.transAxes)
    ax.text(0.12, 0.9, "second note", transform=ax.transAxes)
    ax.set_title("t")
    assert any("overlaps" in p for p in layout_problems(fig))
    plt.close(fig)


def test_checker_sees_a_legend_over_a_line_and_allows_one_outside():
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.full_like(x, 0.95), label="a line along the top")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    assert any("covers plotted data" in p for p in layout_problems(fig))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    assert not [p for p in layout_problems(fig) if "covers" in p]
    plt.close(fig)


def test_checker_sees_a_legend_over_bars_points_and_filled_areas():
    for draw in (lambda ax: ax.bar([0, 1, 2], [1, 1, 1], width=1.0, label="bars"),
                 lambda ax: ax.scatter(np.linspace(0, 2, 40), np.full(40, 0.95), label="points"),
                 lambda ax: ax.fill_between([0, 2], [0, 0], [1, 1], label="area")):
        fig, ax = plt.subplots(figsize=(6, 4))
        draw(ax)
        ax.set_xlim(-0.5, 2.5)
        ax.set_ylim(0, 1.05)
        ax.legend(loc="upper right")
        assert any("covers plotted data" in p for p in layout_problems(fig))
        plt.close(fig)


def test_checker_sees_a_note_on_its_line_and_tick_labels_colliding():
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.axvline(0.5, color="black")
    ax.annotate("switch at 0.5", (0.5, 0.5), ha="center")
    assert any("sits on a line" in p for p in layout_problems(fig))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(10), [f"label number {i}" for i in range(10)])
    assert any("tick" in p and "overlaps" in p for p in layout_problems(fig))
    plt.close(fig)


def test_checker_sees_two_key_entries_that_look_the_same():
    fig, ax = plt.subplots()
    ax.axhline(1, color="green", ls="--", label="no disparity")
    ax.axhline(0.3, color="green", ls="--", label="their share of the maltreated")
    ax.set_ylim(0, 3)
    ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
    assert any("look the same" in p for p in layout_problems(fig))
    plt.close(fig)


def test_checker_sees_a_histogram_outline_through_a_key():
    """The case that matplotlib's Path.intersects_bbox missed: a step outline crossing a frameless key."""
    fig, ax = plt.subplots(figsize=(9, 2))
    x = np.random.default_rng(0).normal(0, 1, 5000)
    ax.hist(x, bins=40, histtype="step", color="black", label="the average outcome, as far as we know it")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.set_xlim(-1.5, 4)
    assert any("covers plotted data" in p for p in layout_problems(fig))
    plt.close(fig)
