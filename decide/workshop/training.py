"""A simulated two-round workshop for trainers (notebook 09): how a group's spread narrows between
rounds, and why a narrower spread alone does not show that the group learned anything.

Two ways of revising are simulated with the workshop's own logic (store, rounds, fitting, pool):
discussion that brings information (each person moves halfway towards the value the simulation
treats as right) and social convergence (each moves halfway towards the group's pool and narrows
their range). Everything random takes a seed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from decide.workshop.figures import show
from decide.workshop.session import Workshop

#: The two ways of revising, as the notebook and its figure name them.
WAYS = {"information": "Discussion brings information", "social": "People only move towards each other"}


def simulate_rounds(case: str | Path, quantity: str, folder: str | Path, way: str, *, people: int = 8,
                    true_value: float = 0.2, seed: int = 1) -> Workshop:
    """Run a two-round workshop on a copy of the case in ``folder`` with simulated answers
    (low/likely/high), revising the ``way`` given; returns the workshop after the second reveal."""
    if way not in WAYS:
        raise ValueError(f"way must be one of {sorted(WAYS)}, got {way!r}")
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True)
    shutil.copy(case, folder / "case.yaml")
    w = Workshop.start(folder / "case.yaml", folder / "workshop.sqlite", [quantity])
    w.open_round(1)
    middles = np.clip(true_value * np.exp(rng.normal(0.0, 0.55, people)), 0.04, 0.7)
    widths = rng.uniform(0.25, 0.5, people)  # each range's half-width, as a share of the middle value
    tokens = [w.join(w.code, f"practitioner {i + 1}") for i in range(people)]

    def answer(token, middle, width):
        low, high = middle * (1 - width), min(middle * (1 + 1.5 * width), 0.95)
        w.answer(token, quantity, {"form": "low/likely/high", "low": round(low, 4), "likely": round(middle, 4),
                                   "high": round(high, 4)})

    for token, m, h in zip(tokens, middles, widths):
        answer(token, m, h)
    revealed = w.reveal()[quantity]
    w.open_round(2)
    if way == "information":
        new_middles, new_widths = (middles + true_value) / 2, widths
    else:
        new_middles, new_widths = (middles + revealed["pool"]["middle"]) / 2, widths * 0.6
    for token, m, h in zip(tokens, new_middles, new_widths):
        answer(token, m, h)
    w.reveal()
    return w


def rounds_figure(summaries: dict, true_value: float, what: str):
    """Each person's middle value in round 1 and round 2, and the pool, one panel per way of
    revising; ``summaries`` maps a way to its (round 1, round 2) summaries."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.5, 3.8), layout="constrained")
    axes = fig.subplots(1, len(summaries), sharey=True)
    for ax, (way, (one, two)) in zip(np.atleast_1d(axes), summaries.items()):
        after = {p.role: p.middle for p in two.people}
        for p in one.people:
            ax.plot([1, 2], [p.middle, after[p.role]], color="#1f5fa8", alpha=0.6, marker="o", lw=1)
        ax.plot([1, 2], [one.pool.middle, two.pool.middle], color="black", lw=2.5, marker="s", label="the group's pool")
        ax.axhline(true_value, color="#b2182b", ls="--", lw=1.2, label="the value the simulation treats as right")
        ax.set_title(WAYS[way], fontsize=10, loc="left")
        ax.set_xticks([1, 2], ["round 1", "round 2"])
        ax.set_xlim(0.8, 2.2)
        ax.set_xlabel("round of the workshop")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    first = np.atleast_1d(axes)[0]
    first.set_ylabel(f"each person's middle value\n({what})")
    handles, labels = first.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    fig.suptitle("Both ways, the group's judgements draw together between rounds", fontsize=11)
    return fig


def spread_sentence(way: str, one, two, true_value: float) -> str:
    """What happened to the middle values, the pool and its range between the rounds, in words."""
    lo1, hi1 = min(p.middle for p in one.people), max(p.middle for p in one.people)
    lo2, hi2 = min(p.middle for p in two.people), max(p.middle for p in two.people)
    off1, off2 = abs(one.pool.middle - true_value), abs(two.pool.middle - true_value)
    closer = "closer to" if off2 < off1 - 0.005 else ("further from" if off2 > off1 + 0.005 else "no nearer to")
    width1, width2 = one.pool.high - one.pool.low, two.pool.high - two.pool.low
    p = "probability"
    return (f"{WAYS[way]}: the middle values ran from {show(lo1, p)} to {show(hi1, p)} in round 1 and from "
            f"{show(lo2, p)} to {show(hi2, p)} in round 2. The group's pool moved from {show(one.pool.middle, p)} to "
            f"{show(two.pool.middle, p)}, {closer} the {show(true_value, p)} the simulation treats as right, and its "
            f"8-in-10 range went from {width1 * 100:.0f} to {width2 * 100:.0f} percentage points wide.")


def lesson_sentence(summaries: dict, true_value: float) -> str:
    """Whether only the group that heard information ended nearer the right value, from the numbers."""
    (_, info_two), (social_one, social_two) = summaries["information"], summaries["social"]
    info_off = abs(info_two.pool.middle - true_value)
    social_off = abs(social_two.pool.middle - true_value)
    social_narrower = (social_two.pool.high - social_two.pool.low) < (social_one.pool.high - social_one.pool.low)
    if social_narrower and social_off > info_off:
        return ("Both groups ended closer together, but only the group that heard new information ended nearer the "
                "right value; the other became surer without becoming more accurate.")
    return "In this run the two ways ended about equally near the right value."
