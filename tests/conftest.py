import copy
import datetime
import gc
import json
import os
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# In CI the property tests draw the same examples every run (a failure there is then one anyone
# can reproduce with CI=true); on a developer's machine they explore new examples each run.
# No per-example deadline: on a busy two-core machine running two workers an example can take twice hypothesis's
# 200 ms for no fault of the code, and timing is the benchmarks' business, not the tests'.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Python's cycle collector, less often: a test worker holds every collected test, module and catalogue entry, and
# each full collection walked them all (about 1,700 collections for the catalogue and the value-of-information
# tests; 64 with these thresholds, for half the collector's CPU). Cyclic garbage waits a little longer to be freed.
gc.set_threshold(50_000, 100, 100)

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "data" / "cases"

#: A small valid case used as the starting point of many tests.
BASE_CASE = {
    "question": "Which placement?",
    "date": "2026-01-15",
    "decided_by": ["social worker"],
    "quantities": [
        {"name": "base_rate", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": 20, "beta": 30}}},
        {"name": "severity", "kind": "magnitude", "judgement": {"low": 40, "likely": 60, "high": 80}},
    ],
    "factors": [{"name": "support", "kind": "protective", "odds_ratio": {"low": 0.5, "likely": 0.7, "high": 0.95}}],
    "options": [
        {
            "name": "home",
            "outcomes": [
                {"name": "harm", "kind": "harm", "chance": "base_rate", "horizon": "1 year", "magnitude": "severity", "factors": ["support"]},
                {"name": "belonging", "kind": "benefit", "chance": {"verbal": "likely"}, "horizon": "1 year", "magnitude": 50},
            ],
        },
        {
            "name": "care",
            "outcomes": [
                {"name": "moves", "kind": "harm", "chance": 0.2, "horizon": "1 year", "magnitude": {"low": 10, "likely": 20, "high": 35}},
                {"name": "safety", "kind": "benefit", "chance": {"verbal": "highly likely", "confidence": "high"}, "horizon": "1 year", "magnitude": 30},
            ],
        },
    ],
}


#: A small uncertain return-home decision shared by the value-of-information and robustness tests.
RELAPSE_CASE = {
    "question": "Which option?", "date": "2026-01-01", "decided_by": ["social worker"],
    "quantities": [
        {"name": "relapse", "kind": "probability", "judgement": {"distribution": "Beta", "params": {"alpha": 6, "beta": 9}}},
        {"name": "harm_of_relapse", "kind": "magnitude", "judgement": {"low": 40, "likely": 60, "high": 80}},
        {"name": "benefit_of_home", "kind": "magnitude", "judgement": {"low": 30, "likely": 45, "high": 60}},
    ],
    "options": [
        {"name": "return home", "outcomes": [
            {"name": "relapse harms child", "kind": "harm", "chance": "relapse", "horizon": "1 year", "magnitude": "harm_of_relapse"},
            {"name": "family life", "kind": "benefit", "chance": 0.8, "horizon": "1 year", "magnitude": "benefit_of_home"}]},
        {"name": "stay in foster care", "outcomes": [
            {"name": "stable care", "kind": "benefit", "chance": 0.9, "horizon": "1 year", "magnitude": 15.0}]},
    ],
}


@pytest.fixture
def base_case():
    return copy.deepcopy(BASE_CASE)


class LazyModule:
    """A module imported on first use. pytest-xdist collects every test file on every worker, so a test file
    that imported preliz (3 CPU seconds) or panel at the top made both workers pay for it, whichever ran its
    tests."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        import importlib

        if attr.startswith("_"):
            # pytest looks for private marks (``_mock_name``, ``_fixture_function_marker``) on every name of a test
            # module while collecting; answering them would import the module on every worker after all. A test
            # that needs a module's private name, or monkeypatches it, imports the module itself.
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)


def to_yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def pytest_terminal_summary(terminalreporter):
    """Print the size and classes of the catalogue of bad inputs whenever it ran.

    Under pytest-xdist the tests run in worker processes, so the main process imports the catalogue
    itself when any of its tests reported.
    """
    import importlib
    import sys

    mod = sys.modules.get("test_catalogue")
    if mod is None:
        ran = any(getattr(r, "nodeid", "").startswith("tests/test_catalogue.py")
                  for reports in terminalreporter.stats.values() for r in reports)
        if not ran:
            return
        if str(ROOT / "tests") not in sys.path:
            sys.path.insert(0, str(ROOT / "tests"))
        mod = importlib.import_module("test_catalogue")
    counts = mod.SIZE
    terminalreporter.write_sep("-", f"catalogue of bad and hostile inputs: {sum(counts.values())} entries in {len(counts)} classes")
    for klass, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        terminalreporter.write_line(f"  {n:4d}  {klass}")


# --- notebooks: nbval's run serves as the second run of tests/test_notebooks.py --------------------------------

#: What each notebook's code cells showed when nbval ran them in this process: {notebook stem: {cell number:
#: (source, outputs)}}. tests/test_notebooks.py compares it with the demo's run of the same notebook, so a
#: notebook is executed twice in all (nbval's run and the demo's), not three times.
NBVAL_RUNS: dict[str, dict[int, tuple[str, list]]] = {}

#: The test that needs two runs of each notebook.
SAME_TEXT_TWICE = "test_notebook_gives_the_same_text_twice"


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and str(getattr(item, "fspath", "")).endswith(".ipynb")


def _is_notebook_test(item) -> bool:
    return item.nodeid.startswith("tests/test_notebooks.py")


def _scope(nodeid: str) -> str:
    """The unit pytest-xdist gives to one worker: the test's file, except that the notebooks' nbval cells and
    tests/test_notebooks.py form one unit."""
    path = nodeid.split("::", 1)[0]
    return "notebooks" if path.endswith(".ipynb") or path == "tests/test_notebooks.py" else path


def pytest_xdist_make_scheduler(config, log):
    """Schedule by :func:`_scope`. (xdist's own ``--dist loadgroup`` does nothing on pytest 9: it renames
    ``item._nodeid``, which pytest 9 no longer reads, so the groups were split across workers.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByScope(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _scope(nodeid)

    config.option.loadscopereorder = False  # the order is LONGEST_FIRST's (pytest_collection_modifyitems)
    return ByScope(config, log)


#: The units that take longest (seconds of a whole `make test` on a quiet 2-core machine, 2026-12-04), handed to
#: the workers first: a long unit started last keeps one worker busy while the other has nothing left to do.
#: The other files follow, those with more tests first (pytest-xdist's own order).
LONGEST_FIRST = ("notebooks", "tests/test_catalogue.py", "tests/test_audit_engines.py", "tests/test_indicators.py",
                 "tests/test_evidence.py", "tests/test_audit_duckdb.py", "tests/test_workshop_browser.py", "tests/test_case_report.py",
                 "tests/test_jupyterlab_browser.py", "tests/test_workshop_notebook.py")


def _by_length(items: list) -> list:
    """Items grouped by :func:`_scope`, the longest units first, each unit's items in their own order."""
    units: dict[str, list] = {}
    for item in items:
        units.setdefault(_scope(item.nodeid), []).append(item)
    rank = {scope: i for i, scope in enumerate(LONGEST_FIRST)}
    order = sorted(units, key=lambda scope: (rank.get(scope, len(rank)), -len(units[scope])))
    return [item for scope in order for item in units[scope]]


def pytest_collection_modifyitems(config, items):
    """Run nbval's cells of each notebook (together and in order: they share one kernel) after the rest of
    tests/test_notebooks.py and before the test that compares nbval's run with the demo's; the longest units
    first."""
    nbval = [item for item in items if _is_nbval_cell(item)]
    twice = [item for item in items if _is_notebook_test(item) and getattr(item, "originalname", "") == SAME_TEXT_TWICE]
    moved = {id(item) for item in nbval + twice}
    items[:] = _by_length([item for item in items if id(item) not in moved] + nbval + twice)


class NbvalCapture:
    """Keeps what nbval's cells showed. A plugin object rather than a hook in this file: conftest hooks about a
    test apply only to tests under this folder, and the notebooks' cells live in notebooks/."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        try:
            return (yield)
        finally:
            outputs = getattr(item, "test_outputs", None)
            if _is_nbval_cell(item) and outputs is not None:
                # kept on the config: a test module's `import conftest` may be a second copy of this module
                kept = item.config.__dict__.setdefault("decide_nbval_runs", NBVAL_RUNS)
                kept.setdefault(Path(str(item.fspath)).stem, {})[item.cell_num] = (item.cell.source, list(outputs))


def pytest_configure(config):
    config.pluginmanager.register(NbvalCapture(), "decide-nbval-capture")
    config.decide_started = time.perf_counter()


#: Where a whole run of the suite leaves its wall time, for `make bench` (issue 14: `make test` within 5 minutes).
TEST_TIME = ROOT / "build" / "test-time.json"


def pytest_sessionfinish(session, exitstatus):
    """Record the wall time of a whole run (every test selected, in the main process), with the machine's load."""
    config = session.config
    if hasattr(config, "workerinput") or not hasattr(config, "decide_started"):
        return
    whole = (not config.option.keyword and not config.option.markexpr and not config.option.deselect
             and all(Path(a).resolve() in {ROOT / t for t in config.getini("testpaths")} for a in config.args))
    if not whole or session.testscollected == 0:
        return
    TEST_TIME.parent.mkdir(parents=True, exist_ok=True)
    TEST_TIME.write_text(json.dumps({
        "seconds": round(time.perf_counter() - config.decide_started, 1), "tests": session.testscollected,
        "failed": session.testsfailed, "workers": getattr(config.option, "numprocesses", None) or 0,
        "cores": os.cpu_count(), "load_average": round(os.getloadavg()[0], 1),
        "measured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}, indent=1) + "\n")
