"""Benchmark the evidence and indicator models: cold vs warm compile cache, PyMC's NUTS vs nutpie.

Each run is a fresh Python process (so nothing is cached in memory). "Cold" uses an empty PyTensor
compile directory; "warm" reuses one filled beforehand. Cold and warm runs alternate pair by
pair (which goes first alternates too) and medians are shown, with ratios. Times are CPU seconds of
the fit in the child process (wall seconds beside them).

For the evidence models with PyMC's sampler, each warm process then updates with new counts of the
same shape twice: once on the model ``decide.evidence`` kept compiled from its first fit, once on a
model built afresh (in alternating order), and checks that both give the same draws. That row shows
what a second update in the same session costs against building the model again.

    .venv/bin/python benchmarks/bench_evidence.py            # all models, both samplers
    .venv/bin/python benchmarks/bench_evidence.py --models pooled --repeat 1

Measured here on 2026-11 (2 cores shared with other jobs, so absolute times are inflated), fit
seconds cold / warm: conjugate pymc 10.5 / 2.8, nutpie 21.5 / 12.4; pooled (beta-binomial) pymc
15.4 / 4.7, nutpie 28.5 / 17.2; timeliness (1,871 children) pymc 39.9 / 8.4, nutpie 29.2 / 7.8;
breakdown pymc 36.2 / 8.1, nutpie 26.6 / 8.8. So PyMC's own NUTS (the default in decide) is 2-4x
faster on the small evidence models, where nutpie's numba compile is repaid by nothing; on the
larger indicator models nutpie compiles faster cold (0.7x) and the two are even when warm.

Measured 2026-12-04 (load about 3 on 2 cores), CPU seconds, PyMC's sampler, 3 pairs: conjugate first fit
5.5 cold / 2.5 warm, an update with new counts 0.61 on the kept model / 0.84 on a model built afresh
(0.70x); pooled 7.6 / 3.7, and 1.67 / 2.16 (0.74x). Sampling is most of what is left.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (BLAS on one thread, in this process and the children it starts)

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import pandas as pd
from decide import evidence, indicators
warnings.simplefilter("ignore")
model, sampler, order = sys.argv[1], sys.argv[2], int(sys.argv[3])
t1 = time.perf_counter()
c1 = time.process_time()
if model == "conjugate":
    counts = evidence.select(evidence.read_evidence("data/evidence/return_home.csv"), "return_breaks_down")
    prior = evidence.beta_prior(4, 6)
elif model == "pooled":
    counts = evidence.select(evidence.read_evidence("data/evidence/adoption_disruption.csv"), "adoption_disruption",
                             horizon_tolerance=1)
    prior = None
if model in ("conjugate", "pooled"):
    fit = evidence.update(counts, prior, seed=1, sampler=sampler)
elif model == "timeliness":
    fit = indicators.fit_timeliness(indicators.read_agencies("data/synthetic/agencies.csv"), seed=1, sampler=sampler)
elif model == "breakdown":
    fit = indicators.fit_breakdown(indicators.read_agencies("data/synthetic/agencies.csv"), seed=1, sampler=sampler, chains=2)
t2 = time.perf_counter()
out = {"import": t1 - t0, "fit": time.process_time() - c1, "fit_wall": t2 - t1, "ok": bool(fit.diagnostics.ok)}
if model in ("conjugate", "pooled") and sampler == "pymc":
    def again(events_added):  # new counts of the same shape: one more child with the outcome in each row
        new = counts.assign(events=np.minimum(counts["events"] + events_added, counts["total"]))
        w, c = time.perf_counter(), time.process_time()
        draws = evidence.update(new, prior, seed=2, sampler=sampler).draws()
        return time.process_time() - c, time.perf_counter() - w, draws

    if order == 0:  # the kept model first, then one built afresh for the same counts
        kept = again(1)
        evidence._KEPT_MODELS.clear()
        afresh = again(1)
        out["same_draws"] = bool(np.array_equal(kept[2], afresh[2]))
    else:  # afresh first (it is then kept), then the kept model with other new counts
        evidence._KEPT_MODELS.clear()
        afresh = again(1)
        kept = again(2)
    out.update(kept=kept[0], kept_wall=kept[1], afresh=afresh[0], afresh_wall=afresh[1])
print(json.dumps(out))
"""


