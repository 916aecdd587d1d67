"""Warnings: what in a valid case is probably not what was meant. Each names its line (oracle: a
'#<' mark in the crafted text), says what looks wrong and what to do; the case stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from decide import Decision
from decide.cli import main

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
question: Which option?
date: 2026-03-01
decided_by: [social worker]
quantities:
  - name: rate
    judgement: {low: 0.2, likely: 0.3, high: 0.4}
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
        horizon: 1 year
        magnitude: {low: 40, likely: 50, high: 60}
      - name: family life
        kind: benefit
        chance: {verbal: likely}
        horizon: 1 year
        magnitude: 40
  - name: care
    outcomes:
      - name: moves
        kind: harm
        chance: 0.3
        horizon: 1 year
        magnitude: {low: 10, likely: 20, high: 30}
      - name: stability
        kind: benefit
        chance: {verbal: likely}
        horizon: 1 year
        magnitude: 40
values:
  harm_weight: 1
  harm_weight_range: [0.5, 2]
"""


def marked_line(text: str) -> int:
    (line,) = [i for i, row in enumerate(text.splitlines(), 1) if "#<" in row]
    return line


def with_change(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def test_the_base_case_has_no_warnings():
    """Same plain numbers (40) and the same verbal term for different outcomes are not warned."""
    assert Decision.from_yaml_text(BASE).warnings() == []


def test_a_factor_no_outcome_names():
    text = with_change("factors:\n", "factors:\n  - name: drugs  #<\n    kind: risk\n    odds_ratio: 1.5\n")
    (w,) = Decision.from_yaml_text(text).warnings()
    assert w.line == marked_line(text) and w.where == "factors[0] (drugs).name"
    assert "factor 'drugs' is defined but no outcome names it" in w.message
    assert "add it to the factors of the outcomes it shifts, or remove it" in w.fix


@pytest.mark.parametrize("weight, lo, hi", [(3, 0.5, 2), (0.25, 0.5, 2)])
def test_a_harm_weight_outside_its_own_range(weight, lo, hi):
    text = with_change("  harm_weight: 1\n", f"  harm_weight: {weight}  #<\n")
    (w,) = Decision.from_yaml_text(text).warnings()
    assert w.line == marked_line(text) and w.where == "values.harm_weight"
    assert f"the harm weight {weight:g} lies outside the range given for it ({lo:g} to {hi:g})" in w.message
    assert "sensitivity analysis sweeps that range" in w.message and f"include {weight:g}" in w.fix


def test_a_harm_weight_on_the_edge_of_its_range_is_not_warned():
    assert Decision.from_yaml_text(with_change("  harm_weight: 1\n", "  harm_weight: 2\n")).warnings() == []


SAME_MAGNITUDE = with_change("        magnitude: {low: 10, likely: 20, high: 30}",
                             "        magnitude: {low: 40, likely: 50, high: 60}  #<")


def test_the_same_judgement_under_two_options_is_warned_with_a_quantity_to_share():
    (w,) = Decision.from_yaml_text(SAME_MAGNITUDE).warnings()
    assert w.line == marked_line(SAME_MAGNITUDE) and w.where == "options[1] (care).outcomes[0] (moves).magnitude"
    assert "the same magnitude judgement is written under 'home' (for 'harm') and 'care' (for 'moves')" in w.message
    assert "drawn on its own" in w.message and "does not move together" in w.message
    assert "- name: harm of harm\n  kind: magnitude\n  judgement: {low: 40, likely: 50, high: 60}" in w.fix
    assert "write 'magnitude: harm of harm'" in w.fix


def test_following_the_fix_shares_the_quantity_and_silences_the_warning():
    """The oracle for the printed YAML: pasted under quantities, with the name written in place of
    both judgements, the case is valid, warns no more, and both outcomes draw one quantity."""
    (w,) = Decision.from_yaml_text(SAME_MAGNITUDE).warnings()
    entry = w.fix.split("\n", 1)[1].rsplit("\n", 1)[0]
    name = yaml.safe_load(entry)[0]["name"]
    data = yaml.safe_load(SAME_MAGNITUDE)
    data["quantities"] += yaml.safe_load(entry)
    data["options"][0]["outcomes"][0]["magnitude"] = name
    data["options"][1]["outcomes"][0]["magnitude"] = name
    d = Decision.from_dict(data)
    assert d.warnings() == []
    assert d.options[0].outcomes[0].magnitude == d.options[1].outcomes[0].magnitude == name


def test_the_same_verbal_term_for_the_same_outcome_under_two_options_is_warned():
    text = with_change("      - name: stability\n", "      - name: family life\n").replace(
        "        chance: {verbal: likely}\n        horizon: 1 year\n        magnitude: 40\nvalues",
        "        chance: {verbal: likely}  #<\n        horizon: 1 year\n        magnitude: 40\nvalues")
    (w,) = Decision.from_yaml_text(text).warnings()
    assert w.line == marked_line(text)
    assert "the same chance judgement is written for 'family life' under 'home' and 'care'" in w.message
    assert "- name: chance of family life\n  kind: probability\n  judgement: {verbal: likely}" in w.fix


def test_the_same_judgement_twice_under_one_option_is_not_warned():
    text = with_change("      - name: family life\n        kind: benefit\n        chance: {verbal: likely}\n        horizon: 1 year\n"
                       "        magnitude: 40\n",
                       "      - name: family life\n        kind: benefit\n        chance: {verbal: likely}\n        horizon: 1 year\n"
                       "        magnitude: {low: 40, likely: 50, high: 60}\n")
    assert Decision.from_yaml_text(text).warnings() == []


def test_a_case_built_in_python_has_the_same_warnings_without_lines():
    from_text = Decision.from_yaml_text(SAME_MAGNITUDE)
    from_dict = Decision.from_dict(yaml.safe_load(SAME_MAGNITUDE))
    assert from_dict == from_text  # remembering the file's lines does not change what the case is
    assert [(w.where, w.message, w.fix) for w in from_dict.warnings()] == [(w.where, w.message, w.fix) for w in from_text.warnings()]
    assert [w.line for w in from_dict.warnings()] == [None]


def test_check_prints_every_warning_after_the_valid_line_and_exits_0(tmp_path, capsys):
    text = with_change("  harm_weight: 1\n", "  harm_weight: 3\n").replace(
        "        magnitude: {low: 10, likely: 20, high: 30}", "        magnitude: {low: 40, likely: 50, high: 60}")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{path}: valid.")
    assert lines[1].startswith("2 warnings")
    rows = text.splitlines()
    weight_line = rows.index("  harm_weight: 3") + 1
    magnitude_line = [i for i, row in enumerate(rows, 1) if row == "        magnitude: {low: 40, likely: 50, high: 60}"][1]
    assert lines[2].startswith(f"  - line {weight_line}, values.harm_weight: the harm weight 3")
    assert any(line.startswith(f"  - line {magnitude_line}, options[1] (care).outcomes[0] (moves).magnitude:") for line in lines)
    assert "      - name: harm of harm" in lines  # the YAML to copy, indented under its warning


def test_the_examples_warn_only_of_what_is_really_there():
    assert Decision.from_yaml(ROOT / "data" / "cases" / "return_home.yaml").warnings() == []
    permanence = Decision.from_yaml(ROOT / "data" / "cases" / "permanence.yaml").warnings()
    assert [w.loc[-1] for w in permanence] == ["horizon", "horizon"]  # adoption over 12 years, the others over 5


def test_the_case_report_shows_the_warnings_in_a_box_with_their_lines_and_the_yaml_to_copy():
    import html as html_lib

    from decide.case_report import MIN_DRAWS, build_report, report_html

    text = with_change("  harm_weight: 1\n", "  harm_weight: 3  #<\n").replace(
        "        magnitude: {low: 10, likely: 20, high: 30}", "        magnitude: {low: 40, likely: 50, high: 60}")
    page = html_lib.unescape(report_html(build_report(Decision.from_yaml_text(text), draws=MIN_DRAWS, seed=1)))
    box = page.split('<div class="notes" id="warnings">')[1].split("</div>")[0]
    assert "2 things in the case\nfile to look at." in box
    assert f"The harm weight 3 lies outside the range given for it (0.5 to 2); the sensitivity analysis sweeps that range, " \
           f"so the weight chosen is not among those it checks (line {marked_line(text)} of the case file)." in box
    assert "<pre>- name: harm of harm\n  kind: magnitude\n  judgement: {low: 40, likely: 50, high: 60}</pre>" in box
