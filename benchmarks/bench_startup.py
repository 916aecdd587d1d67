"""Benchmark: start-up of `decide --help` and `decide check`, whole processes, against their baselines.

Aims (issue 14): `decide --help` <= 3x a bare `python -c pass`; `decide check CASE` <= 1.2x
`python -c "import numpy, pandas"`. The two sides of each comparison run alternately, pair by
pair, and the verdict is the median of the per-pair ratios, so a busy moment hits both sides.
Times are CPU seconds of the child process (user + system), which a second busy core does not
inflate; wall-clock medians are printed beside them.
Run: .venv/bin/python benchmarks/bench_startup.py [--pairs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CASE = "data/cases/return_home.yaml"

COMPARISONS = [
    ("decide --help", [PY, "-m", "decide", "--help"], "python -c pass", [PY, "-c", "pass"], 3.0),
    ("decide check", [PY, "-m", "decide", "check", CASE], "import numpy, pandas",
     [PY, "-c", "import numpy, pandas"], 1.2),
]


def run(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=9, help="alternating pairs per comparison (at least 7)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()
    pairs = max(args.pairs, 7)
    rows = []
    for name, cmd, base_name, base_cmd, aim in COMPARISONS:
        run(cmd), run(base_cmd)  # warm the file cache and bytecode, outside the count
        ratios, cpu, base_cpu, wall, base_wall = [], [], [], [], []
        for i in range(pairs):
            first, second = (cmd, base_cmd) if i % 2 == 0 else (base_cmd, cmd)  # alternate which goes first
            a, b = run(first), run(second)
            (c, cw), (bc, bw) = (a, b) if first is cmd else (b, a)
            cpu.append(c), base_cpu.append(bc), wall.append(cw), base_wall.append(bw)
            ratios.append(c / bc)
        ratio = statistics.median(ratios)
        rows.append({"command": name, "baseline": base_name, "cpu_s": statistics.median(cpu),
                     "baseline_cpu_s": statistics.median(base_cpu), "wall_s": statistics.median(wall),
                     "baseline_wall_s": statistics.median(base_wall), "ratio": ratio, "aim": aim, "met": ratio <= aim,
                     "pairs": pairs})
    print(f"{'command':<15} {'CPU s':>7} {'baseline':<22} {'CPU s':>7} {'ratio':>6} {'aim':>5}  met   (wall s: command / baseline)")
    for r in rows:
        print(f"{r['command']:<15} {r['cpu_s']:>7.3f} {r['baseline']:<22} {r['baseline_cpu_s']:>7.3f} {r['ratio']:>5.2f}x "
              f"{r['aim']:>4.1f}x  {'yes' if r['met'] else 'NO ':<4}  ({r['wall_s']:.3f} / {r['baseline_wall_s']:.3f})")
    print(f"median of {pairs} alternating pairs each; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": "startup", "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
