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
