"""The decision plots draw exactly the tables they are given, label everything, and never recompute."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import decide
import decide.compare
from decide.compare import Threshold
from decide.errors import DecideError
from decide.plots import decision as P

# `decide.simulate` is the function (exported by the package); the module is here.
simulate_module = sys.modules["decide.simulate"]

CASE = Path(__file__).resolve().parent.parent / "data" / "cases" / "return_home.yaml"


@pytest.fixture(scope="module")
def case():
    return decide.load_case(CASE)


@pytest.fixture(scope="module")
def sim(case):
    return decide.simulate(case, 600, seed=11)


@pytest.fixture(scope="module")
def tables(sim):
    """Every table the plots take, made once, before any plot is drawn."""
    return {
        "outcomes": decide.outcome_table(sim),
        "summary": decide.summary(sim),
        "values": sim.values_table(),
        "acceptability": decide.acceptability(sim, n=9),
        "tornado": decide.tornado(sim),
        "threshold": decide.threshold(sim, "reabuse_after_return", n=11),
    }


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bars(ax) -> list[Rectangle]:
    """Bars drawn by barh (not legend patches or shaded spans)."""
    return [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]


def _labelled(fig: Figure) -> None:
    title = fig.get_suptitle() or " ".join(ax.get_title(loc="left") + ax.get_title() for ax in fig.axes)
    assert title.strip(), "figure has no title"
    assert any(ax.get_xlabel().strip() for ax in fig.axes), "no x-axis label"
    assert any(ax.get_ylabel().strip() for ax in fig.axes), "no y-axis label"
    for ax in fig.axes:
        if ax.has_data():
            assert ax.get_xlabel().strip() or ax is not fig.axes[-1], "the bottom panel needs an x label"


# --- each plot: a Figure, titled and labelled, drawing what it was given ---------------------------------


def test_outcomes_draws_one_chance_and_one_contribution_bar_per_row(tables):
    t = tables["outcomes"]
    fig = P.plot_outcomes(t)
    assert isinstance(fig, Figure)
    _labelled(fig)
    options = list(dict.fromkeys(t["option"]))
    axes = np.asarray(fig.axes).reshape(len(options), 2)
    for (ax_chance, ax_contrib), opt in zip(axes, options):
        rows = t[t["option"] == opt].reset_index(drop=True)
        chance_bars, contrib_bars = _bars(ax_chance), _bars(ax_contrib)
        assert len(chance_bars) == len(contrib_bars) == len(rows)
        np.testing.assert_allclose([b.get_width() for b in chance_bars], rows["chance"])
        np.testing.assert_allclose([b.get_width() for b in contrib_bars], rows["contribution"])
        # harms and benefits are coloured apart
        colours = {kind: {b.get_facecolor()[:3] for b, k in zip(chance_bars, rows["kind"]) if k == kind} for kind in ("harm", "benefit")}
        assert all(len(c) <= 1 for c in colours.values())
        if colours["harm"] and colours["benefit"]:
            assert colours["harm"] != colours["benefit"]
        assert ax_chance.get_title(loc="left") == opt


def test_outcomes_from_a_hand_made_table():
    t = pd.DataFrame({
        "option": ["A", "A", "B"], "outcome": ["harm one", "good thing", "harm two"], "kind": ["harm", "benefit", "harm"],
        "chance": [0.2, 0.7, 0.5], "chance_lower": [0.1, 0.6, 0.3], "chance_upper": [0.3, 0.8, 0.7],
        "contribution": [-10.0, 35.0, -20.0], "contribution_lower": [-15.0, 30.0, -30.0], "contribution_upper": [-5.0, 40.0, -10.0],
    })
    fig = P.plot_outcomes(t)
    widths = [b.get_width() for ax in fig.axes[1::2] for b in _bars(ax)]
    assert widths == [-10.0, 35.0, -20.0]


def test_value_plots_the_summary_means_and_intervals(tables):
    s = tables["summary"]
    fig = P.plot_value(s)
    _labelled(fig)
    ax = fig.axes[0]
    means = [line.get_xdata()[0] for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(means, s["expected_value"])
    intervals = [tuple(line.get_xdata()) for line in ax.lines if line.get_linewidth() == 5]
    np.testing.assert_allclose(intervals, s[["lower", "upper"]].to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == list(s.index)


def test_value_with_a_child_adds_the_wider_one_child_range(tables):
    s, v = tables["summary"], tables["values"]
    fig = P.plot_value(s, v, child_interval=0.9)
    ax = fig.axes[0]
    child = [tuple(line.get_xdata()) for line in ax.lines if line.get_linewidth() == 12]
    expected = [tuple(np.quantile(v.loc[v["option"] == o, "child_value"], [0.05, 0.95])) for o in s.index]
    np.testing.assert_allclose(child, expected)
    # risk: one child's range is wider than the interval for the average
    for (lo, hi), (_, row) in zip(child, s.iterrows()):
        assert hi - lo > row["upper"] - row["lower"]


def test_probability_best_bars_equal_the_series(sim, tables):
    pb = decide.probability_best(sim)
    for given_ in (pb, tables["summary"]):
        fig = P.plot_probability_best(given_)
        _labelled(fig)
        bars = _bars(fig.axes[0])
        assert len(bars) == len(pb)
        np.testing.assert_allclose([b.get_width() for b in bars], pb.values)


def test_acceptability_lines_equal_the_table_on_a_log_axis(case, tables):
    a = tables["acceptability"]
    fig = P.plot_acceptability(a, harm_weight=case.values.harm_weight)
    _labelled(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    curves = [line for line in ax.lines if line.get_label() in a.columns]
    assert [c.get_label() for c in curves] == list(a.columns)
    for c in curves:
        np.testing.assert_allclose(c.get_xdata(), a.index)
        np.testing.assert_allclose(c.get_ydata(), a[c.get_label()])
    vertical = [line for line in ax.lines if len(set(line.get_xdata())) == 1]
    assert [line.get_xdata()[0] for line in vertical] == [case.values.harm_weight]


@pytest.mark.parametrize("rows", [1, 4, None])
def test_tornado_has_two_bars_per_row_ending_at_the_leads(tables, rows):
    t = tables["tornado"] if rows is None else tables["tornado"].head(rows)
    fig = P.plot_tornado(t)
    _labelled(fig)
    ax = fig.axes[0]
    bars = _bars(ax)
    assert len(bars) == 2 * len(t)
    base = t.attrs["base_lead"]
    low, high = bars[: len(t)], bars[len(t):]
    np.testing.assert_allclose([b.get_x() for b in bars], base)
    np.testing.assert_allclose([b.get_x() + b.get_width() for b in low], t["lead_at_low"])
    np.testing.assert_allclose([b.get_x() + b.get_width() for b in high], t["lead_at_high"])
    # long quantity names are wrapped onto several lines, and every row is labelled
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert len(labels) == len(t)
    assert all(max(len(line) for line in lab.split("\n")) <= 38 for lab in labels)
    assert t.attrs["preferred"] in ax.get_xlabel() and t.attrs["runner_up"] in ax.get_xlabel()


def test_threshold_draws_the_curves_and_marks_each_switch():
    grid = np.linspace(0, 1, 5)
    curve = pd.DataFrame({"stay": [0.0, 0.0, 0.0, 0.0, 0.0], "go": [2.0, 1.0, 0.0, -1.0, -2.0]},
                         index=pd.Index(grid, name="p"))
    switches = pd.DataFrame([{"value": 0.5, "from_option": "go", "to_option": "stay"}])
    fig = P.plot_threshold(Threshold("p", curve, switches), label="chance of p", marks={"published: 30 %": 0.3})
    _labelled(fig)
    ax = fig.axes[0]
    curves = {line.get_label(): line for line in ax.lines if line.get_label() in curve.columns}
    for opt in curve.columns:
        np.testing.assert_allclose(curves[opt].get_ydata(), curve[opt])
    vertical = sorted(line.get_xdata()[0] for line in ax.lines if len(set(line.get_xdata())) == 1)
    assert vertical == [0.3, 0.5]
    # each switch and mark is named in the key beside its own line (not written on the line)
    named = {line.get_label().replace("\n", " "): line.get_xdata()[0] for line in ax.lines if len(set(line.get_xdata())) == 1}
    assert named == {"switch at 0.5: go → stay": 0.5, "published: 30 %": 0.3}
    keyed = {t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()}
    assert set(named) <= keyed
    assert not ax.texts
    assert "chance of p" in ax.get_xlabel()


def test_threshold_without_a_switch_says_so(tables):
    th = tables["threshold"]
    fig = P.plot_threshold(th)
    ax = fig.axes[0]
    assert len([line for line in ax.lines if line.get_label() in th.curve.columns]) == th.curve.shape[1]
    assert ("No switch" in ax.get_title(loc="left")) == th.switches.empty
    flat = pd.DataFrame({"stay": [0.0, 0.0], "go": [1.0, 2.0]}, index=pd.Index([0.0, 1.0], name="p"))
    fig = P.plot_threshold(Threshold("p", flat, pd.DataFrame(columns=["value", "from_option", "to_option"])))
    assert "No switch in this range: 'go' stays preferred throughout" in fig.axes[0].get_title(loc="left")


def test_value_by_harm_weight_lines_and_switch_match_the_closed_form():
    # benefit - w * harm: A = 30 - 60 w, B = 20 - 35 w cross at w = 10 / 25 = 0.4
    s = pd.DataFrame({"expected_benefit": [30.0, 20.0], "expected_harm": [60.0, 35.0]}, index=["A", "B"])
    from decide.compare import harm_weight_switches

    fig = P.plot_value_by_harm_weight(s, (0.25, 4.0), harm_weight=1.0, switches=harm_weight_switches(s, 0.25, 4.0))
    _labelled(fig)
    ax = fig.axes[0]
    for opt, b, h in (("A", 30, 60), ("B", 20, 35)):
        line = next(line for line in ax.lines if line.get_label() == opt)
        np.testing.assert_allclose(line.get_ydata(), b - line.get_xdata() * h)
    vertical = sorted(line.get_xdata()[0] for line in ax.lines if len(set(line.get_xdata())) == 1)
    np.testing.assert_allclose(vertical, [0.4, 1.0])
    keyed = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert "switch at 0.4: below, A; above, B" in keyed and "the weight in this case: 1" in keyed


def test_risk_and_uncertainty_draws_both_distributions(tables):
    v = tables["values"]
    fig = P.plot_risk_and_uncertainty(v, bins=20)
    _labelled(fig)
    options = list(dict.fromkeys(v["option"]))
    assert [ax.get_title(loc="left") for ax in fig.axes] == options
    for ax, opt in zip(fig.axes, options):
        child_bars = ax.containers[0].patches
        heights = np.array([p.get_height() for p in child_bars])
        widths = np.array([p.get_width() for p in child_bars])
        assert (heights * widths).sum() == pytest.approx(1.0)  # a density of all the option's draws
        assert len(ax.patches) > len(child_bars)  # plus the outline of the average's distribution


def test_judgements_draw_each_practitioner_and_the_pool(case):
    fig = P.plot_judgements(case, "harm_of_reabuse")
    _labelled(fig)
    ax = fig.axes[0]
    q = case.quantity("harm_of_reabuse")
    curves = [line for line in ax.lines if len(line.get_xdata()) > 3]
    assert len(curves) == len(q.all_judgements) + 1
    pooled = curves[-1]
    assert "pool" in pooled.get_label()
    x = pooled.get_xdata()
    np.testing.assert_allclose(pooled.get_ydata(), case.distribution_of("harm_of_reabuse", "magnitude").pdf(x))
    for line, j in zip(curves, q.all_judgements):
        assert j.by in line.get_label()
        np.testing.assert_allclose(line.get_ydata(), j.to_distribution("magnitude", case.bounds("magnitude")).pdf(x))
    ticks = [line for line in ax.lines if line.get_marker() == "|"]
    assert sorted(float(v) for t in ticks for v in t.get_xdata()) == sorted(x for j in q.all_judgements for x in j.numbers())


def test_judgements_shade_the_verbal_band(case):
    fig = P.plot_judgements(case, ["return_lasts"], titles=["grows up at home"])  # pooled verbal judgements
    ax = fig.axes[0]
    spans = [p for p in ax.patches if isinstance(p, Rectangle) or hasattr(p, "get_xy")]
    xs = [np.asarray(p.get_xy())[:, 0] if not isinstance(p, Rectangle) else np.array([p.get_x(), p.get_x() + p.get_width()])
          for p in spans]
    assert any(np.isclose(x.min(), 0.40) and np.isclose(x.max(), 0.50) for x in xs)
    assert "low confidence" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert ax.get_title(loc="left") == "grows up at home"


def test_judgements_of_an_inline_judgement_need_a_kind(case):
    chance = case.option("remain in foster care").outcomes[1].chance  # an inline verbal judgement
    with pytest.raises(DecideError, match="kind"):
        P.plot_judgements(case, [chance])


# --- plots never recompute --------------------------------------------------------------------------------


def test_no_plot_simulates_or_compares(monkeypatch, case, sim, tables):
    def refuse(*args, **kwargs):
        raise AssertionError("a plot recomputed the analysis")

    for mod in (decide, simulate_module):
        monkeypatch.setattr(mod, "simulate", refuse)
    for name in ("summary", "probability_best", "expected_regret", "outcome_table", "acceptability", "threshold",
                 "tornado", "preferred", "_values"):
        monkeypatch.setattr(decide.compare, name, refuse)
        for mod in (decide, P):  # also a name imported straight into the plots module
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, refuse)
    for name in ("draw", "evaluate", "expected_parts", "expected_value", "from_decision"):
        monkeypatch.setattr(simulate_module.Model, name, refuse)
    P.plot_outcomes(tables["outcomes"])
    P.plot_value(tables["summary"], tables["values"])
    P.plot_probability_best(tables["summary"])
    P.plot_acceptability(tables["acceptability"], 1.0)
    P.plot_value_by_harm_weight(tables["summary"])
    P.plot_tornado(tables["tornado"])
    P.plot_threshold(tables["threshold"])
    P.plot_risk_and_uncertainty(tables["values"])
    P.plot_judgements(case, ["harm_of_reabuse", "reabuse_after_return"])


# --- bad input: one clear message ------------------------------------------------------------------------


def test_a_table_missing_columns_is_named(tables):
    with pytest.raises(DecideError, match=r"missing \['contribution"):
        P.plot_outcomes(tables["outcomes"].drop(columns=["contribution", "contribution_lower"]))
    with pytest.raises(DecideError, match="lead_at_low"):
        P.plot_tornado(tables["summary"])
    with pytest.raises(DecideError, match="empty"):
        P.plot_acceptability(pd.DataFrame())
    with pytest.raises(DecideError, match="0 < low < high"):
        P.plot_value_by_harm_weight(tables["summary"], (2.0, 1.0))


def test_evppi_bars_draw_the_table_they_are_given():
    """One bar per row, as long as its EVPPI, the EVPI as a line named in the key; colours in the key
    only when groups are drawn; each row named by its description, never its identifier."""
    from decide.plots import information as I

    table = pd.DataFrame({"name": ["rate_a", "b", "a and b"], "evppi": [2.0, 0.5, 2.6], "se": [0.1, 0.05, 0.1],
                          "group": [False, False, True],
                          "description": ["chance of the first thing", "", "group of 2"]})
    table.attrs["evpi"] = 3.0
    ax = I.evppi_bars(table)
    widths = sorted(p.get_width() for p in ax.patches if isinstance(p, Rectangle))
    assert widths == [0.5, 2.0, 2.6]
    assert ax.get_title(loc="left") and ax.get_xlabel() and ax.get_legend() is not None
    assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [3.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a and b", "b", "chance of the first thing"]
    key = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert key[0] == "learning everything that is uncertain: 3.00 points" and len(key) == 3
    ax = I.evppi_bars(table[~table["group"]])
    assert len(ax.get_legend().get_texts()) == 1
    plt.close("all")


def test_two_way_map_fills_each_preferred_region_up_to_the_switching_line():
    """Option 'left' leads where x < 0.5, 'right' where x > 0.5; 'never' is never best: two filled
    regions, the switching line at x = 0.5, and a key naming only the options that are preferred."""
    from matplotlib.contour import QuadContourSet

    from decide.plots import information as I
    from decide.robustness import TwoWay

    gx, gy = np.linspace(0, 1, 21), np.linspace(0, 2, 11)
    X = np.broadcast_to(gx[:, None], (gx.size, gy.size))
    values = np.stack([1 - X, X, np.full_like(X, -5.0)], axis=-1)
    result = TwoWay("x", "y", gx, gy, values, ["left", "right", "never"], (0.3, 1.0))
    ax = I.two_way_map(result)
    sets = [c for c in ax.collections if isinstance(c, QuadContourSet)]
    filled = [c for c in sets if c.filled]
    lines = [c for c in sets if not c.filled]
    assert len(filled) == 2 and lines  # (the line is drawn from each side's lead)
    boundary = np.concatenate([p.vertices for c in lines for p in c.get_paths()])
    np.testing.assert_allclose(boundary[:, 0], 0.5, atol=1e-9)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "left", "right", "where the preferred option changes", "as judged now (today's averages)"]
    assert not ax.texts  # the point is named in the key, not by a note that could sit on the line
    assert ax.get_title() and ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    plt.close("all")


def test_outcomes_name_each_horizon_when_the_table_gives_it(tables):
    t = tables["outcomes"].copy()
    t["horizon"] = ["2 years" if i % 2 else "6 months" for i in range(len(t))]
    fig = P.plot_outcomes(t)
    labels = [lab.get_text() for ax in fig.axes[::2] for lab in ax.get_yticklabels()]
    assert sum("(within 2 years)" in s for s in labels) == (t["horizon"] == "2 years").sum()
    assert sum("(within 6 months)" in s for s in labels) == (t["horizon"] == "6 months").sum()


def test_judgements_of_a_small_chance_are_drawn_where_the_curve_is():
    """A chance judged at about 3 % is drawn over the part of 0-1 where it lies (it was a spike at
    the left edge); a wide judgement keeps the whole range; numbers written stay in view."""
    case = decide.load_case(CASE.parent / "permanence.yaml")
    fig = P.plot_judgements(case, ["adoption_disruption", "long_term_foster_disruption"])
    small, wide = (ax.lines[0].get_xdata() for ax in fig.axes)
    dist = case.distribution_of("adoption_disruption", "probability")
    assert small.min() <= dist.ppf(0.0005) and dist.ppf(0.9995) <= small.max() < 0.1
    q = case.quantity("long_term_foster_disruption").all_judgements[0]
    assert wide.min() <= q.low and q.high <= wide.max()


@pytest.mark.parametrize("antialiased", [True, False])
def test_report_text_drawing_gives_matplotlibs_own_pixels(antialiased):
    """decide._html draws the report's text with each glyph's picture reused; the pixels must be
    exactly matplotlib's, for sizes, rotations, positions within a pixel, accents and fallbacks."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from decide import _html

    def draw(quick: bool):
        fig = Figure(figsize=(6, 4), dpi=110)
        canvas = FigureCanvasAgg(fig)
        texts = ["return home with support: grows up at home (more likely)", "1.25×  ·  0.8 ≤ ratio", "é ü ß – “quoted”",
                 "two\nlines of text", "3 · 10⁻²"]
        rng = np.random.default_rng(7)
        for i in range(40):
            fig.text(rng.uniform(0, 0.8), rng.uniform(0, 0.95), texts[i % len(texts)], fontsize=[7, 8, 8.5, 10, 12][i % 5],
                     rotation=[0, 0, 90, 45, 0, 30][i % 6], antialiased=antialiased)
        if quick:
            _html._draw_text_quickly(canvas.get_renderer())
            assert "draw_text" in vars(canvas.get_renderer())  # the quick drawing is the one used
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    _html._GLYPHS.clear(); _html._SHAPED.clear()
    expected = draw(False)
    assert (draw(True) == expected).all()
    assert (draw(True) == expected).all()  # again, now from the kept glyph pictures


