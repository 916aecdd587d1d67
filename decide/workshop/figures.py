"""The workshop's figures and sentences: what one answer means as numbers, and the group side by side.

Matplotlib's object API (never pyplot), so figures can be drawn from the web server's threads.
Every sentence is built from the numbers it states.
"""

from __future__ import annotations

import numpy as np

#: The words on a figure's value axis for each kind of quantity.
AXIS = {
    "probability": "chance it happens (0 % = never, 100 % = certain)",
    "magnitude": "how much it matters (the case's value scale)",
    "odds_ratio": "how much it changes the odds (1 = no change)",
    "number": "value",
}


def show(x: float, kind: str) -> str:
    """A value as a person reads it: chances in per cent, other values as plain numbers."""
    if kind == "probability":
        return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"
    return f"{x:.2f}" if kind == "odds_ratio" else f"{x:.3g}"


def answer_sentence(spread, kind: str) -> str:
    """What an answer says, in words: the middle value and the range it is 80 % sure of."""
    return (f"Your answer means: as likely to be above {show(spread.middle, kind)} as below it, and 8 chances in 10 "
            f"that it lies between {show(spread.low, kind)} and {show(spread.high, kind)}.")


def group_sentences(summary, kind: str) -> list[str]:
    """The group's picture for one quantity, in words."""
    if not summary.people:
        return ["Nobody has answered this yet."]
    out = []
    people = sorted(summary.people, key=lambda p: p.middle)
    if len(people) > 1:
        out.append(f"The middle values run from {show(people[0].middle, kind)} ({people[0].role}) to "
                   f"{show(people[-1].middle, kind)} ({people[-1].role}).")
    if summary.pool is not None:
        out.append(f"Everyone together: a middle value of {show(summary.pool.middle, kind)}, and 8 chances in 10 "
                   f"between {show(summary.pool.low, kind)} and {show(summary.pool.high, kind)}.")
    if summary.furthest_apart:
        a, b = summary.furthest_apart
        middle = {p.role: p.middle for p in summary.people}
        where = f"The {a} ({show(middle[a], kind)}) and the {b} ({show(middle[b], kind)}) are furthest apart"
        if summary.overlap == 0:
            out.append(f"{where}: their 8-in-10 ranges do not overlap at all. Worth discussing what each of them knows.")
        elif summary.overlap >= 0.995:
            out.append(f"{where}, though the narrower of their 8-in-10 ranges lies wholly inside the other.")
        else:
            out.append(f"{where}: their 8-in-10 ranges overlap by {summary.overlap:.0%} of the narrower one.")
    return out


def _grid(kind: str, bounds, spreads) -> np.ndarray:
    lo, hi = bounds
    if kind == "probability":
        return np.linspace(0.0005, 0.9995, 400)
    left = min(s.low for s in spreads)
    right = max(s.high for s in spreads)
    pad = (right - left) * 0.6 or 1.0
    a = left - pad if lo is None or not np.isfinite(lo) else max(lo, left - pad)
    b = right + pad if hi is None else min(hi, right + pad)
    if kind == "odds_ratio":
        a = max(a, 1e-3)
    return np.linspace(a, b, 400)


def _density(dist, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        y = np.asarray(dist.pdf(x), dtype=float)
    return np.where(np.isfinite(y), y, 0.0)


def _axes(title: str, kind: str, width: float = 5.2, height: float = 2.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel(AXIS.get(kind, "value"), fontsize=9)
    ax.set_ylabel("how plausible\n(higher = more)", fontsize=9)
    ax.set_yticks([])
    if kind == "probability":
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def answer_figure(dist, spread, kind: str, bounds, title: str = "What your answer means"):
    """One answer's distribution, its 80 % range shaded and its middle marked."""
    fig, ax = _axes(title, kind)
    x = _grid(kind, bounds, [spread])
    y = _density(dist, x)
    ax.plot(x, y, color="#1f5fa8", lw=2)
    inside = (x >= spread.low) & (x <= spread.high)
    ax.fill_between(x[inside], y[inside], color="#1f5fa8", alpha=0.25, label="8 chances in 10")
    ax.axvline(spread.middle, color="#1f5fa8", ls="--", lw=1, label=f"middle value, {show(spread.middle, kind)}")
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.set_ylim(bottom=0)
    return fig


def group_figure(dists: dict, summary, kind: str, bounds, title: str):
    """Everyone's distribution (labelled by role) and the pool, side by side on one axis."""
    fig, ax = _axes(title, kind, width=6.4, height=3.0)
    spreads = list(summary.people) + ([summary.pool] if summary.pool else [])
    x = _grid(kind, bounds, spreads)
    ys = []
    for i, (role, dist) in enumerate(dists.items()):
        y = _density(dist, x)
        ys.append(y)
        ax.plot(x, y, lw=1.4, color=f"C{i % 10}", label=role)
    if len(ys) > 1:
        ax.plot(x, np.mean(ys, axis=0), lw=2.6, color="black", label="everyone together")
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.set_ylim(bottom=0)
    return fig
