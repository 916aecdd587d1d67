"""Errors point at the line at fault: each broken case below marks that line with '#<' and the
error must name exactly that line (the oracle is the text itself, not the code under test)."""

from __future__ import annotations

import pytest

from decide import CaseError, Decision

BASE = """\
question: Which option?
date: 2026-03-01
decided_by: [social worker]
known:
  - what: a report
    source: records
    date: 2026-02-01
    informs: [rate]
quantities:
  - name: rate
    kind: probability
    judgement: {low: 0.2, likely: 0.3, high: 0.4}
  - name: harm size
    kind: magnitude
    judgements:
      - {by: social worker, low: 40, likely: 50, high: 60}
      - {by: team manager, low: 30, likely: 45, high: 55}
factors:
  - name: support
    kind: protective
    odds_ratio: {low: 0.5, likely: 0.7, high: 0.9}
options:
  - name: home
    outcomes:
      - name: harm
        kind: harm
        chance: rate
        factors: [support]
        horizon: 2 years
        magnitude: harm size
      - name: family life
        kind: benefit
        chance:
          low: 0.5
          likely: 0.7
          high: 0.8
        horizon: 2 years
        magnitude: 40
  - name: care
    outcomes:
      - name: moves
        kind: harm
        chance: 0.3
        horizon: 2 years
        magnitude: 30
values:
  harm_weight: 1
  harm_weight_range: [0.5, 2]
enquiries:
  - name: assessment
    informs: [rate]
    weeks: 6
delay_harm_per_week: 0.2
scenarios:
  - name: worse
    quantities: {rate: 0.5}
    odds_ratios: {harm: 1.5}
"""


def broken(old: str, new: str, count: int = 1) -> str:
    """The base case with one change; the new text carries the '#<' marker on the line at fault."""
    assert BASE.count(old) >= count, old
    return BASE.replace(old, new, count)


def marked_line(text: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if "#<" in line]
    assert len(lines) == 1, lines
    return lines[0]


