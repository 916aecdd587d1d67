"""The workshop without a browser: the store (restart, concurrency, load), answers checked like a
case file, the fitting and the pool against decide.judge, and what a workshop writes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decide.errors import CaseError, DecideError
from decide.frame import Decision
from decide.judge import Judgement
from decide.workshop import output
from decide.workshop.session import Workshop
from decide.workshop.store import Store

from conftest import CASES

QUANTITIES = ["foster_placement_moves", "harm_of_reabuse"]


@pytest.fixture
def case(tmp_path):
    path = tmp_path / "return_home.yaml"
    shutil.copy(CASES / "return_home.yaml", path)
    return path


@pytest.fixture
def workshop(case, tmp_path):
    w = Workshop.start(case, tmp_path / "w.sqlite", QUANTITIES)
    w.open_round(1)
    return w


def lower_likely_upper(lo, mid, hi):
    return {"form": "low/likely/high", "low": lo, "likely": mid, "high": hi}


def test_start_join_and_stages(workshop):
    assert workshop.stage == "round 1"
    assert len(workshop.code) == 6
    a = workshop.join(workshop.code.lower(), "  social   worker ")  # codes read out are typed in any case
    assert workshop.store.role_of(a) == "social worker"
    with pytest.raises(DecideError, match="session code is not this workshop's"):
        workshop.join("WRONG1", "team manager")
    with pytest.raises(DecideError, match="already taken.*'social worker 2'"):
        workshop.join(workshop.code, "social worker")
    assert workshop.join(workshop.code, "social worker", token=a) == a  # the same person again is not a second one
    with pytest.raises(DecideError, match="cannot move to 'round 2'"):
        workshop.open_round(2)
    with pytest.raises(DecideError, match="nobody has answered round 1"):
        workshop.reveal()


def test_choosing_names_the_quantities(case, tmp_path):
    w = Workshop.start(case, tmp_path / "w.sqlite")
    with pytest.raises(DecideError, match="'foster_moves' is not a quantity.*did you mean 'foster_placement_moves'"):
        w.choose(["foster_moves"])
    with pytest.raises(DecideError, match="choose the quantities to elicit before opening round 1"):
        w.open_round(1)
    w.choose(["return_lasts"])
    assert w.quantities == ["return_lasts"]


@pytest.mark.parametrize("answer, quantity, message", [
    (lower_likely_upper(0.3, 0.2, 0.5), "foster_placement_moves", "likely: .*|answer: need low < likely < high"),
    (lower_likely_upper(0.1, "x", 0.5), "foster_placement_moves", "likely: should be a valid number"),
    (lower_likely_upper(0.1, 0.2, 1.5), "foster_placement_moves", "1.5 is out of range; a probability must lie between 0 and 1"),
    ({"form": "verbal", "verbal": "likly"}, "foster_placement_moves", "'likly' is not a term of the uk_yardstick scale"),
    ({"form": "verbal", "verbal": "likely", "confidence": "very"}, "foster_placement_moves", "confidence: should be 'low', 'medium' or 'high'"),
    ({"form": "verbal", "verbal": "likely"}, "harm_of_reabuse", "describes a probability, but this quantity's kind is 'magnitude'"),
    ({"form": "quantiles", "quantiles": {0.5: 0.3}}, "foster_placement_moves", "give at least two quantiles"),
    ({"form": "guess", "value": 3}, "foster_placement_moves", "choose how to answer"),
])
def test_bad_answers_get_the_case_files_messages(workshop, answer, quantity, message):
    token = workshop.join(workshop.code, "social worker")
    with pytest.raises(DecideError, match=message) as info:
        workshop.answer(token, quantity, answer)
    if isinstance(info.value, CaseError):
        assert str(info.value).startswith(f"your answer for {quantity.replace('_', ' ')}: 1 problem found")
        assert "quantities[" not in str(info.value)  # the field a person fixes, not the case's inner path
    assert workshop.store.answers() == []


def test_answers_outside_a_round_or_unjoined_are_refused(case, tmp_path):
    w = Workshop.start(case, tmp_path / "w.sqlite", QUANTITIES)
    token = w.join(w.code, "team manager")
    with pytest.raises(DecideError, match="you can answer only at 'round 1' or 'round 2'"):
        w.answer(token, QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.3))
    w.open_round(1)
    with pytest.raises(DecideError, match="have not joined"):
        w.answer("not-a-token", QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.3))


def test_fitted_answer_is_decide_judges_fit(workshop):
    token = workshop.join(workshop.code, "social worker")
    j = workshop.answer(token, "foster_placement_moves", {"form": "verbal", "verbal": "unlikely", "confidence": "high"})
    mine = workshop.fit("foster_placement_moves", j)
    theirs = Judgement(verbal="unlikely", confidence="high").to_distribution("probability", (0.0, 1.0))
    assert (mine.alpha, mine.beta) == pytest.approx((theirs.alpha, theirs.beta))
    # high confidence: 90 % of the distribution inside the term's band (0.25 to 0.35)
    assert mine.cdf(0.35) - mine.cdf(0.25) == pytest.approx(0.9, abs=0.01)


def test_pool_and_disagreement(workshop):
    a = workshop.join(workshop.code, "social worker")
    b = workshop.join(workshop.code, "team manager")
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.05, 0.1, 0.2))
    workshop.answer(b, QUANTITIES[0], lower_likely_upper(0.4, 0.5, 0.6))
    workshop.answer(a, QUANTITIES[1], lower_likely_upper(60, 70, 80))
    workshop.answer(b, QUANTITIES[1], lower_likely_upper(60, 70, 80))
    s = workshop.summary(QUANTITIES[0], 1)
    middles = {p.role: p.middle for p in s.people}
    assert middles["social worker"] == pytest.approx(0.1, abs=0.01)  # the fit honours the stated middle
    assert middles["team manager"] == pytest.approx(0.5, abs=0.01)
    assert s.medians_range == pytest.approx(0.4, abs=0.02)
    assert s.furthest_apart == ("social worker", "team manager") and s.overlap == 0.0  # 10-90 % ranges do not meet
    assert min(middles.values()) < s.pool.middle < max(middles.values())
    # the same answer twice: no spread, complete overlap, and the pool is that answer
    same = workshop.summary(QUANTITIES[1], 1)
    assert same.medians_range == pytest.approx(0.0, abs=1e-9) and same.overlap == pytest.approx(1.0)
    assert same.pool.middle == pytest.approx(same.people[0].middle, abs=0.5)
    assert [s.quantity for s in workshop.disagreement(1)] == QUANTITIES  # the far-apart one first


def test_revision_round_keeps_unrevised_answers_and_logs_the_reveal(workshop):
    a = workshop.join(workshop.code, "social worker")
    b = workshop.join(workshop.code, "team manager")
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.05, 0.1, 0.2))
    workshop.answer(b, QUANTITIES[0], lower_likely_upper(0.4, 0.5, 0.6))
    shown = workshop.reveal()
    assert {p["role"] for p in shown[QUANTITIES[0]]["people"]} == {"social worker", "team manager"}
    with pytest.raises(DecideError, match="you can answer only at"):
        workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.2, 0.3, 0.4))
    workshop.open_round(2)
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.2, 0.3, 0.45))
    two = workshop.judgements(QUANTITIES[0], 2)
    assert two["social worker"].likely == 0.3 and two["team manager"].likely == 0.5  # not revised: carried over
    assert workshop.summary(QUANTITIES[0], 2).medians_range < workshop.summary(QUANTITIES[0], 1).medians_range
    reveal = [e for e in workshop.store.events() if e["what"] == "moved to revealed 1"]
    assert len(reveal) == 1 and reveal[0]["detail"]["shown"] == json.loads(json.dumps(shown))


def test_restart_loses_nothing(case, tmp_path, workshop):
    a = workshop.join(workshop.code, "social worker")
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.05, 0.1, 0.2))
    before = (workshop.code, workshop.stage, workshop.quantities, workshop.store.answers(), workshop.store.events())
    del workshop  # the server stops; a new one opens the same store
    again = Workshop.start(case, tmp_path / "w.sqlite")
    assert (again.code, again.stage, again.quantities, again.store.answers(), again.store.events()) == before
    again.answer(a, QUANTITIES[1], lower_likely_upper(60, 70, 80))  # the same person carries on with their token
    assert len(again.store.answers(1)) == 2


def test_restart_refuses_a_changed_case_or_a_foreign_file(case, tmp_path, workshop):
    case.write_text(case.read_text() + "\n# edited\n")
    with pytest.raises(DecideError, match="has changed since the workshop started"):
        Workshop.start(case, tmp_path / "w.sqlite")
    other = tmp_path / "notes.txt"
    other.write_text("my notes")
    with pytest.raises(DecideError, match="is not a workshop store"):
        Workshop.start(case, other)
    assert other.read_text() == "my notes"


def test_double_submit_keeps_one_answer(workshop):
    a = workshop.join(workshop.code, "social worker")
    for _ in range(3):
        workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.05, 0.1, 0.2))
    (row,) = workshop.store.answers(1)
    assert row["changes"] == 0
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.05, 0.15, 0.2))
    (row,) = workshop.store.answers(1)
    assert row["changes"] == 1 and row["judgement"]["likely"] == 0.15 and row["first_at"] < row["last_at"]


def test_simultaneous_submissions_lose_nothing(workshop):
    tokens = [workshop.join(workshop.code, f"practitioner {i}") for i in range(8)]
    start = threading.Barrier(len(tokens))

    def submit(i):
        w = Workshop(Store(workshop.store.path))  # each server thread opens its own connection
        start.wait()
        w.answer(tokens[i], QUANTITIES[0], lower_likely_upper(0.05, 0.1 + i / 100, 0.3))

    with ThreadPoolExecutor(len(tokens)) as pool:
        list(pool.map(submit, range(len(tokens))))
    rows = workshop.store.answers(1)
    assert sorted(r["judgement"]["likely"] for r in rows) == pytest.approx([0.1 + i / 100 for i in range(8)])


def test_load_thirty_participants_two_rounds(workshop):
    """30 simulated participants, each in their own thread, answer both quantities in both rounds (twice each,
    as an impatient double click would): exactly 30 x 2 x 2 answers, none lost, none duplicated."""
    n = 30
    path = workshop.store.path
    rng = np.random.default_rng(16)
    middles = rng.uniform(0.1, 0.6, n)

    def participant(i, rnd):
        w = Workshop(Store(path))
        token = w.join(w.code, f"practitioner {i}", token=f"token-{i}")
        m = middles[i] if rnd == 1 else (middles[i] + 0.35) / 2
        for q, answer in ((QUANTITIES[0], lower_likely_upper(round(m - 0.05, 4), round(m, 4), round(m + 0.1, 4))),
                          (QUANTITIES[1], lower_likely_upper(50, 60 + i % 10, 85))):
            w.answer(token, q, answer)
            w.answer(token, q, answer)

    for rnd in (1, 2):
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(lambda i: participant(i, rnd), range(n)))
        if rnd == 1:
            workshop.reveal()
            workshop.open_round(2)
    rows = workshop.store.answers()
    keys = [(r["role"], r["quantity"], r["round"]) for r in rows]
    assert len(rows) == n * len(QUANTITIES) * 2 == len(set(keys))
    assert all(r["changes"] == 0 for r in rows)
    assert len(workshop.store.roles()) == n


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.floats(0.02, 0.45), st.floats(0.02, 0.2), st.floats(0.02, 0.2)), min_size=2, max_size=4))
def test_pool_middle_lies_between_the_people(tmp_path_factory, triples):
    """A linear pool's median lies between the lowest and highest of the individual medians."""
    tmp = tmp_path_factory.mktemp("w")
    shutil.copy(CASES / "return_home.yaml", tmp / "case.yaml")
    w = Workshop.start(tmp / "case.yaml", tmp / "w.sqlite", [QUANTITIES[0]])
    w.open_round(1)
    for i, (mid, down, up) in enumerate(triples):
        token = w.join(w.code, f"role {i}")
        w.answer(token, QUANTITIES[0], lower_likely_upper(mid - down * mid, mid, mid + up))
    s = w.summary(QUANTITIES[0], 1)
    middles = [p.middle for p in s.people]
    slack = 0.01  # the pool's percentiles are read from 40,000 seeded draws
    assert min(middles) - slack <= s.pool.middle <= max(middles) + slack
    assert s.medians_range == pytest.approx(max(middles) - min(middles))


