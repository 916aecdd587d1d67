"""decide: deliberation under uncertainty for children's social care.

The stages of a deliberation, one module each:
frame (the decision) -> judge (judgements to distributions) -> simulate -> compare -> plots.
"""

from decide.compare import (
    acceptability,
    expected_regret,
    harm_weight_switches,
    outcome_table,
    preferred,
    probability_best,
    summary,
    threshold,
    tornado,
)
from decide.errors import CaseError, DecideError
from decide.frame import Decision, EvidenceItem, Factor, Option, Outcome, Quantity, Values
from decide.judge import Judgement, pool, verbal_band
from decide.simulate import Model, Simulation, simulate

__version__ = "0.1.0"

__all__ = [
    "CaseError", "DecideError", "Decision", "EvidenceItem", "Factor", "Judgement", "Model", "Option", "Outcome",
    "Quantity", "Simulation", "Values", "acceptability", "expected_regret", "harm_weight_switches", "outcome_table", "pool", "preferred",
    "probability_best", "simulate", "summary", "threshold", "tornado", "verbal_band",
]


def load_case(path) -> Decision:
    """Read and validate a YAML case file."""
    return Decision.from_yaml(path)
