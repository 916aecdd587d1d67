"""Run every benchmark (benchmarks/bench_*.py) and gather their rows into one table (`make bench`).

Each benchmark runs as its own process with ``--json FILE``; its rows (ratios against the
issue's aims, measured by benchmarks/harness.py: alternating pairs, median of per-pair ratios,
BLAS on one thread) go into build/bench.md (a markdown table, with the machine and the date) and
build/bench.json. A benchmark that fails, or that writes no rows, is listed as such with the end
of its output, so a missing number is visible rather than silently absent.
Run: .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--skip NAME ...] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

HERE = Path(__file__).resolve().parent


def discover(only: list[str], skip: list[str]) -> list[Path]:
    """bench_*.py in this folder, by name (the 'bench_' and '.py' may be left out of only/skip)."""
    def short(p: Path) -> str:
        return p.stem.removeprefix("bench_")

    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if short(p) in only or p.stem in only]
    return [p for p in found if short(p) not in skip and p.stem not in skip]


#: Arguments `make bench` gives a benchmark whose full run takes too long to repeat every time (each still runs
#: in full when called by itself). bench_evidence compiles models from an empty cache, 10-40 s a fit: here one
#: small and one large model, PyMC's sampler only, one cold/warm pair (no aim of issue 14 rests on it).
QUICK_ARGS: dict[str, list[str]] = {
    "bench_evidence": ["--models", "conjugate", "timeliness", "--samplers", "pymc", "--pairs", "1"],
    "bench_audit_postgres": ["--pairs", "3"],
}


def run_one(path: Path, timeout: float) -> dict:
    """Run one benchmark; its rows, or why there are none."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(path), *QUICK_ARGS.get(path.stem, []), "--json", str(out)],
                                  cwd=harness.ROOT,
                                  env={**os.environ, "MPLBACKEND": "Agg"}, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"benchmark": path.stem, "status": f"stopped after {timeout:.0f} s", "rows": [], "output": ""}
        seconds = time.perf_counter() - start
        text = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            why = "does not accept --json" if "unrecognized arguments: --json" in text else f"failed ({done.returncode})"
            return {"benchmark": path.stem, "status": why, "rows": [], "output": text[-1500:], "seconds": seconds}
        if not out.exists():
            return {"benchmark": path.stem, "status": "wrote no rows", "rows": [], "output": text[-1500:],
                    "seconds": seconds}
        data = json.loads(out.read_text())
        rows = data.get("rows", [])
        for r in rows:
            r.setdefault("benchmark", data.get("benchmark", path.stem))
        return {"benchmark": path.stem, "status": "ok", "rows": rows, "output": text[-1500:], "seconds": seconds,
                "when": harness.machine()["date"], "load_average": round(os.getloadavg()[0], 2)}


def _row_line(r: dict) -> str:
    """One markdown row from a harness row or another benchmark's row (bench_startup's own keys)."""
    what = r.get("what") or r.get("command") or "?"
    base = r.get("baseline", "")
    ours = r.get("seconds", r.get("cpu_s"))
    base_s = r.get("baseline_seconds", r.get("baseline_cpu_s"))
    ratio, aim = r.get("ratio"), r.get("aim")
    aim_text = r.get("aim_text") or (f"<= {aim:g}x" if isinstance(aim, int | float) and aim >= 1 else
                                     f">= {1 / aim:g}x faster" if isinstance(aim, int | float) and aim > 0 else
                                     "(no stated aim)")
    spread = (f" ({r['ratio_low']:.2f}-{r['ratio_high']:.2f}, {r.get('pairs', '?')} pairs)"
              if "ratio_low" in r else f" ({r['pairs']} pairs)" if "pairs" in r else "")
    num = (lambda x: f"{x:.3f}" if isinstance(x, int | float) else "-")
    met = r.get("met")
    return (f"| {r.get('benchmark', '')} | {what} | {base} | {num(ours)} | {num(base_s)} | "
            f"{ratio:.2f}{spread} | {aim_text} | {'yes' if met else 'NO' if met is not None else '-'} |"
            if isinstance(ratio, int | float) else f"| {r.get('benchmark', '')} | {what} | {base} | - | - | - | {aim_text} | ? |")


def markdown(results: list[dict], machine: dict) -> str:
    lines = ["# Benchmarks against issue 14's aims", "",
             f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, numpy {machine['numpy']}; "
             f"{machine['date']}; load average at the end {machine['load_average']}. BLAS on one thread; times are "
             "CPU seconds (process and children), ratios the median of alternating pairs.", "",
             "| benchmark | what | baseline | ours (CPU s) | baseline (CPU s) | ratio | aim | met |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for res in results:
        lines += [_row_line(r) for r in res["rows"]]
    runs = [f"{res['benchmark']} {res['when']} (load {res['load_average']})" for res in results if res.get("when")]
    if runs:
        lines += ["", "When each ran: " + "; ".join(runs) + "."]
    missing = [res for res in results if res["status"] != "ok" or not res["rows"]]
    if missing:
        lines += ["", "Benchmarks without rows:", ""]
        lines += [f"- {res['benchmark']}: {res['status']}" for res in missing]
    rows = [r for res in results for r in res["rows"]]
    aims = [r for r in rows if r.get("met") is not None]
    lines += ["", f"{sum(1 for r in aims if r['met'])} of {len(aims)} aims met."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="run only these (e.g. core report)")
    parser.add_argument("--skip", nargs="*", default=[], help="leave these out (e.g. audit_postgres)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per benchmark (default 1800)")
    parser.add_argument("--out", default=str(harness.ROOT / "build"), help="folder for bench.md and bench.json")
    parser.add_argument("--keep-others", action="store_true",
                        help="keep the rows of benchmarks not run this time from the last bench.json (each says when it ran)")
    args = parser.parse_args(argv)
    results = []
    for path in discover(args.only, args.skip):
        print(f"running {path.name} ...", flush=True)
        res = run_one(path, args.timeout)
        results.append(res)
        print(f"  {res['status']}, {len(res['rows'])} rows" + (f", {res['seconds']:.0f} s" if "seconds" in res else ""),
              flush=True)
        if res["status"] != "ok":
            print("  " + res["output"].replace("\n", "\n  ")[-600:], flush=True)
    machine = harness.machine()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.keep_others and (out / "bench.json").exists():
        ran = {res["benchmark"] for res in results}
        earlier = json.loads((out / "bench.json").read_text()).get("benchmarks", [])
        results += [res for res in earlier if res["benchmark"] not in ran]
        order = [p.stem for p in discover([], [])]
        results.sort(key=lambda res: order.index(res["benchmark"]) if res["benchmark"] in order else len(order))
    text = markdown(results, machine)
    (out / "bench.md").write_text(text)
    (out / "bench.json").write_text(json.dumps({"machine": machine, "benchmarks": results}, indent=1))
    print("\n" + text + f"\nwritten: {out / 'bench.md'}, {out / 'bench.json'}")
    return 0 if all(res["status"] == "ok" for res in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