# --- what a workshop writes ---------------------------------------------------------------------------


def two_round_workshop(w):
    a = w.join(w.code, "social worker")
    b = w.join(w.code, "team manager")
    w.answer(a, QUANTITIES[0], {"form": "verbal", "verbal": "unlikely", "confidence": "low"})
    w.answer(b, QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.4))
    w.answer(a, QUANTITIES[1], {"form": "quantiles", "quantiles": {0.25: 55, 0.5: 70, 0.75: 80}})
    w.reveal()
    w.open_round(2)
    w.answer(b, QUANTITIES[0], lower_likely_upper(0.15, 0.25, 0.4))
    w.reveal()
    return a, b


def test_new_case_file_passes_check_with_the_judgements(workshop, case, tmp_path):
    original = hashlib.sha256(case.read_bytes()).hexdigest()
    two_round_workshop(workshop)
    out = output.write_case(workshop, tmp_path / "after_workshop.yaml")
    d = Decision.from_yaml(out)
    moves = d.quantity(QUANTITIES[0])
    assert [(j.by, j.weight, j.form) for j in moves.judgements] == [
        ("social worker", 1.0, "verbal"), ("team manager", 1.0, "low/likely/high")]
    assert moves.judgements[1].likely == 0.25  # the revision, not the first answer
    assert moves.judgements[0].confidence == "low"
    harm = d.quantity(QUANTITIES[1])
    assert [j.by for j in harm.judgements] == ["social worker"]
    assert harm.judgements[0].quantiles == {0.25: 55, 0.5: 70, 0.75: 80}
    assert "elicitation workshop" in harm.source
    # quantities not elicited and everything else are as they were
    before = Decision.from_yaml(case)
    assert d.quantity("reabuse_after_return") == before.quantity("reabuse_after_return")
    assert d.options == before.options
    assert hashlib.sha256(case.read_bytes()).hexdigest() == original
    # the pooled distribution the simulation will use is the pool of the two fitted answers
    pooled = d.distribution_of(QUANTITIES[0], "probability")
    assert type(pooled).__name__ == "Mixture"


