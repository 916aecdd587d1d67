"""Benchmark: the audit (counting, every rate with its interval, disparities, AUC with its interval,
calibration, the identity) against fairlearn's MetricFrame and against a bare pandas crosstab of the
same columns, on one row per referral in 4 groups.

    .venv/bin/python benchmarks/bench_audit.py            # 10^7 rows (MetricFrame alone takes minutes)
    .venv/bin/python benchmarks/bench_audit.py --rows 1000000

Aims (issue 5): at least 30x faster than MetricFrame, at most 2x the crosstab. Times are the best of
--repeat runs (MetricFrame: one run). Scores are probabilities to two decimals, as tools print them;
--continuous uses unrounded scores (binned for the AUC).
"""

from __future__ import annotations

import argparse
import time
import warnings

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
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--continuous", action="store_true", help="unrounded scores")
    parser.add_argument("--skip-metricframe", action="store_true", help="time only the audit and the crosstab")
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    raise SystemExit(main())
