"""Hostile or odd inputs found by a reviewer (H2) whose fix needs numbers or sentences checked, not only a refusal."""

from __future__ import annotations

import copy
import datetime as dt

from decide.frame import Decision
from decide.record import load_record, make_record, write_record
from decide.review import report_html, review

WHEN = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)

#: Every input a fixed number: home -18 (0.3 x 60), care +18 (0.5 x 40 - 0.2 x 10).
FIXED = {
    "question": "Which option?", "date": "2026-03-01", "decided_by": ["social worker"],
    "options": [
        {"name": "home", "outcomes": [{"name": "harm", "kind": "harm", "chance": 0.3, "horizon": "1 year", "magnitude": 60}]},
        {"name": "care", "outcomes": [
            {"name": "settles", "kind": "benefit", "chance": 0.5, "horizon": "1 year", "magnitude": 40},
            {"name": "moves", "kind": "harm", "chance": 0.2, "horizon": "1 year", "magnitude": 10}]},
    ],
}


def _record(case: dict, tmp_path, chosen: str | None, draws: int = 200, seed: int = 1):
    rec = make_record(Decision.from_dict(case), chosen=chosen, draws=draws, seed=seed, recorded_at=WHEN, case_name="h2")
    return load_record(write_record(rec, tmp_path))


def test_review_of_a_case_with_every_input_fixed(tmp_path):
    """H2 D5: the record's tornado table is empty; the review raised KeyError 'quantity'."""
    rec = _record(FIXED, tmp_path, "care")
    rv = review(rec, ["moves"])
    assert rv.choice["verdict"] == "reasonable"
    assert len(rv.switches) == 0
    shows = {c["key"]: c["record_shows"] for c in rv.checklist}
    assert shows["would-have-changed"] == "Every input was given as a fixed number, so there was nothing uncertain to move."
    assert "nothing uncertain to move" in report_html(rv)


# --- H2 B1: the wording the docs and `decide new` recommend for a figure seen second-hand ---------------------------

SECOND_HAND = [
    "Example study (2020), as quoted in an example review (2022) (seen in a secondary source)",  # the starter's own
    "Smith (2011), as quoted in Jones (2015) (seen in a secondary source)",  # docs/case-file.md
    "Smith (2011) (Seen in a Secondary Source)", "SMITH (2011) (SEEN IN A SECONDARY SOURCE)",
    "Smith (2011) (S)", "Smith (2011) (S: seen in a secondary source)", "Smith (2011), quoted in Jones (2015)",
    "Smith (2011), read second-hand",
]
FIRST_HAND = ["Smith (2011)", "(Smith 2011)", "Contact centre records (made-up example)", "(synthetic example)",
              "Sources (Scotland) 2020"]


def test_every_second_hand_wording_counts_as_second_hand():
    from decide.case_report import seen_second_hand

    assert [s for s in SECOND_HAND if not seen_second_hand(s)] == []
    assert [s for s in FIRST_HAND if seen_second_hand(s)] == []


def test_the_docs_examples_of_a_second_hand_source_count_as_second_hand():
    import re
    from pathlib import Path

    from decide.case_report import seen_second_hand

    docs = (Path(__file__).resolve().parents[1] / "docs" / "case-file.md").read_text(encoding="utf-8")
    examples = [m for m in re.findall(r"source: ['\"]([^'\"]+)['\"]", docs) if "secondary" in m.lower()]
    assert examples and all(seen_second_hand(s) for s in examples)


def test_the_starters_second_hand_figure_is_reported_as_second_hand():
    from decide.case_report import _secondary, _sources
    from decide.starter import starter_text

    sources = _sources(Decision.from_yaml_text(starter_text()), str)
    marked = sources[sources["source"].str.contains("seen in a secondary source")]
    assert len(marked) == 1 and marked["status"].iloc[0].startswith("S: seen only in a secondary source")
    assert _secondary(sources) == 1