def test_case_file_never_overwrites(workshop, case, tmp_path):
    two_round_workshop(workshop)
    with pytest.raises(DecideError, match="decide never writes over its input, even with --force"):
        output.write_case(workshop, case, force=True)
    taken = tmp_path / "taken.yaml"
    taken.write_text("mine")
    with pytest.raises(DecideError, match="already exists"):
        output.write_case(workshop, taken)
    assert taken.read_text() == "mine"


def test_case_file_needs_a_reveal(workshop, tmp_path):
    a = workshop.join(workshop.code, "social worker")
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.3))
    with pytest.raises(DecideError, match="after the answers have been revealed"):
        output.write_case(workshop, tmp_path / "x.yaml")
    assert not (tmp_path / "x.yaml").exists()


def test_workshop_record_is_hashed_read_only_and_complete(workshop, tmp_path):
    two_round_workshop(workshop)
    output.write_case(workshop, tmp_path / "after.yaml")
    path = output.write_record(workshop, tmp_path / "records")
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    content, sha = output.load_workshop_record(path)
    assert content["schema"] == "decide-workshop/1"
    assert {(a["round"], a["role"], a["quantity"]) for a in content["answers"]} == {
        (1, "social worker", QUANTITIES[0]), (1, "team manager", QUANTITIES[0]), (1, "social worker", QUANTITIES[1]),
        (2, "team manager", QUANTITIES[0])}
    steps = [e["what"] for e in content["events"]]
    assert steps.index("moved to revealed 1") < steps.index("moved to round 2") < steps.index("moved to revealed 2")
    assert "case file written" in steps
    assert all(e["at"] for e in content["events"]) and all(a["first_at"] for a in content["answers"])
    assert workshop.code not in path.read_text()  # the record does not let anyone join the session
    # an edit is detected, re-hashed or not
    tampered = tmp_path / "tampered.json"
    tampered.write_text(path.read_text().replace('"team manager"', '"head of service"', 1))
    with pytest.raises(DecideError, match="changed since it was written"):
        output.load_workshop_record(tampered)


