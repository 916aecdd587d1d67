"""Shared starting points for the catalogue: the smallest valid case and the example files."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

#: The smallest valid case: two options, one quantity, no known items.
MINIMAL_CASE = {
    "question": "Which option?",
    "date": "2026-01-15",
    "decided_by": ["social worker"],
    "quantities": [{"name": "harm_rate", "kind": "probability", "judgement": {"low": 0.2, "likely": 0.3, "high": 0.4}}],
    "options": [
        {"name": "home", "outcomes": [{"name": "harm", "kind": "harm", "chance": "harm_rate", "horizon": "1 year", "magnitude": 60}]},
        {"name": "care", "outcomes": [{"name": "moves", "kind": "harm", "chance": 0.3, "horizon": "1 year", "magnitude": 30}]},
    ],
}


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def example(name: str) -> str:
    """The text of an example file, e.g. example('data/cases/return_home.yaml')."""
    return (ROOT / name).read_text(encoding="utf-8")
