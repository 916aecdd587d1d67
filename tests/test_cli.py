"""The command line: help on every command, clear errors with exit status 2, no overwriting."""

import subprocess
import sys
from pathlib import Path

import pytest

from decide.cli import build_parser, main

CASE = "data/cases/return_home.yaml"


def run(*args):
    return subprocess.run([sys.executable, "-m", "decide", *args], capture_output=True, text=True)


def test_help_on_every_command():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"check", "compare"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0


def test_check_and_compare(capsys):
    assert main(["check", CASE]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["compare", CASE, "--draws", "500", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "chance of being best" in out and "90% interval (points)" in out and "Highest expected value" in out
    assert "probability_best" not in out and "risk_sd" not in out  # plain words, not column names


def test_bad_case_exits_2_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("question: x\ndate: 2026-01-01\ndecided_by: [sw]\noptions: []\n")
    res = run("check", str(bad))
    assert res.returncode == 2
    assert "options" in res.stderr and "Traceback" not in res.stderr


def test_csv_is_never_overwritten_without_force(tmp_path, capsys):
    out = tmp_path / "table.csv"
    out.write_text("mine")
    assert main(["compare", CASE, "--draws", "200", "--csv", str(out)]) == 2
    assert out.read_text() == "mine"
    assert "--force" in capsys.readouterr().err
    assert main(["compare", CASE, "--draws", "200", "--csv", str(out), "--force"]) == 0
    assert out.read_text().startswith("option,")


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    from decide._html import write_new

    path = write_new(tmp_path / "r.html", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_help_does_not_load_the_heavy_libraries():
    """`decide --help` stays quick: preliz (with numba, PyTensor and ArviZ) and PyMC load only
    when judgements are fitted, which reading a case does."""
    code = ("import sys; from decide.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('preliz', 'pymc', 'numba', 'arviz') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "[]"


# --- issue 12: arguments, outputs and errors from reading input ---------------------------------

def test_csv_is_checked_before_simulating(tmp_path, monkeypatch, capsys):
    """A refused --csv costs no simulation and writes nothing."""
    import importlib

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before the output was checked")

    monkeypatch.setattr(importlib.import_module("decide.simulate"), "simulate", no_simulation)
    out = tmp_path / "table.csv"
    out.write_text("mine")
    assert main(["compare", CASE, "--csv", str(out)]) == 2
    assert main(["compare", CASE, "--csv", CASE, "--force"]) == 2
    assert main(["compare", CASE, "--csv", str(out / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "never writes over its input" in err and "is a file, not a folder" in err
    assert out.read_text() == "mine"


def test_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    import csv
    import io

    import yaml

    from conftest import BASE_CASE

    data = yaml.safe_load(yaml.safe_dump(BASE_CASE))
    data["options"][0]["name"] = "=1+1"
    data["options"][1]["name"] = "-care"
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(data))
    out = tmp_path / "t.csv"
    assert main(["compare", str(case), "--draws", "300", "--csv", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'-care"]
    assert all(float(x) == float(x) for r in rows[1:] for x in r[1:])  # numbers stay numbers


@pytest.mark.parametrize("exc, words", [
    (PermissionError(13, "Permission denied", "case.yaml"), "cannot read or write a file (case.yaml): Permission denied"),
    (IsADirectoryError(21, "Is a directory", "cases"), "Is a directory"),
    (RecursionError(), "nested too deeply"),
    (MemoryError(), "not enough memory"),
])
def test_reading_errors_exit_2_with_a_message(monkeypatch, capsys, exc, words):
    import decide.frame

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(decide.frame.Decision, "from_yaml", fail)
    assert main(["check", "case.yaml"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_genuine_bugs_are_not_hidden(monkeypatch):
    import decide.frame

    def bug(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr(decide.frame.Decision, "from_yaml", bug)
    with pytest.raises(ZeroDivisionError):
        main(["check", "case.yaml"])


def test_evidence_command_sums_counts_per_quantity(tmp_path, capsys):
    path = tmp_path / "counts.csv"
    path.write_text(
        "quantity,study,population,horizon_years,events,total,status,source\n"
        "relapse,A,children,2,3,10,V,Author A (2020)\n"
        "relapse,B,children,2,5,10,S,Author B (2021)\n"
        "moves,C,children,1,1,4,V,Author C (2019)\n"
    )
    assert main(["evidence", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid. 3 rows of counts for 2 quantities." in out
    assert "relapse: 2 studies, 8 of 20 children (40.0% before pooling), followed 2 years" in out
    assert "moves: 1 study, 1 of 4 children (25.0% before pooling), followed 1 year" in out
    path.write_text(path.read_text().replace(",5,10,", ",nan,10,"))
    assert main(["evidence", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "column 'events'" in err and "NaN" in err


def test_compare_says_when_the_best_options_cannot_be_told_apart(tmp_path, capsys):
    """Two identical options: no 'highest expected value' winner is named, and the tie is said."""
    import yaml

    from decide.cli import main

    same = [{"name": "h", "kind": "harm", "chance": "r", "horizon": "1 year", "magnitude": 50}]
    case = {"question": "q", "date": "2026-01-01", "decided_by": ["sw"],
            "quantities": [{"name": "r", "kind": "probability", "judgement": {"low": 0.2, "likely": 0.3, "high": 0.4}}],
            "options": [{"name": "a", "outcomes": same}, {"name": "b", "outcomes": same}]}
    path = tmp_path / "tie.yaml"
    path.write_text(yaml.safe_dump(case))
    assert main(["compare", str(path), "--draws", "500"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "a, b cannot be told apart" in last and "ahead of" not in last
