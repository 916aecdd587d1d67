"""Benchmark: `decide report CASE -o FILE` for each example case, the whole command, against the
issue's aim of at most 5 s warm (issue 14, part 4).

Each run is a fresh process writing a new file (the user's wait: start-up, reading the case,
fitting, simulating, every table and figure, writing the page). A first run outside the count
warms the compile and file caches. There is no honest baseline for a whole report, so the ratio
is to the stated 5 s. A last line shows importing the libraries the report loads (numpy, pandas,
xarray, SciPy's optimize and special, matplotlib, Jinja2, pydantic, YAML; since the light
distributions of decide.distributions, not preliz, PyMC or scipy.stats), the floor any report
built on them starts from.
Run: .venv/bin/python benchmarks/bench_report.py [--pairs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (first: BLAS on one thread before numpy loads)

AIM_SECONDS = 5.0
IMPORTS = ("import numpy, pandas, xarray, scipy.optimize, scipy.special, matplotlib.pyplot, jinja2, pydantic, yaml")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="runs per case (default 5)")
    harness.add_json_argument(parser)
    args = parser.parse_args(argv)
    env = {"MPLBACKEND": "Agg"}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, case in harness.CASES.items():
            count = iter(range(10**6))

            def report(case=case, count=count):
                out = Path(tmp) / f"{case.stem}-{next(count)}.html"
                harness.command([harness.PY, "-m", "decide", "report", str(case), "-o", str(out)], env=env)()

            rows.append(harness.compare("report", f"decide report ({label} case), whole command", report,
                                        "the stated 5 s", None, aim=1.0, pairs=args.pairs,
                                        aim_seconds=AIM_SECONDS, aim_text="<= 5 s"))
        rows.append(harness.compare("report", "python -c 'import numpy, pandas, xarray, scipy..., matplotlib.pyplot, ...' "
                                    "(the report's imports alone)",
                                    harness.command([harness.PY, "-c", IMPORTS], env=env), "the stated 5 s", None,
                                    aim=1.0, pairs=args.pairs, aim_seconds=AIM_SECONDS,
                                    aim_text="(floor, for reference)"))
    harness.emit("report", rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
