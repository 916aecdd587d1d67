"""Benchmark: the audit (counting, every rate with its interval, disparities, AUC with its interval,
calibration, the identity) against fairlearn's MetricFrame and a pandas crosstab in memory; and the audit of
files (CSV and Parquet) as whole processes against the fastest honest readers.

    .venv/bin/python benchmarks/bench_audit.py                 # what `make bench` runs (about 4 minutes here)
    .venv/bin/python benchmarks/bench_audit.py --memory-rows 1e7 --skip-files     # the in-memory aims at 10^7
    .venv/bin/python benchmarks/bench_audit.py --rows 1e8 --formats parquet --skip-memory   # the scale benchmark

In memory (issue 5): the whole audit on a DataFrame against `pd.crosstab` of the same confusion counts (aim at
most 2x) and fairlearn's MetricFrame of the same rates (aim at least 30x faster; one run, it takes long).

Files (issue 14 part 5, issue 15 part 6): every side is a whole process (start-up, imports, reading, counting),
the two sides alternated pair by pair, the verdict the median of the per-pair ratios of CPU seconds (user +
system of the child; DuckDB's threads included), wall seconds printed beside. Sides:

- "counting step": a process that imports decide and counts the file (`decide.audit.counting.count`): the part
  of an audit that grows with the rows. Issue 15's aim (at most 1.5x DuckDB's own bare GROUP BY count of the same
  columns, on 10^8 Parquet rows) applies to it: it compares the same work, reading and counting where the data
  lie, and a bare count cannot be beaten by more than its start-up.
- "whole command": `decide audit FILE ... -o report.html`, which adds the rates' intervals, the disparities,
  label bias and the HTML report with its figures: a fixed cost of a few seconds whatever the rows. Issue 14's
  aim for a 10^7-row CSV (at most 1.3x pyarrow's CSV reader plus a group-by count of the same columns) applies to
  it, "end to end", against the faster of pyarrow's two ways (aim 7): reading the file batch by batch and adding
  up each batch's counts (about 1.9 CPU s and 200 MB here, steady) rather than `read_csv` of the whole columns
  (2.5-3.5 CPU s and 1 GB, its system time swinging with the cost of fresh memory), which is printed beside it
  for information, as is DuckDB's bare count.
- For information, against the same streaming baseline: the counting step (the reading and counting alone), and the
  floor of any audit command on this stack (a Python that loads numpy, pandas and matplotlib, which the report
  needs, and runs DuckDB's bare count: no intervals, no figures, no report), to show how much of the whole
  command's ratio is the reading and how much is left for the report.
- Peak memory of the whole command (maximum resident size, from os.wait4) beside the three columns as Arrow
  holds them (aim: at most 2x at 10^7 rows, at most 1.5 GB at 10^8).

The files are made once by DuckDB into build/bench-audit/ (never committed). Scores are probabilities to two
decimals, as tools print them; --continuous uses unrounded scores in memory (binned for the AUC).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (BLAS on one thread before numpy loads)

import numpy as np  # noqa: E402


def make(rows: int, seed: int = 1, continuous: bool = False):
    import pandas as pd

    rng = np.random.default_rng(seed)
    g = rng.integers(0, 4, rows)
    y = (rng.random(rows) < np.array([0.2, 0.25, 0.3, 0.35])[g]).astype(np.int64)
    score = np.clip(0.2 + 0.3 * y + rng.normal(0, 0.2, rows), 0, 1)
    if not continuous:
        score = np.round(score, 2)
    groups = np.array(["less deprived North", "less deprived South", "more deprived North", "more deprived South"])
    return pd.DataFrame({"group": groups[g], "score": score, "outcome": y})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda v: int(float(v)), default=10_000_000, help="rows of the files (1e8 accepted)")
    parser.add_argument("--memory-rows", type=lambda v: int(float(v)), default=1_000_000, help="rows in memory")
    parser.add_argument("--formats", default="csv,parquet", help="csv, parquet or both")
    parser.add_argument("--pairs", type=int, default=3, help="alternated pairs per comparison")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--continuous", action="store_true", help="unrounded scores in memory")
    parser.add_argument("--skip-metricframe", action="store_true", help="in memory, time only the audit and crosstab")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the in-memory comparisons")
    parser.add_argument("--skip-files", action="store_true", help="leave out the file comparisons")
    harness.add_json_argument(parser)
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.rows < 1000 or args.memory_rows < 1000:
        parser.error("--pairs must be at least 1, --rows and --memory-rows at least 1000")
    rows = []
    # Files first, while this process is small: a child's peak memory as the kernel reports it is at least the
    # size of this process when it was started (the child begins as a copy of it).
    if not args.skip_files:
        rows += bench_files(args.rows, args.formats.split(","), args.pairs, args.threshold)
    if not args.skip_memory:
        rows += bench_memory(args.memory_rows, args.threshold, args.continuous, args.skip_metricframe, args.pairs)
    print(table(rows))
    machine = harness.machine()
    print(f"\n{machine['cpu']}, {machine['cores']} cores, load average {machine['load_average']}, {machine['date']}; "
          "CPU seconds (wall in brackets), median of alternated pairs")
    if args.json:
        import json

        Path(args.json).write_text(json.dumps({"benchmark": "audit", "machine": machine, "rows": rows}, indent=1))
    return 0


def table(rows: list[dict]) -> str:
    out = [f"{'what':<58} {'baseline':<34} {'ours':>14} {'baseline':>14} {'ratio':>6} {'wall':>6}  aim"]
    for r in rows:
        if r.get("seconds") is None:  # a memory row
            out.append(f"{r['what']:<58} {r['baseline']:<34} {r['peak_mb']:11.0f} MB {r['columns_mb']:11.0f} MB "
                       f"{r['ratio']:6.2f} {'':>6}  {r['aim_text']} {'met' if r['met'] else 'NOT MET'}")
            continue
        wall = r.get("wall_ratio")
        base = f"{r['baseline_seconds']:6.2f} ({r['baseline_wall_seconds']:5.2f})" if r.get("baseline_wall_seconds") else \
            f"{r['baseline_seconds']:14.2f}" if r.get("baseline_seconds") is not None else f"{'-':>14}"
        verdict = "" if r.get("met") is None else " met" if r["met"] else " NOT MET"
        aim = r.get("aim")
        words = r.get("aim_text") or ("(no stated aim)" if aim is None else f"<= {aim:g}x" if aim >= 1 else
                                      f">= {1 / aim:g}x faster")
        wall_text = "-" if wall is None else f"{wall:.2f}"
        out.append(f"{r['what']:<58} {r['baseline']:<34} {r['seconds']:6.2f} ({r['wall_seconds']:5.2f}) {base} "
                   f"{r['ratio']:6.2f} {wall_text:>6}  {words}{verdict}")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# In memory
# ----------------------------------------------------------------------------------------------


def bench_memory(n: int, t: float, continuous: bool, skip_metricframe: bool, pairs: int) -> list[dict]:
    import pandas as pd

    from decide.audit import audit

    df = make(n, continuous=continuous)
    label = f"{n:.0e} rows in memory, {'continuous' if continuous else 'two-decimal'} scores"
    print(f"{label}, 4 groups, threshold {t}", flush=True)

    def run_crosstab():
        return pd.crosstab([df["group"], df["score"] >= t], df["outcome"])

    def run_audit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return audit(df, score="score", outcome="outcome", group="group", reference=GROUPS[0], threshold=t)

    # Same confusion counts, or the comparison means nothing.
    res = run_audit()
    want = run_crosstab().to_numpy().reshape(4, 2, 2)  # [group, flag 0/1, outcome 0/1]
    got = res.groups[["tn", "fn", "fp", "tp"]].to_numpy().reshape(4, 2, 2)
    assert (want == got).all(), "audit and crosstab counted differently"
    rows = [asdict(harness.compare("audit", f"decide audit, {label} (all, with intervals)", run_audit,
                                   "pd.crosstab (counts only)", run_crosstab, aim=2.0, pairs=max(pairs, 5)))]
    if not skip_metricframe:
        from fairlearn.metrics import (MetricFrame, count, false_negative_rate, false_positive_rate, selection_rate,
                                       true_negative_rate, true_positive_rate)
        from sklearn.metrics import precision_score, roc_auc_score

        def at(fn):
            return lambda y, s: fn(y, s >= t)

        metrics = {"count": count, "base_rate": lambda y, s: np.mean(y), "selection_rate": at(selection_rate),
                   "tpr": at(true_positive_rate), "fpr": at(false_positive_rate), "fnr": at(false_negative_rate),
                   "tnr": at(true_negative_rate), "ppv": at(lambda y, f: precision_score(y, f, zero_division=0)),
                   "auc": roc_auc_score}

        def run_mf():
            return MetricFrame(metrics=metrics, y_true=df["outcome"], y_pred=df["score"], sensitive_features=df["group"])

        mf = run_mf()
        np.testing.assert_allclose(mf.by_group["fpr"].to_numpy(float), res.groups["fpr"].to_numpy(float), rtol=1e-12)
        rows.append(asdict(harness.compare("audit", f"decide audit, {label}", run_audit,
                                           "fairlearn MetricFrame (points only)", run_mf, aim=1 / 30, pairs=1,
                                           warmup=0)))
    return rows


# ----------------------------------------------------------------------------------------------
# The whole command on files
# ----------------------------------------------------------------------------------------------

GROUPS = ("less deprived North", "less deprived South", "more deprived North", "more deprived South")


def make_file(rows: int, fmt: str) -> Path:
    """A referrals file made by DuckDB (seconds, not minutes): deterministic pseudo-random values from hash(i)."""
    import duckdb

    folder = harness.ROOT / "build" / "bench-audit"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"referrals_{rows:.0e}.{fmt}".replace("+", "")
    if path.exists():
        return path
    groups = ", ".join(f"'{g}'" for g in GROUPS)
    select = (f"SELECT [{groups}][1 + g] AS \"group\", round(least(greatest(0.2 + 0.3 * y + (u - 0.5) * 0.6, 0), 1), 2) "
              "AS score, y AS outcome FROM (SELECT g, (v < 0.2 + 0.05 * g)::INTEGER AS y, u FROM (SELECT (hash(i) % 4)::INTEGER AS g, "
              "(hash(i * 3 + 1) % 1000) / 1000.0 AS v, (hash(i * 3 + 2) % 1000) / 1000.0 AS u "
              f"FROM range({rows}) r(i)))")
    tmp = path.with_suffix(".tmp")
    options = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT parquet, ROW_GROUP_SIZE 1000000)"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY ({select}) TO '{tmp}' {options}")
    tmp.rename(path)
    return path


def run_process(argv: list[str]) -> tuple[float, float, float, float]:
    """CPU seconds (user + system, every thread), wall seconds, peak resident memory (MB) and user CPU seconds of one
    whole process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=harness.ROOT, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[:4])}... failed:\n{err.read().decode()[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, usage.ru_utime


def alternate(ours: list[str], base: list[str], pairs: int) -> dict:
    """The two processes alternated pair by pair (which goes first alternates too), after one warm-up run each
    (file cache); medians, and the median of the per-pair ratios in CPU and in wall seconds."""
    run_process(ours), run_process(base)
    mine, theirs = [], []
    for i in range(pairs):
        if i % 2 == 0:
            a, b = run_process(ours), run_process(base)
        else:
            b, a = run_process(base), run_process(ours)
        mine.append(a), theirs.append(b)
    cpu_ratios = [a[0] / b[0] for a, b in zip(mine, theirs)]
    wall_ratios = [a[1] / b[1] for a, b in zip(mine, theirs)]
    # User time alone, for information: pyarrow's system time (fresh memory for a gigabyte of columns) swings with
    # the kernel's page-fault cost of the moment, and with it the verdict, which stays on user + system.
    user_ratios = [a[3] / b[3] for a, b in zip(mine, theirs)]
    return dict(seconds=statistics.median(a[0] for a in mine), baseline_seconds=statistics.median(b[0] for b in theirs),
                ratio=statistics.median(cpu_ratios), ratio_low=min(cpu_ratios), ratio_high=max(cpu_ratios),
                wall_seconds=statistics.median(a[1] for a in mine),
                baseline_wall_seconds=statistics.median(b[1] for b in theirs), wall_ratio=statistics.median(wall_ratios),
                user_seconds=statistics.median(a[3] for a in mine),
                baseline_user_seconds=statistics.median(b[3] for b in theirs), user_ratio=statistics.median(user_ratios),
                pairs=pairs, peak_mb=max(a[2] for a in mine), baseline_peak_mb=max(b[2] for b in theirs))


def baselines(path: Path, fmt: str, threshold: float) -> dict[str, list[str]]:
    py = sys.executable
    cols = '["group", "score", "outcome"]'
    if fmt == "csv":
        read = (f"import pyarrow.csv as c; t = c.read_csv({str(path)!r}, convert_options=c.ConvertOptions("
                f"include_columns={cols}))")
        scan = f"read_csv({str(path)!r})"
    else:
        read = f"import pyarrow.parquet as q; t = q.read_table({str(path)!r}, columns={cols})"
        scan = f"read_parquet({str(path)!r})"
    arrow = (f"{read}; import pyarrow.compute as pc; t = t.append_column('flag', pc.greater_equal(t['score'], {threshold})); "
             "print(t.group_by(['group', 'flag', 'outcome']).aggregate([([], 'count_all')]).num_rows)")
    sql = f'SELECT "group", score >= {threshold} AS flag, outcome, count(*) AS n FROM {scan} GROUP BY ALL'
    duck = (f"import duckdb; con = duckdb.connect(); con.execute('SET enable_progress_bar = false'); "
            f"print(len(con.sql({sql!r}).fetchall()))")
    # The floor of any audit command on this stack: Python with the libraries the report needs loaded (numpy,
    # pandas, matplotlib) and DuckDB's bare count; no intervals, no figures, no report.
    floor = f"import numpy, pandas, matplotlib.pyplot; {duck}"
    out = {"arrow": [py, "-c", arrow], "duckdb": [py, "-c", duck], "floor": [py, "-c", floor]}
    if fmt == "csv":
        # pyarrow's CSV reader a batch at a time, each batch counted and the counts added up: never a gigabyte of
        # columns in memory, so less CPU than read_csv (aim 7: the fastest honest baseline)
        stream = (f"import pyarrow as pa, pyarrow.csv as c, pyarrow.compute as pc; "
                  f"r = c.open_csv({str(path)!r}, convert_options=c.ConvertOptions(include_columns={cols})); keys = ['group', 'flag', 'outcome']; "
                  f"parts = [pa.Table.from_batches([b]).append_column('flag', pc.greater_equal(b.column('score'), {threshold}))"
                  ".group_by(keys).aggregate([([], 'count_all')]) for b in r]; "
                  "print(pa.concat_tables(parts).group_by(keys).aggregate([('count_all', 'sum')]).num_rows)")
        out["arrow_stream"] = [py, "-c", stream]
    return out


BASELINE_NAMES = {"arrow": "pyarrow read + group-by count", "duckdb": "DuckDB bare GROUP BY count",
                  "floor": "the stack's floor (imports + DuckDB's count)",
                  "arrow_stream": "pyarrow streaming read (batch by batch) + group-by count"}


def column_bytes(path: Path, fmt: str) -> float:
    """The three columns as Arrow holds them in memory, MB (read in a child, so this process stays small)."""
    code = (f"import pyarrow.csv as c, pyarrow.parquet as q; p = {str(path)!r}; cols = ['group', 'score', 'outcome']; "
            "t = c.read_csv(p, convert_options=c.ConvertOptions(include_columns=cols)) if p.endswith('.csv') "
            "else q.read_table(p, columns=cols); print(t.nbytes / 2**20)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def bench_files(rows: int, formats: list[str], pairs: int, threshold: float) -> list[dict]:
    """The comparisons of the module's help, for each format; rows in run_all.py's form."""
    out_rows = []
    big = rows > 10_000_000
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            path = make_file(rows, fmt)
            size = column_bytes(path, fmt)
            out = Path(tmp) / f"audit-{fmt}.html"
            command = [sys.executable, "-m", "decide", "audit", str(path), "--score", "score", "--outcome", "outcome",
                       "--group", "group", "--threshold", str(threshold), "--reference", GROUPS[0], "-o", str(out),
                       "--force"]
            counting = [sys.executable, "-c", "import warnings; warnings.simplefilter('ignore'); "
                        "from decide.audit.counting import count; "
                        f"count({str(path)!r}, score='score', outcome='outcome', group='group', threshold={threshold})"]
            base = baselines(path, fmt, threshold)
            label = f"{rows:.0e} {fmt} ({path.stat().st_size / 2**20:,.0f} MB)"
            # (side, its process, baseline, aim): the aims of the module's help; the rest for information.
            plan = [("counting step", counting, "duckdb", 1.5 if fmt == "parquet" and big else None),
                    ("whole command", command, "duckdb", None)]
            if fmt == "csv":
                # the aim is judged against the faster of pyarrow's two ways of reading (aim 7); the other for information
                plan.append(("whole command", command, "arrow", None))
                plan.append(("whole command", command, "arrow_stream", 1.3 if rows == 10_000_000 else None))
                # for information: the reading and counting alone, and the stack's floor (imports + a bare count),
                # against the same baseline: how much of the whole command's ratio is left to the report
                plan.append(("counting step", counting, "arrow_stream", None))
                plan.append(("floor: numpy, pandas, matplotlib loaded + DuckDB's bare count", base["floor"], "arrow_stream", None))
            peak = 0.0
            for side, argv, which, aim in plan:
                print(f"  {label}: {side} against {BASELINE_NAMES[which]} ...", flush=True)
                got = alternate(argv, base[which], pairs)
                if side == "whole command":  # what the user's machine must hold, end to end
                    peak = max(peak, got["peak_mb"])
                who = f"{label}, {side}" if side.startswith("floor") else f"decide audit {label}, {side}"
                out_rows.append(dict(benchmark="audit", what=f"{who} (wall: {got['wall_ratio']:.2f}x, "
                                     f"user: {got['user_ratio']:.2f}x)",
                                     baseline=BASELINE_NAMES[which], aim=aim,
                                     met=None if aim is None else got["ratio"] <= aim, aim_text="", **got))
            aim_mem = 1536 / size if big else 2.0
            out_rows.append(dict(benchmark="audit", what=f"decide audit {label}, whole command: peak memory",
                                 baseline=f"the three columns in Arrow ({size:,.0f} MB)", seconds=None,
                                 baseline_seconds=None, ratio=peak / size, aim=aim_mem, met=peak / size <= aim_mem,
                                 aim_text=(f"peak <= 1.5 GB ({peak:,.0f} MB)" if big else
                                           f"peak <= 2x the columns ({peak:,.0f} MB)"),
                                 peak_mb=peak, columns_mb=size))
    return out_rows


if __name__ == "__main__":
    raise SystemExit(main())