CASES = {
    # wrong types in nested places
    "outcome kind misspelt": broken("        kind: benefit\n", "        kind: bnefit  #<\n"),
    "horizon a list": broken("        horizon: 2 years\n        magnitude: 30", "        horizon: [2, years]  #<\n        magnitude: 30"),
    "horizon unreadable": broken("        horizon: 2 years\n        magnitude: 40", "        horizon: soon  #<\n        magnitude: 40"),
    "option not a mapping": broken("  - name: care\n    outcomes:\n      - name: moves\n        kind: harm\n        chance: 0.3\n"
                                   "        horizon: 2 years\n        magnitude: 30\n",
                                   "  - care  #<\n  - name: care\n    outcomes:\n      - name: moves\n        kind: harm\n"
                                   "        chance: 0.3\n        horizon: 2 years\n        magnitude: 30\n"),
    "outcomes not a list": broken("  - name: care\n    outcomes:\n      - name: moves\n        kind: harm\n        chance: 0.3\n"
                                  "        horizon: 2 years\n        magnitude: 30\n", "  - name: care\n    outcomes: moves  #<\n"),
    "magnitude text in a block judgement": broken("          likely: 0.7\n", "          likely: high  #<\n"),
    # unknown fields deep down
    "unknown field in an outcome": broken("        magnitude: 30\n", "        magnitude: 30\n        colour: red  #<\n"),
    "unknown field in a pooled judgement": broken("{by: team manager, low: 30, likely: 45, high: 55}",
                                                  "{by: team manager, low: 30, likely: 45, hihg: 55}  #<"),
    "unknown field with a block value": broken("values:\n", "options_extra:  #<\n  - a\n  - b\nvalues:\n"),
    # bad judgements inside judgements: lists and blocks
    "pooled judgement out of order": broken("{by: team manager, low: 30, likely: 45, high: 55}",
                                            "{by: team manager, low: 50, likely: 45, high: 55}  #<"),
    "pooled judgement not a mapping": broken("      - {by: team manager, low: 30, likely: 45, high: 55}", "      - forty-five  #<"),
    "block judgement out of order": broken("        chance:\n          low: 0.5", "        chance:  #<\n          low: 0.75"),
    "probability out of range inline": broken("        chance: 0.3\n", "        chance: 1.3  #<\n"),
    "verbal term for a magnitude quantity": broken("    judgements:\n      - {by: social worker, low: 40, likely: 50, high: 60}",
                                                   "    judgements:\n      - {by: social worker, verbal: likely}  #<"),
    "judgement and judgements both": broken("    judgement: {low: 0.2, likely: 0.3, high: 0.4}\n",
                                            "    judgement: {low: 0.2, likely: 0.3, high: 0.4}\n    judgements:  #<\n"
                                            "      - {low: 0.2, likely: 0.3, high: 0.4}\n"),
    # scenarios
    "scenario value not a number": broken("quantities: {rate: 0.5}", "quantities: {rate: lots}  #<"),
    "scenario sets an unknown input": broken("quantities: {rate: 0.5}", "quantities: {rat: 0.5}  #<"),
    "scenario shifts an unknown outcome": broken("odds_ratios: {harm: 1.5}", "odds_ratios: {harms: 1.5}  #<"),
    "scenario harm weight negative": broken("    odds_ratios: {harm: 1.5}\n", "    odds_ratios: {harm: 1.5}\n    harm_weight: -1  #<\n"),
    # duplicate names
    "duplicate option": broken("  - name: care\n", "  - name: home  #<\n"),
    "duplicate outcome": broken("      - name: family life\n", "      - name: harm  #<\n"),
    "duplicate quantity": broken("factors:\n", "  - name: rate  #<\n    judgement: {low: 0.1, likely: 0.2, high: 0.3}\nfactors:\n"),
    "duplicate scenario": BASE + "  - name: worse  #<\n    quantities: {rate: 0.6}\n",
    # enquiries
    "enquiry waits no time": broken("    weeks: 6\n", "    weeks: 0  #<\n"),
    "enquiry informs nothing known": broken("    informs: [rate]\n    weeks", "    informs: [rat]  #<\n    weeks"),
    "enquiry study of a fraction of cases": broken("    weeks: 6\n", "    weeks: 6\n    cases: 2.5  #<\n"),
    # the values block
    "harm weight range reversed": broken("  harm_weight_range: [0.5, 2]", "  harm_weight_range: [2, 0.5]  #<"),
    "scale limits reversed": broken("  harm_weight_range: [0.5, 2]", "  harm_weight_range: [0.5, 2]\n  scale_min: 50\n  scale_max: 10  #<"),
    "harm weight text": broken("  harm_weight: 1\n", "  harm_weight: heavy  #<\n"),
    # references and evidence
    "evidence informs no quantity": broken("    informs: [rate]\nquantities", "    informs: [rat]  #<\nquantities"),
    "evidence dated after the decision": broken("    date: 2026-02-01\n", "    date: 2026-04-01  #<\n"),
    "factor with the wrong direction": broken("    kind: protective\n", "    kind: risk  #<\n"),
    "outcome names a missing factor": broken("        factors: [support]\n", "        factors: [suport]  #<\n"),
    "missing field in an outcome": broken("      - name: moves\n        kind: harm\n", "      - name: moves  #<\n"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_error_names_the_line_at_fault(name):
    text = CASES[name]
    with pytest.raises(CaseError) as info:
        Decision.from_yaml_text(text)
    lines = {p.line for p in info.value.problems}
    assert lines == {marked_line(text)}, f"{name}: reported lines {lines}, fault on line {marked_line(text)}:\n{info.value}"


def test_the_base_case_is_valid():
    """So that each broken case above is broken by its one change alone."""
    Decision.from_yaml_text(BASE)


def test_a_field_missing_at_the_top_level_names_no_line():
    """The first line of the file is not where a missing question is; the field's name says it."""
    text = BASE.replace("question: Which option?\n", "")
    with pytest.raises(CaseError) as info:
        Decision.from_yaml_text(text)
    (problem,) = info.value.problems
    assert problem.where == "question" and problem.line is None


def test_a_merged_mapping_is_blamed_on_the_line_where_the_value_is_written():
    text = BASE.replace("      - name: moves\n        kind: harm\n        chance: 0.3\n        horizon: 2 years\n        magnitude: 30\n",
                        "      - <<: &moves\n          chance: 1.5  #<\n        name: moves\n        kind: harm\n"
                        "        horizon: 2 years\n        magnitude: 30\n")
    with pytest.raises(CaseError) as info:
        Decision.from_yaml_text(text)
    assert {p.line for p in info.value.problems} == {marked_line(text)}
