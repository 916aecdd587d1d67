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
    assert "probability_best" in out and "Highest expected value" in out


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
