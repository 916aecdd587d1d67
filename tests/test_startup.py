"""Start-up (issue 14, part 1): `decide --help` and `decide check` load only what they need, and
the shortcuts that let them do so agree with the slow path they stand in for. No timings here:
benchmarks/bench_startup.py measures the ratios."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decide import cli, judge
from decide.judge import Judgement

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["pymc", "pytensor", "preliz", "numba", "matplotlib", "sklearn", "arviz", "cryptography", "scipy.stats",
         "jinja2", "xarray"]

LOADED = """
import runpy, sys
sys.argv = ["decide", *sys.argv[1:]]
try:
    runpy.run_module("decide", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print("LOADED", " ".join(sorted(m for m in sys.modules if "." not in m or m == "scipy.stats")))
"""


def loaded_by(*args: str) -> set[str]:
    """The modules a `python -m decide ...` process has loaded when it ends."""
    res = subprocess.run([sys.executable, "-c", LOADED, *args], cwd=ROOT, capture_output=True, text=True)
    line = next(x for x in res.stdout.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:])


def test_help_loads_no_numerical_library():
    loaded = loaded_by("--help")
    assert not loaded & {*HEAVY, "numpy", "pandas", "pydantic", "scipy", "yaml"}, loaded


def test_check_loads_no_heavy_library():
    loaded = loaded_by("check", "data/cases/return_home.yaml")
    assert not loaded & {*HEAVY, "pandas", "scipy"}, loaded  # scipy: no judgement is fitted to check a file
    assert "pydantic" in loaded  # it did validate


@pytest.mark.parametrize("case", sorted(p.name for p in (ROOT / "data" / "cases").glob("*.yaml")))
def test_every_example_case_checks_without_heavy_libraries(case):
    assert not loaded_by("check", f"data/cases/{case}") & set(HEAVY)


@pytest.mark.parametrize("case", sorted(p.name for p in (ROOT / "data" / "cases").glob("*.yaml")))
def test_report_of_an_example_case_loads_neither_preliz_nor_pymc(case, tmp_path):
    """The report's judgements are fitted, pooled and drawn by decide.distributions (preliz's
    families without preliz, numba, PyTensor, ArviZ or PyMC: about 3 s of imports)."""
    loaded = loaded_by("report", f"data/cases/{case}", "-o", str(tmp_path / "r.html"))
    assert (tmp_path / "r.html").exists()
    assert not loaded & {"preliz", "pymc", "pytensor", "numba", "arviz", "arviz_base", "sklearn"}, loaded


def test_command_index_lists_what_each_module_registers():
    """COMMAND_INDEX lets `decide --help` list commands without importing their modules: it must
    say exactly what their register() adds."""
    found = {}
    for module in cli.COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        found.update({a.dest: (module, a.help) for a in sub._choices_actions})
    paste = "\n".join(f"    {name!r}: {entry!r}," for name, entry in found.items())
    assert cli.COMMAND_INDEX == found, f"update COMMAND_INDEX in decide/cli.py to:\n{paste}"


def test_a_command_run_alone_gets_its_full_parser():
    lazy = cli.build_parser(["report", "x.yaml"])
    full = cli.build_parser()
    choices = lazy._subparsers._group_actions[0].choices
    assert list(choices) == list(full._subparsers._group_actions[0].choices)
    assert choices["report"].format_help() == full._subparsers._group_actions[0].choices["report"].format_help()


# --- the shortcuts agree with preliz ------------------------------------------------------------

def _preliz_check(name, params):
    """The slow path: preliz's own verdict, as judge._check_params gives it without the table."""
    import preliz

    dist = getattr(preliz, name)(**params)
    return dist.is_frozen and all(np.isfinite(getattr(dist, p)) and lo <= getattr(dist, p) <= hi
                                  for p, (lo, hi) in zip(dist.param_names, dist.params_support))


def test_parameter_table_matches_preliz():
    import preliz

    for name, (names, positive, _) in judge._PARAMS.items():
        dist = getattr(preliz, name)()
        assert tuple(dist.param_names) == names, name
        for p, (lo, _hi) in zip(dist.param_names, dist.params_support):
            assert (p in positive) == (lo > 0), (name, p)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(judge._PARAMS)), data=st.data())
def test_plainly_valid_parameters_are_valid_for_preliz_with_the_same_support(name, data):
    import preliz

    names, positive, _ = judge._PARAMS[name]
    params = {p: data.draw(st.floats(0.05, 50) if p in positive else st.floats(-50, 50), label=p) for p in names}
    if "lower" in params:
        params["upper"] = params["lower"] + data.draw(st.floats(0.1, 20), label="width")
        if "mu" in params:
            params["mu"] = params["lower"] + 0.5 * (params["upper"] - params["lower"])
    assert judge._plainly_valid(name, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _preliz_check(name, params)
        expected = tuple(float(x) for x in getattr(preliz, name)(**params).support)
    assert judge.support(name, params) == pytest.approx(expected)


def test_other_parametrisations_still_go_to_preliz():
    assert not judge._plainly_valid("Beta", {"mu": 0.3, "sigma": 0.1})
    assert not judge._plainly_valid("Gamma", {"alpha": 2, "beta": 0})
    assert not judge._plainly_valid("Uniform", {"lower": 2, "upper": 1})
    assert not judge._plainly_valid("Triangular", {"lower": 0, "c": 0.5, "upper": 1})


@settings(max_examples=60, deadline=None)
@given(low=st.floats(0.05, 3), gaps=st.tuples(st.floats(0.01, 3), st.floats(0.01, 3)))
def test_median_shortcut_agrees_with_the_fitted_lognormal(low, gaps):
    """Where the shortcut answers, the side of 1 is the side preliz's fit puts the median on."""
    likely = low + gaps[0]
    j = Judgement(low=low, likely=likely, high=likely + gaps[1])
    side = judge.median_is_clearly(j, "odds_ratio", (0.0, None))
    if side is not None:
        median = j.to_distribution("odds_ratio", (0.0, None)).median()
        assert np.sign(median - 1.0) == side, (j, median)


def test_median_shortcut_decides_the_example_factors():
    from decide.frame import Decision

    d = Decision.from_yaml(ROOT / "data" / "cases" / "return_home.yaml")
    for f in d.factors:
        side = d._median_side(f.odds_ratio)
        assert side == (1 if f.kind == "risk" else -1), f.name
        assert np.sign(d.distribution_of(f.odds_ratio, "odds_ratio").median() - 1) == side


def test_shortcut_never_hides_a_wrong_direction(tmp_path):
    """A factor marked protective whose odds ratio is plainly above 1 is still refused, with the
    fitted median in the message."""
    import yaml

    from conftest import BASE_CASE
    from decide.errors import CaseError
    from decide.frame import Decision

    case = {**BASE_CASE, "factors": [{**BASE_CASE["factors"][0], "odds_ratio": {"low": 1.2, "likely": 1.6, "high": 2.4}}]}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case))
    with pytest.raises(CaseError, match=r"protective but its odds ratio is centred at 1\.6"):
        Decision.from_yaml(path)
