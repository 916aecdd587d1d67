"""Horizons are understood: '18 months' is 1.5 years, '26 weeks' half a year less a day; what is not
a time span is refused naming the field, the value and the forms accepted; options compared on
one outcome over different spans give a warning (in `decide check`, `decide compare`, the report)."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BASE_CASE
from decide import CaseError, Decision
from decide.cli import main
from decide.frame import HORIZON_UNITS, MAX_HORIZON_YEARS, NUMBER_WORDS, _UNIT_SPELLINGS, parse_horizon

DAY = 1 / 365.25


@pytest.mark.parametrize("text, years", [
    ("2 years", 2.0), ("1 year", 1.0), ("18 months", 1.5), ("1.5 years", 1.5), ("6 months", 0.5), ("six months", 0.5),
    ("a year", 1.0), ("twelve months", 1.0), ("26 weeks", 182 * DAY), ("52 wks", 364 * DAY), ("3 mo", 0.25),
    ("12-month", 1.0), ("2yrs", 2.0), ("within 2 years", 2.0), ("over 5 Years", 5.0), ("90 days", 90 * DAY),
    ("0.5 yr", 0.5), ("1 wk", 7 * DAY),
])
def test_a_horizon_is_read_as_a_duration(text, years):
    h = parse_horizon(text)
    assert h.years == pytest.approx(years, rel=1e-12)
    assert h.text == text.strip() and str(h) == text.strip()


@pytest.mark.parametrize("text", ["soon", "2", "years", "2 parsecs", "2 years 3 months", "two and a half years", "-1 years",
                                  "0 months", "101 years", "1e3 days", "thirteen months", "", "   "])
def test_what_is_not_a_time_span_is_refused(text):
    with pytest.raises(ValueError, match="give a horizon such as '2 years', '18 months' or '26 weeks'"):
        parse_horizon(text)


@settings(max_examples=300, deadline=None)
@given(number=st.decimals(min_value="0.01", max_value="1000", places=2),
       unit=st.sampled_from(sorted(_UNIT_SPELLINGS)), data=st.data())
def test_any_number_and_spelling_of_a_unit_is_that_many_units(number, unit, data):
    spelling = data.draw(st.sampled_from(_UNIT_SPELLINGS[unit]))
    spelling = data.draw(st.sampled_from([spelling, spelling.upper(), spelling.capitalize()]))
    gap = data.draw(st.sampled_from([" ", "", "  ", "-"]))
    text = f"{number.normalize():f}{gap}{spelling}"
    years = float(number) * HORIZON_UNITS[unit]
    if years > MAX_HORIZON_YEARS:
        with pytest.raises(ValueError, match="longer than a lifetime"):
            parse_horizon(text)
    else:
        h = parse_horizon(text)
        assert (h.unit, h.number) == (unit, float(number))
        assert h.years == pytest.approx(years, rel=1e-12)


@given(word=st.sampled_from(sorted(NUMBER_WORDS)), unit=st.sampled_from(["days", "weeks", "months", "years"]))
def test_numbers_in_words(word, unit):
    assert parse_horizon(f"{word} {unit}").number == NUMBER_WORDS[word]


def test_the_same_span_written_differently_is_the_same_span():
    assert parse_horizon("24 months").same_span(parse_horizon("2 years"))
    assert parse_horizon("52 weeks").same_span(parse_horizon("1 year"))  # 364 days
    assert parse_horizon("365 days").same_span(parse_horizon("12 months"))
    assert not parse_horizon("11 months").same_span(parse_horizon("1 year"))


def case(change=None) -> dict:
    data = copy.deepcopy(BASE_CASE)
    if change:
        change(data)
    return data


def test_an_outcome_keeps_the_text_and_gives_the_years():
    d = Decision.from_dict(case(lambda d: d["options"][0]["outcomes"][0].update(horizon="18 months")))
    out = d.options[0].outcomes[0]
    assert out.horizon == "18 months" and out.horizon_years == 1.5 and out.span.unit == "month"


def test_an_unreadable_horizon_in_a_file_names_its_line_field_value_and_the_forms():
    data = case(lambda d: d["options"][1]["outcomes"][0].update(horizon="until adulthood"))
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(CaseError) as info:
        Decision.from_yaml_text(text)
    (problem,) = info.value.problems
    assert problem.where == "options[1] (care).outcomes[0] (moves).horizon"
    assert "'until adulthood'" in problem.message and "'18 months'" in problem.message
    assert text.splitlines()[problem.line - 1].strip() == "horizon: until adulthood"


# --- the warning -----------------------------------------------------------------------------------

TWO_SPANS = """\
question: Which option?
date: 2026-03-01
decided_by: [social worker]
options:
  - name: adoption
    outcomes:
      - name: home breaks down
        kind: harm
        chance: 0.03
        horizon: 12 years
        magnitude: 70
  - name: special guardianship
    outcomes:
      - name: home breaks down
        kind: harm
        chance: 0.06
        horizon: 5 years
        magnitude: 70
  - name: foster care
    outcomes:
      - name: home breaks down
        kind: harm
        chance: 0.3
        horizon: 60 months
        magnitude: 70
"""


def test_one_outcome_over_different_spans_under_different_options_is_warned_at_its_line():
    (w,) = Decision.from_yaml_text(TWO_SPANS).warnings()
    assert w.line == 17 and TWO_SPANS.splitlines()[16].strip() == "horizon: 5 years"
    assert w.loc == ("options", 1, "outcomes", 0, "horizon")
    assert ("the harm 'home breaks down' is judged over 12 years under 'adoption' but over 5 years under "
            "'special guardianship' and 'foster care'") in w.message  # 60 months is 5 years
    assert "not comparable" in w.message and "'5 years' everywhere" in w.fix


def test_the_same_span_written_differently_and_different_outcomes_are_not_warned():
    same = TWO_SPANS.replace("12 years", "260 weeks")  # 4.98 years: within 1 % of 5 years
    assert Decision.from_yaml_text(same).warnings() == []
    renamed = TWO_SPANS.replace("      - name: home breaks down\n        kind: harm\n        chance: 0.03",
                                "      - name: adoption breaks down\n        kind: harm\n        chance: 0.03")
    assert Decision.from_yaml_text(renamed).warnings() == []


def test_check_and_compare_show_the_warning_and_the_spans_and_succeed(tmp_path, capsys):
    path = tmp_path / "spans.yaml"
    path.write_text(TWO_SPANS, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out.splitlines()[0] and "1 warning" in out and "line 17," in out and "12 years" in out
    assert main(["compare", str(path), "--draws", "200"]) == 0
    out = capsys.readouterr().out
    assert ("Chances judged over: adoption over 12 years; special guardianship over 5 years; foster care over 60 months."
            in out)
    assert "1 warning" in out and "not comparable" in out
    assert out.strip().splitlines()[-1].startswith("Highest expected value")


def test_a_case_whose_spans_agree_prints_no_warning(tmp_path, capsys):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case(), sort_keys=False), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "warning" not in capsys.readouterr().out
