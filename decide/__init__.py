"""decide: deliberation under uncertainty for children's social care.

The stages of a deliberation, one module each:
frame (the decision) -> judge (judgements to distributions) -> simulate -> compare -> plots.

Names are loaded on first use (PEP 562), so ``import decide`` and ``decide --help`` do not pay
for pandas, xarray or SciPy; ``decide.simulate(...)``, ``from decide import summary`` and
``from decide import *`` work as if everything were imported here.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["acceptability", "expected_regret", "harm_weight_switches", "outcome_table", "preferred",
                     "probability_best", "summary", "threshold", "tornado"], "decide.compare"),
    **dict.fromkeys(["CaseError", "DecideError"], "decide.errors"),
    **dict.fromkeys(["Decision", "EvidenceItem", "Factor", "Option", "Outcome", "Quantity", "Values"], "decide.frame"),
    **dict.fromkeys(["Judgement", "pool", "verbal_band"], "decide.judge"),
    **dict.fromkeys(["Model", "Simulation", "simulate"], "decide.simulate"),
}

__all__ = sorted([*_LAZY, "load_case"])


def load_case(path):
    """Read and validate a YAML case file."""
    from decide.frame import Decision

    return Decision.from_yaml(path)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'decide' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """Keeps ``decide.simulate`` the function: importing the submodule decide.simulate (which any
    ``from decide.simulate import ...`` does) would otherwise replace it with the module."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and name in _LAZY and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
