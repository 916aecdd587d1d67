"""The case-file reference (docs/case-file.md): made from the models, so it is up to date, names
every field of every model, and states the numbers the code uses (bands, confidence, percentiles)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from decide.judge import CONFIDENCE_MASS, DISTRIBUTIONS, LOW_LIKELY_HIGH_PROBS, SCALES
from decide.schema import REFERENCE_PATH, models, reference_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def reference() -> str:
    return (ROOT / REFERENCE_PATH).read_text(encoding="utf-8")


def test_committed_reference_is_the_generated_one(reference):
    assert reference == reference_text(), f"{REFERENCE_PATH} is out of date: run decide reference -o {REFERENCE_PATH} --force"


def test_every_model_of_a_case_is_found():
    """Found from the models themselves, so a model added to the case is documented without being listed."""
    assert {"Decision", "EvidenceItem", "Quantity", "Outcome", "Option", "Factor", "Values", "Enquiry", "Scenario",
            "Judgement"} <= set(models())


def _sections(reference: str) -> dict[str, str]:
    parts = re.split(r"^### ", reference, flags=re.M)
    return {p.splitlines()[0]: p for p in parts[1:]}


def test_every_field_of_every_model_has_a_row_with_an_example(reference):
    from decide.schema import TITLES

    sections = _sections(reference)
    for name, model in models().items():
        title = TITLES.get(name, name)
        assert title in sections, f"no section for {name}"
        rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", sections[title], flags=re.M)}
        for field, info in model.model_fields.items():
            assert field in rows, f"{name}.{field} is not in the reference"
            cells = [c.strip() for c in rows[field].strip("|").split(" | ")]
            assert len(cells) == 6, rows[field]
            assert cells[1], f"{name}.{field} has no description: add description= to its Field"
            assert cells[5] != "not in the starting case", f"{name}.{field}: the starting case (decide/starter_case.yaml) has no example"


def test_the_verbal_yardstick_is_stated_with_every_band(reference):
    for scale, terms in SCALES.items():
        for term, (lo, hi) in terms.items():
            assert f"| {term} | {lo:.0%} and {hi:.0%} |" in reference, (scale, term)


def test_confidence_and_percentiles_are_the_code_s_numbers(reference):
    for level, mass in CONFIDENCE_MASS.items():
        assert re.search(rf"^\| {level} \| {mass:.0%} \|", reference, flags=re.M), level
    lo, _, hi = LOW_LIKELY_HIGH_PROBS
    assert f"the {lo * 100:g}th percentile" in reference and f"the {hi * 100:g}th percentile" in reference
    assert all(d in reference for d in DISTRIBUTIONS)


def test_the_topics_a_newcomer_needs_are_covered(reference):
    for heading in ("## The five forms of a judgement", "## The verbal yardstick", "### What confidence does",
                    "## Horizons", "## Sources, and figures seen second-hand",
                    "## Sharing one quantity between options, or judging in place", "## Kinds of quantity, and `kind: number`",
                    "## Enquiries, the harm of delay, and scenarios", "## What the editor's schema cannot check"):
        assert heading in reference, heading
    assert "yaml-language-server: $schema=" in reference and "decide new" in reference


def test_no_number_is_written_in_computer_notation(reference):
    assert not re.search(r"\d e[+-]?\d|\de[+-]\d", reference)
