"""Benchmark: the audit (counting, every rate with its interval, disparities, AUC with its interval,
calibration, the identity) against fairlearn's MetricFrame and against a bare pandas crosstab of the
same columns, on one row per referral in 4 groups; and (--files) the whole `decide audit FILE` command
on a CSV and a Parquet file against the fastest honest readers.

    .venv/bin/python benchmarks/bench_audit.py            # 10^7 rows (MetricFrame alone takes minutes)
    .venv/bin/python benchmarks/bench_audit.py --rows 1000000
    .venv/bin/python benchmarks/bench_audit.py --files    # 10^7-row CSV and Parquet, the whole command
    .venv/bin/python benchmarks/bench_audit.py --files --rows 1e8 --formats parquet   # the scale benchmark

--files (issue 14 part 5, issue 15 part 6): each side is a whole process (start-up, imports, reading,
counting; for decide also the audit, label bias and the HTML report), the two sides alternated pair by
pair, the median of the per-pair ratios reported. Baselines: pyarrow's reader (pyarrow.csv.read_csv /
pyarrow.parquet.read_table of the same three columns) plus a pyarrow group-by count, and DuckDB's bare
GROUP BY count of the same columns. Peak memory is each process's maximum resident size (from
os.wait4), set beside the size of the three columns as Arrow holds them. The files are made once by
DuckDB into build/bench-audit/ (never committed).

Aims (issue 5): at least 30x faster than MetricFrame, at most 2x the crosstab. Times are the best of
--repeat runs (MetricFrame: one run). Scores are probabilities to two decimals, as tools print them;
--continuous uses unrounded scores (binned for the AUC).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def make(rows: int, seed: int = 1, continuous: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 4, rows)
    y = (rng.random(rows) < np.array([0.2, 0.25, 0.3, 0.35])[g]).astype(np.int64)
    score = np.clip(0.2 + 0.3 * y + rng.normal(0, 0.2, rows), 0, 1)
    if not continuous:
        score = np.round(score, 2)
    groups = np.array(["less deprived North", "less deprived South", "more deprived North", "more deprived South"])
    return pd.DataFrame({"group": groups[g], "score": score, "outcome": y})


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda v: int(float(v)), default=10_000_000, help="rows (1e7, 1e8 accepted)")
    parser.add_argument("--files", action="store_true", help="time the whole command on files (see above)")
    parser.add_argument("--formats", default="csv,parquet", help="with --files: csv, parquet or both")
    parser.add_argument("--pairs", type=int, default=3, help="with --files: alternated pairs per comparison")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--continuous", action="store_true", help="unrounded scores")
    parser.add_argument("--skip-metricframe", action="store_true", help="time only the audit and the crosstab")
    args = parser.parse_args(argv)
    if args.files:
        return bench_files(args.rows, args.formats.split(","), args.pairs, args.threshold)

    from decide.audit import audit

    df = make(args.rows, continuous=args.continuous)
    t = args.threshold
    print(f"{args.rows:,} rows, 4 groups, threshold {t}, {'continuous' if args.continuous else 'two-decimal'} scores")

    def run_crosstab():
        return pd.crosstab([df["group"], df["score"] >= t], df["outcome"])

    def run_audit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return audit(df, score="score", outcome="outcome", group="group", reference="less deprived North", threshold=t)

    t_cross, ct = best(run_crosstab, args.repeat)
    t_audit, res = best(run_audit, args.repeat)
    # Same confusion counts, or the comparison means nothing.
    want = ct.to_numpy().reshape(4, 2, 2)  # [group, flag 0/1, outcome 0/1]
    got = res.groups[["tn", "fn", "fp", "tp"]].to_numpy().reshape(4, 2, 2)
    assert (want == got).all(), "audit and crosstab counted differently"
    print(f"  crosstab (counts only)             {t_cross:8.2f} s")
    print(f"  decide audit (all, with intervals) {t_audit:8.2f} s   = {t_audit / t_cross:.2f} x the crosstab (aim <= 2)")
    if not args.skip_metricframe:
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

        t_mf, mf = best(run_mf, 1)
        np.testing.assert_allclose(mf.by_group["fpr"].to_numpy(float), res.groups["fpr"].to_numpy(float), rtol=1e-12)
        print(f"  fairlearn MetricFrame (points only) {t_mf:7.2f} s   -> audit is {t_mf / t_audit:.0f} x faster (aim >= 30)")
    return 0


# ----------------------------------------------------------------------------------------------
# The whole command on files
# ----------------------------------------------------------------------------------------------

GROUPS = ("less deprived North", "less deprived South", "more deprived North", "more deprived South")


def make_file(rows: int, fmt: str) -> Path:
    """A referrals file made by DuckDB (seconds, not minutes): deterministic pseudo-random values from hash(i)."""
    import duckdb

    folder = Path(__file__).resolve().parent.parent / "build" / "bench-audit"
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
    duckdb.sql(f"COPY ({select}) TO '{tmp}' {options}")
    tmp.rename(path)
    return path


def run_process(argv: list[str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


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
    duck = f"import duckdb; print(len(duckdb.sql({sql!r}).fetchall()))"
    return {"pyarrow read + group-by count": [py, "-c", arrow], "DuckDB bare GROUP BY count": [py, "-c", duck]}


def column_bytes(path: Path, fmt: str) -> float:
    """The three columns as Arrow holds them in memory, MB (read in a child, so this process stays small)."""
    code = (f"import pyarrow.csv as c, pyarrow.parquet as q; p = {str(path)!r}; cols = ['group', 'score', 'outcome']; "
            "t = c.read_csv(p, convert_options=c.ConvertOptions(include_columns=cols)) if p.endswith('.csv') "
            "else q.read_table(p, columns=cols); print(t.nbytes / 2**20)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def bench_files(rows: int, formats: list[str], pairs: int, threshold: float) -> int:
    env_note = f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start"
    rows_out = []
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
            sides = {"decide audit (whole command)": command, "decide counting step alone": counting}
            for name, base in baselines(path, fmt, threshold).items():
                for side, ours_argv in sides.items():
                    ratios, ours, theirs = [], [], []
                    for i in range(pairs):
                        first, second = (ours_argv, base) if i % 2 == 0 else (base, ours_argv)
                        a, b = run_process(first), run_process(second)
                        mine, other = (a, b) if i % 2 == 0 else (b, a)
                        ours.append(mine)
                        theirs.append(other)
                        ratios.append(mine[0] / other[0])
                    rows_out.append(dict(file=f"{rows:.0e} {fmt} ({path.stat().st_size / 2**20:,.0f} MB)", side=side,
                                         baseline=name, decide_s=float(np.median([w for w, _ in ours])),
                                         baseline_s=float(np.median([w for w, _ in theirs])),
                                         ratio=float(np.median(ratios)), peak_mb=max(m for _, m in ours),
                                         baseline_peak_mb=max(m for _, m in theirs), columns_mb=size))
    aim_time = 1.3 if rows <= 10_000_000 else 1.5
    print(f"decide audit FILE, whole command vs baselines; median of {pairs} alternated pairs; {env_note}")
    print(f"{'file':<22} {'decide side':<29} {'baseline':<30} {'decide s':>9} {'base s':>7} {'ratio':>6} {'aim':>4}  "
          f"{'peak MB':>8} {'base MB':>8} {'cols MB':>8} {'peak/cols':>9} {'aim':>5}")
    for r in rows_out:
        aim_mem = "1.5GB" if rows > 10_000_000 else "2x"
        print(f"{r['file']:<22} {r['side']:<29} {r['baseline']:<30} {r['decide_s']:9.2f} {r['baseline_s']:7.2f} "
              f"{r['ratio']:6.2f} {aim_time:4.1f}  {r['peak_mb']:8.0f} {r['baseline_peak_mb']:8.0f} {r['columns_mb']:8.0f} "
              f"{r['peak_mb'] / r['columns_mb']:9.2f} {aim_mem:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
