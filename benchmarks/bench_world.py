"""Benchmark: the feedback loop (decide.world.feedback_loop, fast tool) on 10^6 families x 20 generations.

    .venv/bin/python benchmarks/bench_world.py                    # 10^6 families, 20 generations
    .venv/bin/python benchmarks/bench_world.py --families 100000 --generations 5

Printed beside a baseline: the cost of only drawing the random numbers the loop needs (three
uniforms per family per period, as decide.world.observe draws them), so the ratio says how much
the loop costs over and above its unavoidable randomness. Everything is vectorised over families;
the only Python loops are over generations and Newton steps. Both sides are what a run waits
for (the loop includes making the population); they alternate pair by pair and the verdict is
the median of the per-pair CPU ratios (benchmarks/harness.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (first: BLAS on one thread before numpy loads)

import numpy as np  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=1_000_000)
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--correction", action="store_true")
    parser.add_argument("--pairs", type=int, default=3)
    harness.add_json_argument(parser)
    args = parser.parse_args(argv)

    from decide import world

    params = world.WorldParameters(families=args.families)
    settings = world.FeedbackSettings(generations=args.generations, correction=args.correction)
    periods = args.generations + 1 + 1 + params.memory  # generations 0..G, the training year, the history years

    start = time.perf_counter()
    pop = world.make_population(params, seed=1)
    t_pop = time.perf_counter() - start
    start = time.perf_counter()
    run = world.feedback_loop(params, settings, seed=1, population=pop)
    t_loop = time.perf_counter() - start

    start = time.perf_counter()
    for g in range(periods):
        rng = np.random.default_rng([1, g])
        rng.random((3, args.families), dtype=np.float32)
    t_rand = time.perf_counter() - start
    # The same number of periods as the loop (its population already drew the history years).
    t_rand_loop = t_rand * (args.generations + 2) / periods

    fam_gen = args.families * (args.generations + 1)
    print(f"{args.families:,} families x {args.generations} generations (+ generation 0), "
          f"correction={'on' if args.correction else 'off'}")
    print(f"  population and {params.memory} years of history: {t_pop:6.2f} s")
    print(f"  feedback loop:                    {t_loop:6.2f} s   {fam_gen / t_loop / 1e6:6.2f} M family-generations/s")
    print(f"  baseline, random numbers only:    {t_rand_loop:6.2f} s   ratio loop / baseline = {t_loop / t_rand_loop:.1f}x")
    d = run.disparities(metrics=("recorded rate", "mean score")).pivot(index="generation", columns="metric", values="ratio")
    print(f"  check: recorded-rate ratio most/least deprived, generation 0 -> {args.generations}: "
          f"{d['recorded rate'].iloc[0]:.2f} -> {d['recorded rate'].iloc[-1]:.2f}")

    def loop():
        world.feedback_loop(params, settings, seed=1, population=world.make_population(params, seed=1))

    def randomness():
        for g in range(periods):
            np.random.default_rng([1, g]).random((3, args.families), dtype=np.float32)

    row = harness.compare("world", f"population + feedback loop, {args.families:,} families x {args.generations} "
                          "generations", loop, "drawing its random numbers only", randomness, aim=None,
                          pairs=args.pairs, warmup=0)
    print()
    harness.emit("world", [row], args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
