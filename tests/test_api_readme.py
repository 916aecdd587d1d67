"""The API and the command lines do what the README says (issue 13, part 6).

The README's "From Python" block and its `decide ...` lines are read from README.md and run as
written, so the README cannot drift from the code again.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import decide
from decide.errors import DecideError

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CASE = ROOT / "data" / "cases" / "return_home.yaml"


def readme_block(heading: str, language: str) -> str:
    """The first fenced block of the given language after a README heading."""
    text = README.read_text(encoding="utf-8")
    at = text.index(f"\n{heading}\n")
    found = re.search(rf"```{language}\n(.*?)```", text[at:], flags=re.S)
    assert found, f"no ```{language} block after {heading!r} in README.md"
    return found.group(1)


def readme_commands() -> list[str]:
    """The `decide ...` lines of the README's command-line block: continuations joined, comments
    dropped, an optional part in [brackets] kept (it is run with the option)."""
    lines = readme_block("### From the command line", "sh").replace("\\\n", " ").splitlines()
    out = []
    for line in lines:
        words = shlex.split(line, comments=True)
        if words and words[0] == "decide":
            out.append(" ".join(shlex.quote(w.strip("[]")) for w in words))
    return out


@pytest.fixture(scope="module")
def sim():
    return decide.simulate(decide.load_case(CASE), draws=2000, seed=1)


# --- az.summary and az.plot_* on sim.to_datatree() ---------------------------------------------


def test_arviz_summary_has_one_row_per_existing_pair_and_no_gaps(sim):
    import arviz as az

    s = az.summary(sim.to_datatree())
    assert not s[["mean", "sd"]].isna().any().any()
    pairs = [(o.name, out.name) for o in sim.decision.options for out in o.outcomes]
    assert len(pairs) < sim.dataset.sizes["option"] * sim.dataset.sizes["outcome"]  # the case has gaps to leave out
    for var in ("chance", "magnitude"):
        rows = s.loc[[r for r in s.index if r.startswith(var + "[")]]
        assert list(rows.index) == [f"{var}[{o}: {k}]" for o, k in pairs]
        direct = [float(sim.dataset[var].sel(option=o, outcome=k).values.mean()) for o, k in pairs]
        np.testing.assert_allclose(rows["mean"].to_numpy(float), direct, rtol=0.01)
    ev = s.loc[[f"expected_value[{o}]" for o in sim.options], "mean"].to_numpy(float)
    np.testing.assert_allclose(ev, sim.dataset["expected_value"].values.mean(axis=0), rtol=0.01, atol=0.05)


def test_datatree_holds_exactly_the_simulations_numbers(sim):
    dt = sim.to_datatree()
    chance = dt["posterior"]["chance"].values[0]  # [draw, pair]
    for p, (o, k) in enumerate(sim.pairs()):
        np.testing.assert_array_equal(chance[:, p], sim.dataset["chance"].sel(option=o, outcome=k).values)
        happens = dt["posterior_predictive"]["happens"].values[0, :, p]
        np.testing.assert_array_equal(happens, sim.dataset["happens"].sel(option=o, outcome=k).values)
    assert all(np.issubdtype(v.dtype, np.number) for v in dt["posterior"].data_vars.values())
    kinds = dict(zip(dt["constant_data"]["pair"].values, dt["constant_data"]["kind"].values))
    assert kinds["phased return: re-abuse or neglect"] == "harm"
    assert kinds["phased return: grows up at home with mother"] == "benefit"
    assert "kind" in sim.dataset  # the dataset itself is unchanged for the code that reads it


def test_arviz_plots_run_on_the_same_object(sim):
    import arviz as az
    import matplotlib

    matplotlib.use("Agg")
    dt = sim.to_datatree()
    for plot, names in ((az.plot_forest, ["chance"]), (az.plot_dist, ["expected_value"])):
        pc = plot(dt, var_names=names)
        assert pc.viz is not None


# --- threshold by the names a case uses ---------------------------------------------------------


def test_threshold_accepts_a_factor_by_its_name_in_the_case(sim):
    by_name = decide.threshold(sim, "previous failed return")
    by_input = decide.threshold(sim, "previous failed return: odds ratio")
    assert by_name.quantity == "previous failed return: odds ratio"
    assert by_name.curve.equals(by_input.curve) and by_name.switches.equals(by_input.switches)
    assert list(by_name.curve.columns) == sim.options and len(by_name.curve) == 61
    assert list(by_name.switches.columns) == ["value", "from_option", "to_option"]


def test_threshold_curve_is_the_expected_value_with_the_input_held_there(sim):
    """The curve at each value is the model's expected value averaged over the other inputs' draws."""
    th = decide.threshold(sim, "reabuse_after_return", grid=[0.2, 0.6])
    q = sim.quantity_draws().copy()
    j = sim.model.quantities.index("reabuse_after_return")
    for x in (0.2, 0.6):
        q[:, j] = x
        np.testing.assert_allclose(th.curve.loc[x].to_numpy(), sim.model.expected_value(q).mean(axis=0))


def test_threshold_names_what_it_accepts_when_the_name_is_unknown(sim):
    with pytest.raises(DecideError) as info:
        decide.threshold(sim, "previous failed returns")
    message = str(info.value)
    assert "'previous failed returns'" in message and "did you mean 'previous failed return'" in message
    for name in ("'reabuse_after_return'", "'completed substance-misuse programme'",
                 "'phased return: three more months in limbo: chance'"):
        assert name in message
    assert "odds ratio'" not in message  # factors are offered by the name the case gives them


# --- the README, run as written -----------------------------------------------------------------


def test_readme_python_example_runs_as_written(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    code = readme_block("### From Python", "python")
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "readme"}
    exec(compile(code, str(README) + ": From Python", "exec"), namespace)
    assert isinstance(namespace["sim"], decide.Simulation)


def _run_lines(lines: list[str], cwd: Path) -> list[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    failures = []
    for line in lines:
        words = shlex.split(line)
        if "RECORD.json" in line:  # the README's stand-in for the file `decide record` wrote
            folder = cwd / Path(next(w for w in words if w.endswith("RECORD.json"))).parent
            newest = max(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
            words = [str(newest) if w.endswith("RECORD.json") else w for w in words]
        res = subprocess.run([sys.executable, "-m", *words], cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=300)
        if res.returncode != 0:
            failures.append(f"{line}\n  exit {res.returncode}: {res.stderr.strip()[-600:]}")
    return failures


@pytest.fixture
def workspace(tmp_path):
    """A copy of the repository's data folder, so the commands' outputs land in a temporary folder."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path


