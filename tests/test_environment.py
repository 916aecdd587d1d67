"""environment.yml (conda users) must name the same packages with the same ranges as pyproject.toml."""

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    return {Requirement(r).name.lower(): Requirement(r).specifier for r in reqs}, data["project"]["requires-python"]


def _conda():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out, python = {}, None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # a "- pip:" block
            for r in dep.get("pip", []):
                out[Requirement(r).name.lower()] = Requirement(r).specifier
            continue
        req = Requirement(dep.replace(" ", ""))
        if req.name == "python":
            python = req.specifier
        else:
            out[req.name.lower()] = req.specifier
    return out, python, env


def test_same_packages_and_ranges():
    pip, _ = _pyproject()
    conda, _, _ = _conda()
    assert set(pip) == set(conda), f"only in pyproject: {set(pip) - set(conda)}; only in environment.yml: {set(conda) - set(pip)}"
    for name, spec in pip.items():
        assert spec == conda[name], f"{name}: pyproject says '{spec}', environment.yml says '{conda[name]}'"


def test_same_python_and_conda_forge():
    _, requires_python = _pyproject()
    _, python, env = _conda()
    assert str(python) == requires_python
    assert env["channels"] == ["conda-forge"]


def test_constraints_satisfy_ranges():
    """The pinned set the Makefile installs must sit inside pyproject's ranges."""
    pip, _ = _pyproject()
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#") and "==" in line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version.strip()
    for name, spec in pip.items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert spec.contains(pins[name]), f"{name}=={pins[name]} in constraints.txt is outside '{spec}'"
