import copy
from pathlib import Path

import pytest
import yaml

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


@pytest.fixture
def base_case():
    return copy.deepcopy(BASE_CASE)


def to_yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False)
