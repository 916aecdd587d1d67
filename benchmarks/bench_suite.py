"""Benchmark rows for the waits that are whole runs: each notebook (<= 30 s), `make demo` (<= 3 minutes) and
`make test` (<= 5 minutes) against issue 14's aims.

These take minutes, so they are not run again here: the rows are the times the last runs measured, kept by
`make demo` (notebooks/run_times.json: each notebook, and the whole demo) and by `make test` (build/test-time.json,
written when every test ran), each with its date and the machine's load average. A run on a busy machine (load
above twice the cores) is shown but not judged; a time never measured is listed as missing, not guessed.

    .venv/bin/python benchmarks/bench_suite.py [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

RUN_TIMES = harness.ROOT / "notebooks" / "run_times.json"
TEST_TIME = harness.ROOT / "build" / "test-time.json"
#: issue 14's aims, in seconds, for each kind of run
AIMS = {"notebook": 30.0, "demo": 180.0, "test": 300.0}


def row(what: str, entry: dict | None, aim_seconds: float, source: str, own_load: bool = False) -> dict:
    """One row in run_all.py's form: the measured seconds beside the aim, judged only on a quiet machine.

    ``own_load``: the load average at the end is mostly the run's own (the test suite runs two workers, notebook
    kernels, browsers and servers at once), so a high load does not mean other work slowed it: always judged."""
    aim_text = f"<= {aim_seconds:g} s"
    if not entry:
        return {"benchmark": "bench_suite", "what": what, "baseline": f"never measured: run {source}",
                "aim_text": aim_text, "met": None}
    seconds, load, cores = float(entry["seconds"]), entry.get("load_average"), entry.get("cores") or 1
    busy = not own_load and load is not None and load > 2 * cores
    first = bool(entry.get("compiled_files"))  # a first run compiled models; the aims are for warm runs
    when = f"{source}, {entry.get('measured', '?')}, load {load if load is not None else '?'} on {cores} cores"
    note = " (busy: not judged)" if busy else " (a first run, compiling: not judged)" if first else ""
    return {"benchmark": "bench_suite", "what": what, "baseline": f"last {when}{note}",
            "seconds": seconds, "baseline_seconds": None, "ratio": seconds / aim_seconds, "aim": 1.0,
            "aim_text": aim_text, "met": None if busy or first else seconds <= aim_seconds, "wall_seconds": seconds}


def rows() -> list[dict]:
    times = json.loads(RUN_TIMES.read_text(encoding="utf-8")) if RUN_TIMES.exists() else {}
    out = [row(f"notebook {name} (wall s)", entry, AIMS["notebook"], "`make demo`")
           for name, entry in sorted(times.get("notebooks", {}).items())]
    out.append(row("`make demo`, every notebook and report (wall s)", times.get("demo"), AIMS["demo"], "`make demo`"))
    test = json.loads(TEST_TIME.read_text(encoding="utf-8")) if TEST_TIME.exists() else None
    if test and test.get("failed"):
        test = None  # a run with failures says nothing about how long the suite takes
    out.append(row("`make test`, the whole suite (wall s)", test, AIMS["test"], "`make test`", own_load=True))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.add_json_argument(parser)
    args = parser.parse_args(argv)
    found = rows()
    for r in found:
        seconds = f"{r['seconds']:.1f} s" if "seconds" in r else "-"
        print(f"{r['what']:55s} {seconds:>9s}  aim {r['aim_text']:9s} {r['baseline']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": "bench_suite", "machine": harness.machine(), "rows": found},
                                              indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
