"""The benchmark harness and `make bench`'s gatherer: order, medians, verdicts and the table (no timings asserted)."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import harness  # noqa: E402
import run_all  # noqa: E402


def test_blas_is_held_to_one_thread():
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"


def test_sides_alternate_and_the_verdict_is_the_median_of_pair_ratios(monkeypatch):
    calls = []
    # fake clocks: ours costs 3, 1, 3, 1, 30 ... per call, the baseline always 1
    costs = {"ours": iter([3.0, 1.0, 3.0, 1.0, 30.0]), "base": iter([1.0] * 5)}
    now = [0.0]

    def clock():
        return now[0], now[0]

    def side(name):
        def run():
            calls.append(name)
            now[0] += next(costs[name])
        return run

    monkeypatch.setattr(harness, "_clock", clock)
    row = harness.compare("t", "thing", side("ours"), "base", side("base"), aim=2.0, pairs=5, warmup=0)
    assert calls == ["ours", "base", "base", "ours", "ours", "base", "base", "ours", "ours", "base"]
    assert row.ratio == 3.0 and (row.ratio_low, row.ratio_high) == (1.0, 30.0)  # one outlier does not move it
    assert row.met is False and row.pairs == 5


def test_a_stated_time_stands_in_for_a_baseline(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(harness, "_clock", lambda: (now[0], now[0]))

    def report():
        now[0] += 4.0

    row = harness.compare("report", "a report", report, "the stated 5 s", None, aim=1.0, pairs=3, warmup=0,
                          aim_seconds=5.0)
    assert row.ratio == pytest.approx(0.8) and row.met is True and row.baseline_seconds is None
    with pytest.raises(ValueError):
        harness.compare("x", "y", report, "z", report, aim=1.0, aim_seconds=5.0)


def test_a_failing_command_says_so():
    with pytest.raises(RuntimeError, match="failed"):
        harness.command([sys.executable, "-c", "raise SystemExit(3)"])()


def test_the_table_gathers_every_kind_of_row(tmp_path):
    ours = harness.Row("core", "case to summary", "numpy", 2.0, 1.0, 2.5, 2.0, False, 5, 2.1, 2.9, 2.0, 1.0)
    free = harness.Row("world", "loop", "random numbers", 1.0, 0.1, 10.0, None, None, 3, 9.0, 11.0, 1.0, 0.1)
    startup = {"command": "decide --help", "baseline": "python -c pass", "cpu_s": 0.1, "baseline_cpu_s": 0.05,
               "ratio": 2.0, "aim": 3.0, "met": True, "pairs": 9}  # bench_startup's own keys
    from dataclasses import asdict

    results = [{"benchmark": "bench_core", "status": "ok", "rows": [asdict(ours), asdict(free)]},
               {"benchmark": "bench_startup", "status": "ok", "rows": [startup]},
               {"benchmark": "bench_audit", "status": "does not accept --json", "rows": []}]
    text = run_all.markdown(results, harness.machine())
    assert "| core | case to summary | numpy | 2.000 | 1.000 | 2.50 (2.10-2.90, 5 pairs) | <= 2x | NO |" in text
    assert "| world | loop | random numbers | 1.000 | 0.100 | 10.00 (9.00-11.00, 3 pairs) | (no stated aim) | - |" in text
    assert "| decide --help | python -c pass | 0.100 | 0.050 | 2.00 (9 pairs) | <= 3x | yes |" in text
    assert "- bench_audit: does not accept --json" in text
    assert "1 of 2 aims met." in text
    assert "cores" in text


def test_run_all_runs_a_benchmark_and_reads_its_rows(tmp_path, monkeypatch):
    bench = tmp_path / "bench_tiny.py"
    bench.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r})\n"
        "import argparse, harness\n"
        "p = argparse.ArgumentParser(); harness.add_json_argument(p); a = p.parse_args()\n"
        "row = harness.Row('tiny', 'x', 'y', 1.0, 2.0, 0.5, 1.0, True, 1, 0.5, 0.5, 1.0, 2.0)\n"
        "harness.emit('tiny', [row], a.json)\n")
    silent = tmp_path / "bench_silent.py"
    silent.write_text("import argparse\nargparse.ArgumentParser().parse_args()\n")  # knows no --json
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    assert [p.name for p in run_all.discover([], ["silent"])] == ["bench_tiny.py"]
    res = run_all.run_one(bench, timeout=120)
    assert res["status"] == "ok" and res["rows"][0]["ratio"] == 0.5
    assert run_all.run_one(silent, timeout=120)["status"] == "does not accept --json"
    assert run_all.main(["--out", str(tmp_path / "out")]) == 1  # one benchmark without rows
    data = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert [b["benchmark"] for b in data["benchmarks"]] == ["bench_silent", "bench_tiny"]
    assert "| tiny | x | y |" in (tmp_path / "out" / "bench.md").read_text()


def test_suite_rows_judge_neither_a_busy_run_nor_a_first_run():
    from bench_suite import row

    quiet = {"seconds": 20.0, "cores": 2, "load_average": 1.0, "measured": "now"}
    assert row("n", quiet, 30.0, "x")["met"] is True
    assert row("n", {**quiet, "seconds": 40.0}, 30.0, "x")["met"] is False
    assert row("n", {**quiet, "load_average": 5.0}, 30.0, "x")["met"] is None
    first = row("n", {**quiet, "seconds": 45.0, "compiled_files": 40}, 30.0, "x")
    assert first["met"] is None and "first run" in first["baseline"]
    suite = {**quiet, "seconds": 350.0, "load_average": 5.1}  # the suite's own processes make the load
    assert row("t", suite, 300.0, "x", own_load=True)["met"] is False


def test_the_suite_hands_out_its_longest_units_first_and_keeps_each_units_order():
    """tests/conftest.py: the notebooks' unit (nbval's cells with tests/test_notebooks.py) first, then the other
    long files, then the rest by number of tests; within a unit the order is untouched (nbval's cells share a
    kernel and must run in order)."""
    from types import SimpleNamespace

    from conftest import LONGEST_FIRST, _by_length

    ids = ["tests/test_a.py::x", "notebooks/01.ipynb::Cell 0", "tests/test_b.py::y", "tests/test_catalogue.py::e1",
           "tests/test_b.py::z", "notebooks/01.ipynb::Cell 1", "tests/test_notebooks.py::t", "tests/test_catalogue.py::e2"]
    order = [item.nodeid for item in _by_length([SimpleNamespace(nodeid=i) for i in ids])]
    assert order == ["notebooks/01.ipynb::Cell 0", "notebooks/01.ipynb::Cell 1", "tests/test_notebooks.py::t",
                     "tests/test_catalogue.py::e1", "tests/test_catalogue.py::e2",
                     "tests/test_b.py::y", "tests/test_b.py::z", "tests/test_a.py::x"]
    assert LONGEST_FIRST[0] == "notebooks"