def test_signed_workshop_record(workshop, tmp_path):
    from decide import signing

    two_round_workshop(workshop)
    private, public, fp = signing.new_key_pair(tmp_path / "team.key")
    path = output.write_record(workshop, tmp_path / "records", sign_with=signing.load_private_key(private))
    content, sha = output.load_workshop_record(path)
    block = json.loads(path.read_text())["signature"]
    assert content["signed_by"] == fp
    assert signing.verify(signing.load_public_key(public).key, sha, block)


def test_sentences_and_figures_state_the_numbers(workshop):
    from decide.workshop import figures

    a = workshop.join(workshop.code, "social worker")
    b = workshop.join(workshop.code, "team manager")
    workshop.answer(a, QUANTITIES[0], lower_likely_upper(0.05, 0.1, 0.2))
    workshop.answer(b, QUANTITIES[0], lower_likely_upper(0.4, 0.5, 0.6))
    s = workshop.summary(QUANTITIES[0], 1)
    text = " ".join(figures.group_sentences(s, "probability"))
    for p in s.people:
        assert figures.show(p.middle, "probability") in text
    assert f"between {figures.show(s.pool.low, 'probability')} and {figures.show(s.pool.high, 'probability')}" in text
    assert "do not overlap at all" in text
    one = s.people[0]
    assert figures.answer_sentence(one, "probability") == (
        f"Your answer means: as likely to be above {one.middle:.0%} as below it, and 8 chances in 10 that it lies "
        f"between {one.low:.0%} and {one.high:.0%}.")
    dists = {r: workshop.fit(QUANTITIES[0], j) for r, j in workshop.judgements(QUANTITIES[0], 1).items()}
    fig = figures.group_figure(dists, s, "probability", (0.0, 1.0), "placement moves: round 1")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") and ax.get_xlabel().startswith("chance it happens") and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["social worker", "team manager", "everyone together"]