def test_quick_text_gives_the_same_picture_and_leaves_matplotlib_as_it_was():
    """decide._html.quick_text (the reports' figures) measures and draws as matplotlib does with text taken as
    written (never as mathematics), and puts matplotlib's own methods and settings back afterwards."""
    import io

    from matplotlib.backends.backend_agg import RendererAgg

    from decide import _html

    own = RendererAgg.draw_text, RendererAgg.get_text_width_height_descent

    def picture() -> bytes:
        fig, ax = plt.subplots(figsize=(5, 3), dpi=110)
        ax.plot([0, 1, 2], [0.2, 0.9, 0.4], label="chance of re-abuse")
        ax.set_yticks([0, 0.5, 1], ["none", "half", "all · 100 %"])
        ax.set_xlabel("months since the decision")
        ax.set_title(r"as written, not mathematics: $\alpha = 0.9$")
        ax.legend()
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="rgba", dpi=110)  # savefig's own canvas and renderer
        plt.close(fig)
        return buf.getvalue()

    _html._GLYPHS.clear(); _html._SHAPED.clear(); _html._MEASURED.clear()
    with matplotlib.rc_context({"text.parse_math": False}):
        expected = picture()
    with _html.quick_text():
        assert RendererAgg.draw_text is not own[0]
        first, again = picture(), picture()
    assert first == expected and again == expected
    assert (RendererAgg.draw_text, RendererAgg.get_text_width_height_descent) == own
    assert matplotlib.rcParams["text.parse_math"] is True
