"""The hindsight guard: evidence dated after the decision is refused unless marked as learned later;
marked, it is kept in the file, left out of the analysis, and shown apart in the report and review."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from conftest import BASE_CASE
from decide import CaseError, Decision
from decide.cli import main

WHEN = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
ON_THE_DAY = {"what": "five negative tests", "source": "case records", "date": "2026-01-10", "reliability": "high",
              "informs": ["base_rate"]}
AFTER = {"what": "mother relapsed in March", "source": "police report", "date": "2026-03-20", "reliability": "high"}


def case(*known) -> dict:
    data = copy.deepcopy(BASE_CASE)
    data["known"] = [copy.deepcopy(k) for k in known]
    return data


def test_the_base_case_is_decided_before_the_evidence_dates():
    assert Decision.from_dict(case(ON_THE_DAY)).date < dt.date(2026, 3, 20)


def test_an_item_dated_after_the_decision_is_refused_naming_its_line_and_both_dates():
    text = yaml.safe_dump(case(ON_THE_DAY, AFTER), sort_keys=False)
    with pytest.raises(CaseError) as info:
        Decision.from_yaml_text(text)
    (problem,) = info.value.problems
    decided = Decision.from_dict(case(ON_THE_DAY)).date
    assert problem.where == "known[1].date"
    assert text.splitlines()[problem.line - 1].strip() == "date: '2026-03-20'"
    assert f"dated 2026-03-20, after the decision was made on {decided}" in problem.message
    assert "hindsight" in problem.message and "learned_later: true" in problem.message


def test_the_day_of_the_decision_itself_is_not_after_it():
    decided = Decision.from_dict(case()).date
    Decision.from_dict(case({**AFTER, "date": decided.isoformat()}))


def test_marked_as_learned_later_it_is_kept_but_left_out():
    d = Decision.from_dict(case(ON_THE_DAY, {**AFTER, "learned_later": True}))
    assert [e.what for e in d.known] == ["five negative tests", "mother relapsed in March"]
    assert [e.what for e in d.known_at_time] == ["five negative tests"]
    assert [e.what for e in d.learned_after] == ["mother relapsed in March"]
    assert "learned_later: true" in d.to_yaml()  # written back, so a record keeps it


def test_learned_later_may_be_dated_before_the_decision():
    """A letter written before the decision that reached the decision-makers only afterwards."""
    d = Decision.from_dict(case({**AFTER, "date": "2026-01-02", "learned_later": True}))
    assert d.learned_after and not d.known_at_time


def test_an_item_learned_later_may_not_inform_a_quantity():
    text = yaml.safe_dump(case({**AFTER, "learned_later": True, "informs": ["base_rate"]}), sort_keys=False)
    with pytest.raises(CaseError) as info:
        Decision.from_yaml_text(text)
    (problem,) = info.value.problems
    assert problem.where == "known[0].informs" and "cannot inform a quantity" in problem.message
    assert text.splitlines()[problem.line - 1].strip().startswith("informs:")


def test_the_analysis_is_the_same_with_or_without_what_was_learned_later():
    from decide.compare import summary
    from decide.simulate import simulate

    with_later = Decision.from_dict(case(ON_THE_DAY, {**AFTER, "learned_later": True}))
    without = Decision.from_dict(case(ON_THE_DAY))
    a, b = summary(simulate(with_later, 300, seed=5)), summary(simulate(without, 300, seed=5))
    assert a.equals(b)


def test_check_counts_only_what_was_known_and_says_what_was_learned_later(tmp_path, capsys):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case(ON_THE_DAY, {**AFTER, "learned_later": True}), sort_keys=False), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "factors, 1 items of evidence; decided" in out  # the item learned later is not counted
    assert "1 item of evidence learned after the decision: kept for the review, left out of the analysis." in out


def test_the_case_report_leaves_it_out_of_the_sources():
    from decide.case_report import _sources

    d = Decision.from_dict(case(ON_THE_DAY, {**AFTER, "learned_later": True}))
    sources = _sources(d, lambda name: name)
    assert "police report" not in set(sources["source"]) and "case records" in set(sources["source"])


def test_the_review_shows_it_apart_as_not_available_at_the_time(tmp_path):
    from decide.record import make_record, write_record
    from decide.review import known_in_words, learned_later_items, report_html, review

    d = Decision.from_dict(case(ON_THE_DAY, {**AFTER, "learned_later": True}))
    rec = write_record(make_record(d, chosen=d.options[0].name, draws=300, seed=3, recorded_at=WHEN, case_name="later"), tmp_path)
    rv = review(rec, [d.options[0].outcomes[0].name])
    assert [e["what"] for e in known_in_words(rv.record)] == ["five negative tests"]
    assert [e["what"] for e in learned_later_items(rv.record)] == ["mother relapsed in March"]
    assert rv.record.decision.learned_after[0].learned_later  # the record keeps the mark
    html = report_html(rv)
    known_part, later_part = html.split("Learned after the decision: not available at the time")
    assert "mother relapsed in March" in later_part.split("<h2>")[0] and "mother relapsed in March" not in known_part
    assert "five negative tests" in known_part
    assert '<th class="text">over</th>' in html and '<td class="text">1 year</td>' in html  # each outcome's horizon
    checklist = next(c for c in rv.checklist if c["question"].startswith("Is it clear what was known"))
    assert checklist["record_shows"].startswith("1 items of evidence were recorded")
    assert "1 more was learned only after the decision" in checklist["record_shows"]
