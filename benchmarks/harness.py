"""Shared timing for the benchmarks (issue 14, part 7): verdicts that hold still under load.

* BLAS and OpenMP run on one thread: this module sets the variables before numpy loads, so
  import it before anything that imports numpy. On a busy two-core machine two OpenBLAS threads
  made small decompositions 20-50 times slower, and a benchmark's verdict moved with the load.
* The two sides of a comparison run alternately, pair by pair (which side goes first alternates
  too), and the verdict is the median of the per-pair ratios: a busy moment hits both sides.
* Times are CPU seconds (this process and its children, user + system), which a second busy core
  does not inflate; wall seconds are kept beside them. A side may be a whole process
  (:func:`command`) when what the user waits for is a command.
* Every benchmark prints its rows and, with ``--json FILE``, writes them with the machine, for
  ``benchmarks/run_all.py`` (``make bench``) to gather into one table.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import datetime
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CASES = {"return home": ROOT / "data/cases/return_home.yaml", "permanence": ROOT / "data/cases/permanence.yaml"}


@dataclass
class Row:
    """One comparison: ours against a baseline, or against a stated time when there is no baseline.

    ``ratio`` is the median of the per-pair ratios ours / baseline (or ours / ``aim_seconds``);
    the aim is met when it is at most ``aim`` (an aim of 'at least 10x faster' is ``aim`` 0.1).
    """

    benchmark: str
    what: str
    baseline: str
    seconds: float  # median CPU seconds of ours
    baseline_seconds: float | None
    ratio: float
    aim: float | None  # None: measured for information, no stated aim
    met: bool | None
    pairs: int
    ratio_low: float
    ratio_high: float
    wall_seconds: float
    baseline_wall_seconds: float | None
    aim_text: str = ""


def _clock() -> tuple[float, float]:
    """(wall, CPU of this process and its finished children)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time() + children.ru_utime + children.ru_stime


def measure(side: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    w0, c0 = _clock()
    side()
    w1, c1 = _clock()
    return c1 - c0, w1 - w0


def command(argv: list[str], *, cwd: Path = ROOT, env: dict | None = None) -> Callable[[], None]:
    """A side that runs a whole process (what a user waits for), failing loudly if it fails."""
    full_env = {**os.environ, **(env or {})}

    def run():
        done = subprocess.run(argv, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} failed ({done.returncode}): {done.stderr[-2000:]}")

    return run


def compare(benchmark: str, what: str, ours: Callable[[], object], baseline_name: str,
            baseline: Callable[[], object] | None, *, aim: float | None, pairs: int = 7, warmup: int = 1,
            aim_seconds: float | None = None, aim_text: str = "") -> Row:
    """Time ``ours`` against ``baseline`` in alternating pairs (or against ``aim_seconds`` alone)."""
    if (baseline is None) == (aim_seconds is None):
        raise ValueError("give either a baseline or aim_seconds")
    for _ in range(warmup):
        ours()
        if baseline is not None:
            baseline()
    cpu, wall, base_cpu, base_wall, ratios = [], [], [], [], []
    for i in range(pairs):
        if baseline is None:
            c, w = measure(ours)
            cpu.append(c), wall.append(w), ratios.append(c / aim_seconds)
            continue
        if i % 2 == 0:
            (c, w), (bc, bw) = measure(ours), measure(baseline)
        else:
            (bc, bw), (c, w) = measure(baseline), measure(ours)
        cpu.append(c), wall.append(w), base_cpu.append(bc), base_wall.append(bw)
        ratios.append(c / bc)
    ratio = statistics.median(ratios)
    return Row(benchmark, what, baseline_name, statistics.median(cpu),
               statistics.median(base_cpu) if base_cpu else None, ratio, aim, None if aim is None else ratio <= aim, pairs,
               min(ratios), max(ratios), statistics.median(wall),
               statistics.median(base_wall) if base_wall else None, aim_text)


def machine() -> dict:
    """The machine and the moment the numbers come from (they mean nothing without it)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy

    return {"cpu": model, "cores": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
            "python": platform.python_version(), "numpy": numpy.__version__, "system": platform.platform(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}


def aim_words(row: Row) -> str:
    if row.aim_text:
        return row.aim_text
    if row.aim is None:
        return "(no stated aim)"
    if row.baseline_seconds is None:
        return f"<= {row.aim * row.seconds / row.ratio:g} s" if row.ratio else f"<= {row.aim:g}x"
    return f"<= {row.aim:g}x" if row.aim >= 1 else f">= {1 / row.aim:g}x faster"


def table(rows: list[Row]) -> str:
    """The rows as a markdown table."""
    out = ["| benchmark | what | baseline | ours (CPU s) | baseline (CPU s) | ratio (median of pairs) | aim | met |",
           "|---|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        base = f"{r.baseline_seconds:.3f}" if r.baseline_seconds is not None else "-"
        out.append(f"| {r.benchmark} | {r.what} | {r.baseline} | {r.seconds:.3f} | {base} | {r.ratio:.2f} "
                   f"({r.ratio_low:.2f}-{r.ratio_high:.2f}, {r.pairs} pairs) | {aim_words(r)} | {_met(r.met)} |")
    return "\n".join(out)


def _met(met: bool | None) -> str:
    return "-" if met is None else "yes" if met else "NO"


def add_json_argument(parser) -> None:
    parser.add_argument("--json", help="also write the rows (and the machine) to this JSON file, for run_all.py")


def emit(benchmark: str, rows: list[Row], json_path: str | None) -> None:
    """Print the rows and, if asked, write them as JSON."""
    print(table(rows))
    m = machine()
    print(f"\n{m['cpu']}, {m['cores']} cores, load average {m['load_average']}, {m['date']}; BLAS on one thread; "
          "CPU seconds, median of alternating pairs")
    if json_path:
        Path(json_path).write_text(json.dumps({"benchmark": benchmark, "machine": m,
                                               "rows": [asdict(r) for r in rows]}, indent=1))