RECORD_CHAIN = ("decide record", "decide review", "decide verify")


def test_readme_command_lines_run(workspace):
    lines = [c for c in readme_commands() if not c.startswith(RECORD_CHAIN)]
    assert any(c.startswith("decide check") for c in lines) and any(c.startswith("decide --help") for c in lines)
    failures = _run_lines(lines, workspace)
    assert not failures, "README command lines that fail:\n" + "\n".join(failures)
    assert (workspace / "table.csv").exists() and (workspace / "report.html").exists()


def test_readme_record_review_verify_lines_run(workspace):
    key = [c for c in readme_commands() if c.startswith("decide key")]
    lines = [c for c in readme_commands() if c.startswith(RECORD_CHAIN)]
    assert len(lines) == 3 and key
    failures = _run_lines(key + lines, workspace)
    assert not failures, "README command lines that fail:\n" + "\n".join(failures)


def test_readme_example_case_is_valid_with_no_warnings_and_passes_the_schema(tmp_path):
    """The annotated case under "Writing a case file" is what a newcomer copies first: it must be a
    valid case, give no warnings, and pass the JSON Schema the same section tells editors to use."""
    import json

    import jsonschema
    import yaml

    from decide.frame import Decision

    text = readme_block("### Writing a case file", "yaml")
    case = Decision.from_yaml_text(text, source="README example")
    assert case.warnings() == []
    schema = json.loads((ROOT / "docs" / "case-file.schema.json").read_text(encoding="utf-8"))
    as_editor_reads = json.loads(json.dumps(yaml.safe_load(text), default=str))  # dates are text to an editor
    jsonschema.Draft202012Validator(schema).validate(as_editor_reads)
