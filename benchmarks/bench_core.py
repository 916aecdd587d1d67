"""Benchmark: case -> summary table against numpy drawing the same variates (aim <= 2x).

Cases: the two example cases (factors, shared quantities, pooled judgements: the case model as
people write it) and a synthetic one of 5 options x 10 outcomes with a Beta chance and a scaled
Beta magnitude each. numpy alone = drawing the same number of variates of the same fitted
families with numpy's Generator, the least any implementation must do. decide's side includes
everything from the read case to the summary table (fitting is cached, as in a session);
each slot's chance and magnitude arrays are built only when read, and the summary does not read them.
The two sides alternate pair by pair; the verdict is the median of the per-pair CPU ratios.
Run: .venv/bin/python benchmarks/bench_core.py [--draws N] [--pairs N] [--case permanence] [--json FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (first: BLAS on one thread before numpy loads)

import numpy as np  # noqa: E402

from decide import Decision, compare, simulate  # noqa: E402
from decide.judge import draw  # noqa: E402


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


def numpy_alone(decision: Decision, draws: int, seed: int) -> None:
    """The same variates (every quantity's fitted family, one uniform per outcome) with numpy alone."""
    from decide.simulate import Model

    rng = np.random.default_rng(seed)
    model = Model.from_decision(decision)
    for dist in model.distributions:
        draw(dist, draws, rng)
    for _ in model.outcomes:  # one child per draw: a uniform per outcome says whether it happens
        rng.random(draws)


def decide_pipeline(decision: Decision, draws: int, seed: int):
    return compare.summary(simulate(decision, draws, seed=seed))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--options", type=int, default=5)
    parser.add_argument("--outcomes", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--case", action="append", help="only the cases whose label starts with this (repeatable)")
    harness.add_json_argument(parser)
    args = parser.parse_args(argv)
    cases = {label: Decision.from_yaml(path) for label, path in harness.CASES.items()}
    cases[f"synthetic {args.options} options x {args.outcomes} outcomes"] = make_case(args.options, args.outcomes)
    if args.case:
        cases = {k: v for k, v in cases.items() if any(k.startswith(c) for c in args.case)}
    rows = []
    for label, decision in cases.items():
        decide_pipeline(decision, 1000, 0)  # fits and imports outside the count, as in a session
        rows.append(harness.compare(
            "core", f"{label} case: simulate + summary, {args.draws:,} draws",
            lambda: decide_pipeline(decision, args.draws, 1), "numpy drawing the same variates",
            lambda: numpy_alone(decision, args.draws, 1), aim=2.0, pairs=args.pairs))
    harness.emit("core", rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
