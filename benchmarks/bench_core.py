"""Benchmark: case -> summary table for 10^6 draws x 5 options x 10 outcomes, against numpy alone.

numpy alone = drawing the same number of variates of the same families with numpy's Generator
(the least any implementation must do). Prints both times and their ratio (aim <= 2x).
Run: .venv/bin/python benchmarks/bench_core.py [--draws N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from decide import Decision, compare, simulate


def make_case(n_options: int, n_outcomes: int) -> Decision:
    rng = np.random.default_rng(0)
    options = []
    for i in range(n_options):
        outcomes = []
        for k in range(n_outcomes):
            outcomes.append({
                "name": f"outcome {k}", "kind": "harm" if k % 2 else "benefit", "horizon": "2 years",
                "chance": {"distribution": "Beta", "params": {"alpha": float(rng.uniform(1, 20)), "beta": float(rng.uniform(1, 20))}},
                "magnitude": {"distribution": "BetaScaled", "params": {"alpha": float(rng.uniform(2, 10)), "beta": float(rng.uniform(2, 10)), "lower": 0, "upper": 100}},
            })
        options.append({"name": f"option {i}", "outcomes": outcomes})
    return Decision.model_validate({"question": "benchmark", "date": "2026-01-01", "decided_by": ["sw"], "options": options})


def numpy_alone(decision: Decision, draws: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for opt in decision.options:
        for out in opt.outcomes:
            c, m = out.chance.params, out.magnitude.params
            rng.beta(c["alpha"], c["beta"], draws)
            rng.beta(m["alpha"], m["beta"], draws) * 100.0
    for _ in decision.options[0].outcomes:
        rng.random(draws)
    return time.perf_counter() - start


def decide_pipeline(decision: Decision, draws: int, seed: int):
    start = time.perf_counter()
    sim = simulate(decision, draws, seed=seed)
    table = compare.summary(sim)
    return time.perf_counter() - start, table


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--options", type=int, default=5)
    parser.add_argument("--outcomes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    decision = make_case(args.options, args.outcomes)
    decide_pipeline(decision, 1000, 0)  # warm caches (imports, distribution set-up)
    n_var = args.draws * (2 * args.options * args.outcomes + args.outcomes)
    print(f"{args.draws:,} draws x {args.options} options x {args.outcomes} outcomes ({n_var:,} random variates)")
    base, ours = [], []
    for r in range(args.repeat):
        base.append(numpy_alone(decision, args.draws, r))
        t, table = decide_pipeline(decision, args.draws, r)
        ours.append(t)
    b, o = min(base), min(ours)
    print(f"{'numpy alone (draws only)':32s} {b:7.2f} s")
    print(f"{'decide: case -> summary table':32s} {o:7.2f} s")
    print(f"ratio decide / numpy: {o / b:.2f}x (aim <= 2x); best of {args.repeat}")
    print(table.round(2).to_string())


if __name__ == "__main__":
    main()