def test_typed_numbers_and_percentiles():
    pytest.importorskip("panel", reason="the workshop's pages need panel")
    from decide.workshop.app import _number, _percentiles

    assert _number("20%", "probability") == 0.2 and _number("0,2", "probability") == 0.2
    assert _number("20%", "magnitude") == "20%"  # not a number for a magnitude: the checks say so
    assert _number(" ", "probability") is None
    assert _percentiles("10% = 0.1, 50% = 20%; 90%: 0.4", "probability") == {0.1: 0.1, 0.5: 0.2, 0.9: 0.4}
    with pytest.raises(DecideError, match="write each percentile as 'percent = value'"):
        _percentiles("0.1 0.2", "probability")


# --- the command ------------------------------------------------------------------------------------------------


def test_command_refuses_bad_input_before_serving(case, tmp_path, capsys):
    from decide.cli import main

    assert main(["workshop", str(case), "--quantities", "foster_moves", "--store", str(tmp_path / "a.sqlite")]) == 2
    assert "'foster_moves' is not a quantity of this case (did you mean 'foster_placement_moves'?)" in capsys.readouterr().err
    mine = tmp_path / "notes.csv"
    mine.write_text("a,b\n")
    assert main(["workshop", str(case), "--store", str(mine)]) == 2
    assert "is not a workshop store" in capsys.readouterr().err and mine.read_text() == "a,b\n"
    assert main(["workshop", str(case), "--port", "0", "--store", str(tmp_path / "b.sqlite")]) == 2
    assert "--port must be from 1 to 65,535" in capsys.readouterr().err
    assert main(["workshop", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_registering_the_command_imports_no_web_framework():
    import subprocess
    import sys

    code = ("import sys; from decide import cli; cli.build_parser(['workshop', 'x.yaml']); "
            "print(sorted(m for m in ('panel', 'bokeh', 'decide.workshop.app') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# --- calibration questions and performance weights ------------------------------------------------------------

CALIBRATION = """questions:
  - name: moves
    question: What share of looked-after children had two or more placement moves in 12 months?
    answer: 0.1
    kind: probability
    source: Children's Commissioner Stability Index (2019)
  - name: reabuse
    question: What share of 180 children returned home were re-abused or neglected within 2 years?
    answer: 0.46
    source: Farmer et al. (2011)
"""


@pytest.fixture
def calibrated(case, tmp_path):
    path = tmp_path / "calibration.yaml"
    path.write_text(CALIBRATION)
    w = Workshop.start(case, tmp_path / "c.sqlite", QUANTITIES, calibration=path)
    w.open_round(1)
    return w


def test_calibration_file_is_checked(case, tmp_path):
    from decide.workshop.session import read_calibration

    bad = tmp_path / "bad.yaml"
    bad.write_text(CALIBRATION.replace("answer: 0.46", "answer: 46").replace("kind: probability", "kind: chance"))
    with pytest.raises(CaseError) as info:
        read_calibration(bad)
    assert "questions.0.kind" in str(info.value)
    with pytest.raises(CaseError, match="questions.1.answer: a chance lies between 0 and 1"):
        read_calibration(_write(bad, CALIBRATION.replace("0.46", "46")))
    with pytest.raises(CaseError, match="source"):
        read_calibration(_write(bad, CALIBRATION.replace("    source: Farmer et al. (2011)\n", "")))
    assert not (tmp_path / "z.sqlite").exists()
    with pytest.raises(CaseError):
        Workshop.start(case, tmp_path / "z.sqlite", calibration=_write(bad, "questions: []"))
    assert not (tmp_path / "z.sqlite").exists()  # refused before any store is made


def _write(path, text):
    path.write_text(text)
    return path


def test_performance_weights_reach_the_case_file(calibrated, tmp_path):
    w = calibrated
    good, poor = w.join(w.code, "social worker"), w.join(w.code, "team manager")
    w.answer_calibration(good, "moves", {"low": 0.05, "likely": 0.1, "high": 0.2})
    w.answer_calibration(good, "reabuse", {"low": 0.3, "likely": 0.45, "high": 0.6})
    w.answer_calibration(poor, "moves", {"low": 0.4, "likely": 0.45, "high": 0.5})
    w.answer_calibration(poor, "reabuse", {"low": 0.8, "likely": 0.85, "high": 0.9})
    with pytest.raises(CaseError, match="need low < likely < high"):
        w.answer_calibration(good, "moves", {"low": 0.3, "likely": 0.1, "high": 0.4})
    for token in (good, poor):
        w.answer(token, QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.4))
    w.answer(w.join(w.code, "reviewing officer"), QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.3))
    with pytest.raises(DecideError, match="performance weights need every participant's answers.*reviewing officer"):
        w.reveal()
        output.case_text(w, weights="performance")
    weights = w.performance_weights()
    assert set(weights) == {"social worker", "team manager"} and weights["social worker"] > weights["team manager"]
    assert w.how_calibrated("team manager")[-1].startswith("The published value fell inside your range in 0 of the 2")
    assert "inside your range" in w.how_calibrated("social worker")[0]
    with pytest.raises(DecideError, match="only at 'round 1'"):
        w.answer_calibration(good, "moves", {"low": 0.05, "likely": 0.1, "high": 0.2})


def test_performance_weights_in_the_written_case(calibrated, tmp_path):
    w = calibrated
    good, poor = w.join(w.code, "social worker"), w.join(w.code, "team manager")
    for token, answers in ((good, [(0.05, 0.1, 0.2), (0.3, 0.45, 0.6)]), (poor, [(0.4, 0.45, 0.5), (0.8, 0.85, 0.9)])):
        for name, (lo, mid, hi) in zip(("moves", "reabuse"), answers):
            w.answer_calibration(token, name, {"low": lo, "likely": mid, "high": hi})
        w.answer(token, QUANTITIES[0], lower_likely_upper(0.1, 0.2, 0.4))
    w.reveal()
    out = output.write_case(w, tmp_path / "weighted.yaml", weights="performance")
    d = Decision.from_yaml(out)
    got = {j.by: j.weight for j in d.quantity(QUANTITIES[0]).judgements}
    assert got == pytest.approx(w.performance_weights())
    assert "Cooke" in d.quantity(QUANTITIES[0]).source
    content, _ = output.load_workshop_record(output.write_record(w, tmp_path / "records"))
    assert len(content["calibration"]["answers"]) == 4 and set(content["calibration"]["scores"]) == set(got)
    with pytest.raises(DecideError, match="weights must be one of equal, performance"):
        output.case_text(w, weights="cooke")


# --- chips on a grid (roulette) ------------------------------------------------------------------------------


def test_chips_become_quantiles():
    from decide.workshop.session import chips_to_quantiles

    edges = [i / 10 for i in range(11)]
    #            0-10 10-20 20-30 30-40 ...
    chips = [0, 4, 8, 6, 2, 0, 0, 0, 0, 0]
    assert chips_to_quantiles(edges, chips) == {0.2: 0.2, 0.6: 0.3, 0.9: 0.4}
    # an empty bin between two full ones: the shared level gets the middle of its edges
    assert chips_to_quantiles(edges, [0, 5, 0, 5, 10, 0, 0, 0, 0, 0]) == {0.25: 0.25, 0.5: 0.4}
    with pytest.raises(DecideError, match="at least three bins .*you used 2"):
        chips_to_quantiles(edges, [0, 10, 10, 0, 0, 0, 0, 0, 0, 0])
    with pytest.raises(DecideError, match="each of the 10 bins"):
        chips_to_quantiles(edges, [1, 2, 3])
    with pytest.raises(DecideError, match="fewer than 0"):
        chips_to_quantiles(edges, [-1, 5, 5, 5, 0, 0, 0, 0, 0, 0])


def test_chips_answer_is_stored_and_fitted_as_quantiles(workshop):
    token = workshop.join(workshop.code, "social worker")
    j = workshop.answer(token, QUANTITIES[0], {"form": "chips", "chips": [0, 4, 8, 6, 2, 0, 0, 0, 0, 0]})
    assert j.form == "quantiles" and j.quantiles == {0.2: 0.2, 0.6: 0.3, 0.9: 0.4}
    harm = workshop.grid(QUANTITIES[1])
    assert harm[0] == 0 and harm[-1] == 100 and len(harm) == 11  # the case's value scale, 0 to 100
    dist = workshop.fit(QUANTITIES[0], j)
    assert float(dist.ppf(0.6)) == pytest.approx(0.3, abs=0.03)
