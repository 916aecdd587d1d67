"""The shipped example cases load, cite their base rates, and simulate."""

from pathlib import Path

import numpy as np
import pytest

from decide import Decision, compare, simulate

CASES = sorted((Path(__file__).resolve().parent.parent / "data" / "cases").glob("*.yaml"))


def test_at_least_the_two_worked_cases():
    names = {p.stem for p in CASES}
    assert {"return_home", "permanence"} <= names


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_loads_cites_and_simulates(path):
    d = Decision.from_yaml(path)
    assert all(e.source for e in d.known)
    for q in d.quantities:
        if q.kind == "probability" and any(j.distribution or j.quantiles for j in q.all_judgements):
            assert q.source, f"{q.name}: a base rate needs its source"
    sim = simulate(d, 1000, seed=1)
    s = compare.summary(sim)
    assert np.isfinite(s.values).all()
    assert s["probability_best"].sum() == pytest.approx(1.0)


def test_secondary_sources_are_marked():
    """Figures seen only in a secondary source are marked (S) wherever they are cited."""
    for path in CASES:
        text = path.read_text()
        for marker in ("Farmer, Sturgess", "Farmer et al", "Masson"):
            for line in text.splitlines():
                if marker in line and "source" in line:
                    assert "(S" in line, f"{path.name}: {line.strip()}"


def test_factor_names_stand_for_their_odds_ratio():
    d = Decision.from_yaml(CASES[[p.stem for p in CASES].index("return_home")])
    assert d.resolve_input("previous failed return") == "previous failed return: odds ratio"
    assert d.input_kind("previous failed return") == "odds_ratio"
    assert d.resolve_input("return_lasts") == "return_lasts"
    assert d.resolve_input("no such thing") is None
    sim = simulate(d, 200, seed=1)
    assert set(d.input_names()) == set(sim.model.quantities)