def run(model: str, sampler: str, compiledir: str, order: int = 0) -> dict:
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={compiledir}", MPLBACKEND="Agg")
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", CHILD, model, sampler, str(order)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{model}/{sampler} failed:\n{res.stderr[-2000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["total"] = time.perf_counter() - start
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="*", default=["conjugate", "pooled", "timeliness", "breakdown"])
    parser.add_argument("--samplers", nargs="*", default=["pymc", "nutpie"])
    parser.add_argument("--pairs", type=int, default=3,
                        help="alternating (cold, warm) pairs per model and sampler; the medians are shown")
    harness.add_json_argument(parser)
    args = parser.parse_args(argv)
    rows, table = [], []
    for model in args.models:
        result = {}
        for sampler in args.samplers:
            with tempfile.TemporaryDirectory(prefix="pytensor-bench-warm-") as warm_cache:
                run(model, sampler, warm_cache)  # fills the warm cache, outside the count
                colds, warms = [], []
                for i in range(args.pairs):
                    def cold_run():
                        with tempfile.TemporaryDirectory(prefix="pytensor-bench-cold-") as cache:
                            return run(model, sampler, cache)

                    # which goes first alternates, so a busy moment does not always fall on one side
                    if i % 2 == 0:
                        colds.append(cold_run()), warms.append(run(model, sampler, warm_cache, i % 2))
                    else:
                        warms.append(run(model, sampler, warm_cache, i % 2)), colds.append(cold_run())
            result[sampler] = (colds, warms)
            ratios = [c["fit"] / w["fit"] for c, w in zip(colds, warms)]
            median = statistics.median
            rows.append(harness.Row("evidence", f"{model} model, {sampler}: a first fit (empty compile cache)",
                                    "a later fit (warm cache)", median([c["fit"] for c in colds]),
                                    median([w["fit"] for w in warms]), median(ratios), None, None, args.pairs,
                                    min(ratios), max(ratios), median([c["fit_wall"] for c in colds]),
                                    median([w["fit_wall"] for w in warms]), "(no stated aim; fit in a new process)"))
            if "kept" in warms[0]:
                if not all(w.get("same_draws", True) for w in warms):
                    raise SystemExit(f"{model}/{sampler}: the kept model and a new one gave different draws")
                kept = [w["kept"] / w["afresh"] for w in warms]
                rows.append(harness.Row("evidence", f"{model} model, {sampler}: an update with new counts of the same "
                                        "shape (model kept from the session's first fit)",
                                        "the same update on a model built afresh (warm cache)",
                                        median([w["kept"] for w in warms]), median([w["afresh"] for w in warms]),
                                        median(kept), None, None, args.pairs, min(kept), max(kept),
                                        median([w["kept_wall"] for w in warms]), median([w["afresh_wall"] for w in warms]),
                                        "(no stated aim; same draws checked)"))
        table.append((model, result))
    header = f"{'model':11s}" + "".join(f" | {s + ' cold':>12s} {s + ' warm':>12s} {'cold/warm':>9s}" for s in args.samplers)
    if len(args.samplers) == 2:
        header += f" | {args.samplers[1] + '/' + args.samplers[0] + ' cold':>18s} {'warm':>6s}"
    print(f"CPU seconds to build, compile and sample (2 chains x 1000 draws after 1000 tuning), fresh process each, "
          f"median of {args.pairs} alternating pairs:")
    print(header)
    for model, result in table:
        line = f"{model:11s}"
        fits = {}
        for s in args.samplers:
            colds, warms = result[s]
            cold, warm = (statistics.median([r["fit"] for r in runs]) for runs in (colds, warms))
            fits[s] = (cold, warm)
            flag = "" if all(r["ok"] for r in colds + warms) else "*"
            line += f" | {cold:11.1f}{flag} {warm:12.1f} {cold / warm:9.1f}"
        if len(args.samplers) == 2:
            a, b = (fits[s] for s in args.samplers)
            line += f" | {b[0] / a[0]:18.2f} {b[1] / a[1]:6.2f}"
        print(line)
    print("(* = diagnostics failed in a run; import of pymc/decide not included, about 1-3 s)\n")
    harness.emit("evidence", rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
