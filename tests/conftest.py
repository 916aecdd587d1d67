import copy
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# In CI the property tests draw the same examples every run (a failure there is then one anyone
# can reproduce with CI=true); on a developer's machine they explore new examples each run.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

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


def to_yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def pytest_terminal_summary(terminalreporter):
    """Print the size and classes of the catalogue of bad inputs whenever it ran."""
    import sys

    mod = sys.modules.get("test_catalogue")
    if mod is None:
        return
    counts = mod.SIZE
    terminalreporter.write_sep("-", f"catalogue of bad and hostile inputs: {sum(counts.values())} entries in {len(counts)} classes")
    for klass, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        terminalreporter.write_line(f"  {n:4d}  {klass}")
