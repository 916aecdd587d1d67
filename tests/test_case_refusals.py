"""Case files refuse bad and hostile input at the boundary (issue 12): each check here is tested
against what it must be by construction, not against what the code printed last time."""

from __future__ import annotations

import argparse
import copy
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from conftest import BASE_CASE, to_yaml
from decide import CaseError, Decision, Judgement
from decide import frame
from decide.errors import Problem, _short


def _load(text: str) -> Decision:
    return Decision.from_yaml_text(text, source="case.yaml")


def _refusal(text: str) -> str:
    with pytest.raises(CaseError) as info:
        _load(text)
    return str(info.value)


def _with(change) -> str:
    data = copy.deepcopy(BASE_CASE)
    change(data)
    return to_yaml(data)


# --- numbers: finite, never yes/no, within the limits ---------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("field", ["chance", "magnitude"])
def test_non_finite_inline_numbers_are_refused_at_their_line(bad, field):
    text = _with(lambda d: d["options"][1]["outcomes"][0].update({field: bad}))
    message = _refusal(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.strip().startswith(f"{field}:") and
                s.strip() != f"{field}: 0.2" and ("nan" in s.lower() or "inf" in s.lower()))
    assert f"line {line}, options[1] (care).outcomes[0] (moves).{field}" in message
    assert "finite number" in message


@pytest.mark.parametrize("judgement", [
    {"low": math.nan, "likely": 0.3, "high": 0.4},
    {"quantiles": {0.1: 0.2, 0.9: math.inf}},
    {"quantiles": {0.1: 0.2, math.nan: 0.4}},
    {"distribution": "Beta", "params": {"alpha": math.nan, "beta": 2}},
    {"value": math.nan},
    {"value": 0.3, "weight": math.inf},
])
def test_non_finite_numbers_in_judgements_are_refused_in_python_too(judgement):
    with pytest.raises(ValidationError, match="finite number"):
        Judgement(**judgement)


@pytest.mark.parametrize("field", ["value", "low", "weight"])
def test_yes_and_no_are_never_numbers(field):
    base = {"value": 0.3} if field != "low" else {"low": 0.2, "likely": 0.3, "high": 0.4}
    with pytest.raises(ValidationError, match="read as yes/no, not a number"):
        Judgement(**{**base, field: True})
    text = to_yaml(copy.deepcopy(BASE_CASE)).replace("chance: 0.2", "chance: yes")
    message = _refusal(text)
    assert "'yes' is read as yes/no, not a number; give a number" in message and "(you wrote 'yes')" in message


def test_enquiry_cases_is_a_whole_number_not_yes():
    def enquiry(cases):
        return _with(lambda d: d.update(enquiries=[{"name": "audit", "informs": ["base_rate"], "weeks": 4, "cases": cases}]))

    assert "yes/no" in _refusal(enquiry(True))
    assert "whole number" in _refusal(enquiry(2.5))
    assert _load(enquiry(60)).enquiries[0].cases == 60


def test_number_limits_are_inclusive_and_named():
    def magnitude(x):
        return _with(lambda d: (d.update(values={"scale_max": None}), d["options"][1]["outcomes"][1].update(magnitude=x)))

    assert _load(magnitude(frame.NUMBER_LIMIT)).options[1].outcomes[1].magnitude == 1e6
    message = _refusal(magnitude(1e307))
    assert "between -1,000,000 and 1,000,000" in message and "1e+307" in message

    def odds(x):
        return _with(lambda d: d["factors"][0].update(odds_ratio=x))

    assert _load(odds(frame.MIN_ODDS_RATIO)).factors[0].odds_ratio == 1e-6
    assert "between 1e-06 and 1e+06" in _refusal(odds(frame.MIN_ODDS_RATIO / 2))


def test_a_verbal_likelihood_is_never_a_magnitude_or_odds_ratio():
    message = _refusal(_with(lambda d: d["options"][1]["outcomes"][1].update(magnitude={"verbal": "likely"})))
    assert "describes a probability, not a magnitude" in message
    message = _refusal(_with(lambda d: d["factors"][0].update(odds_ratio={"verbal": "unlikely"})))
    assert "describes a probability, not an odds ratio" in message
    # as a chance it is what a verbal likelihood is for
    assert _load(_with(lambda d: d["options"][1]["outcomes"][0].update(chance={"verbal": "unlikely"})))


def test_a_quoted_number_is_explained():
    message = _refusal(_with(lambda d: d["options"][1]["outcomes"][0].update(chance="0.2")))
    assert "names quantity '0.2'" in message and "write it without quotes" in message


# --- where a problem is: line and field, not 'line 1, top level' ----------------------------------

def test_model_level_problems_point_at_their_line_and_field():
    text = _with(lambda d: (d["options"][1].update(name="home"), d["options"][0]["outcomes"][0].update(chance="base_rat")))
    message = _refusal(text)
    lines = text.splitlines()
    chance_line = next(i for i, s in enumerate(lines, 1) if "chance: base_rat" in s)
    second_home = [i for i, s in enumerate(lines, 1) if s.strip() == "- name: home"][1]
    assert f"line {chance_line}, options[0] (home).outcomes[0] (harm).chance" in message
    assert f"line {second_home}, options[1] (home).name: duplicate option name" in message
    assert "top level" not in message


def test_factor_direction_points_at_the_factor():
    text = _with(lambda d: d["factors"][0].update(kind="risk"))
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.strip() == "kind: risk")
    assert f"line {line}, factors[0] (support).kind" in _refusal(text)


def test_many_problems_are_cut_short():
    text = to_yaml(BASE_CASE) + "".join(f"extra_{i}: {i}\n" for i in range(500))
    message = _refusal(text)
    assert message.count("unknown field") == frame.MAX_PROBLEMS
    assert "further errors not listed" in message


# --- YAML: dates, keys, tags, merge keys ----------------------------------------------------------

@pytest.mark.parametrize("date, why", [
    ("2026-02-30", "February has 28 days in 2026"),
    ("2028-02-30", "February has 29 days in 2028"),
    ("2026-04-31", "April has 30 days in 2026"),
    ("2026-13-01", "there is no month 13"),
    ("2026-00-10", "there is no month 0"),
])
def test_impossible_dates_say_why(date, why):
    text = to_yaml(BASE_CASE).replace("date: '2026-01-15'", f"date: {date}")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("date:"))
    message = _refusal(text)
    assert f"line {line}" in message and f"'{date}' is not a date: {why}; give a date as YYYY-MM-DD" in message


def test_a_number_is_not_a_date():
    assert "a number is not a date" in _refusal(to_yaml(BASE_CASE).replace("date: '2026-01-15'", "date: 20260115"))


@pytest.mark.parametrize("key", ["[a, b]", "{a: 1}"])
def test_a_list_or_mapping_as_a_key_is_refused(key):
    assert "a list or mapping is used as a key" in _refusal(to_yaml(BASE_CASE) + f"? {key}\n: 1\n")


@pytest.mark.parametrize("tag", ["!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]"])
def test_tags_other_than_plain_data_are_refused(tag):
    assert "is not allowed" in _refusal(to_yaml(BASE_CASE).replace("question: Which placement?", f"question: {tag}"))


MERGED = """\
question: Which option?
date: 2026-01-15
decided_by: [social worker]
options:
  - name: home
    outcomes:
      - &harm {name: harm, kind: harm, chance: 0.4, horizon: 1 year, magnitude: 60}
  - name: care
    outcomes:
      - <<: *harm
        name: moves
        magnitude: 30
"""


def test_a_merge_key_copies_keys_and_its_own_keys_win():
    d = _load(MERGED)
    moves = d.options[1].outcomes[0]
    assert (moves.name, moves.kind, moves.chance, moves.horizon, moves.magnitude) == ("moves", "harm", 0.4, "1 year", 30)


def test_a_key_written_twice_beside_a_merge_key_is_still_refused():
    text = MERGED.replace("        magnitude: 30\n", "        magnitude: 30\n        magnitude: 35\n")
    assert "duplicate key 'magnitude'" in _refusal(text)


# --- hostile files --------------------------------------------------------------------------------

def _bomb(levels: int, width: int = 9) -> str:
    names = [chr(ord("a") + i) for i in range(levels + 1)]
    text = f"{names[0]}: &{names[0]} [" + ",".join(['"lol"'] * width) + "]\n"
    for prev, name in zip(names, names[1:]):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * width) + "]\n"
    return text


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_expanded_size_matches_its_closed_form(levels):
    """Level 0 is a list of `width` strings: 1 + w nodes; each level above is 1 + w copies of the
    one below. The document adds one node per key and one for itself."""
    width = 9
    sizes = [1 + width]
    for _ in range(levels):
        sizes.append(1 + width * sizes[-1])
    expected = 1 + sum(1 + s for s in sizes)  # the document, each key and each value
    root = yaml.compose(_bomb(levels, width), Loader=frame._UniqueKeyLoader)
    assert frame._expanded_size(root, 10**12) == expected


def test_an_alias_bomb_is_refused_without_being_built(monkeypatch):
    built = []
    monkeypatch.setattr(frame._LOADER, "construct_document", lambda self, node: built.append(node))
    text = _bomb(8) + "question: *i\n"
    assert len(text) < 9000
    message = _refusal(text)
    assert "alias bomb" in message and "200,000" in message
    assert not built


def test_deep_nesting_is_refused_before_python_runs_out_of_stack():
    message = _refusal("question: " + "[" * 20000 + "]" * 20000 + "\n")
    assert f"nested more than {frame.MAX_DEPTH} levels" in message
    assert _load(to_yaml(BASE_CASE))  # the example nests well inside the limit


def test_many_aliases_are_refused():
    text = "x: &x 1\nitems: [" + ", ".join(["*x"] * (frame.MAX_ALIASES + 1)) + "]\n"
    assert f"more than {frame.MAX_ALIASES} aliases" in _refusal(text)


def test_short_never_builds_the_repr_of_a_huge_value():
    calls = []

    class Counted:
        def __repr__(self):
            calls.append(1)
            return "c"

    text = _short([Counted() for _ in range(100_000)])
    assert len(text) <= 80 and len(calls) <= 6
    nested = []
    for _ in range(9):
        nested = [nested] * 9
    assert len(_short(nested)) <= 80
    shown = str(Problem("x", "a" * 10_000, "too long"))
    assert "..." in shown and len(shown) < 120


# --- files ----------------------------------------------------------------------------------------

def test_file_problems_give_clear_messages(tmp_path, monkeypatch):
    with pytest.raises(CaseError, match="this is a folder"):
        Decision.from_yaml(tmp_path)
    with pytest.raises(CaseError, match="not an ordinary file"):
        Decision.from_yaml("/dev/null")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"question: x\n" + b"#" * frame.MAX_FILE_BYTES)
    with pytest.raises(CaseError, match="may be at most 2 MB"):
        Decision.from_yaml(big)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(CaseError, match="binary file"):
        Decision.from_yaml(binary)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# only a comment\n")
    with pytest.raises(CaseError, match="the file is empty"):
        Decision.from_yaml(empty)
    locked = tmp_path / "locked.yaml"
    locked.write_text(to_yaml(BASE_CASE))

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(CaseError, match="permission denied"):
        Decision.from_yaml(locked)


# --- property: any finite number on the scale is accepted, anything else refused -----------------

@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.integers(-10**9, 10**9)))
def test_an_inline_magnitude_is_accepted_exactly_when_it_is_on_the_scale(x):
    text = _with(lambda d: d["options"][1]["outcomes"][1].update(magnitude=x))
    on_scale = not isinstance(x, bool) and math.isfinite(x) and 0 <= x <= 100
    if on_scale:
        assert _load(text).options[1].outcomes[1].magnitude == x
    else:
        _refusal(text)


def test_cli_argument_types_name_the_argument_the_value_and_the_range():
    from decide import cli, defaults

    assert cli.draws_type("100") == cli.MIN_DRAWS and cli.draws_type(str(defaults.MAX_DRAWS)) == defaults.MAX_DRAWS
    assert cli.seed_type("0") == 0 and cli.seed_type(str(2**32 - 1)) == 2**32 - 1
    for func, text, words in ((cli.draws_type, "99", "--draws must be from 100 to 2,000,000"),
                              (cli.draws_type, str(defaults.MAX_DRAWS + 1), "got 2,000,001"),
                              (cli.draws_type, "lots", "got 'lots'"),
                              (cli.seed_type, "-1", "--seed must be from 0 to 4,294,967,295; got -1"),
                              (cli.seed_type, str(2**32), "got 4,294,967,296")):
        with pytest.raises(argparse.ArgumentTypeError, match=words):
            func(text)
    args = cli.build_parser().parse_args(["compare", "case.yaml"])
    assert (args.draws, args.seed) == (defaults.DRAWS, defaults.SEED)


# --- valid but rarely used families are drawn with numpy (preliz would compile them for seconds) --

@pytest.mark.parametrize("name, params", [
    ("Triangular", dict(lower=0, c=0.3, upper=1)), ("HalfNormal", dict(sigma=2)), ("Exponential", dict(lam=0.5)),
    ("StudentT", dict(nu=3, mu=1, sigma=2)), ("LogitNormal", dict(mu=0.5, sigma=0.8)), ("Kumaraswamy", dict(a=2, b=3)),
    ("Weibull", dict(alpha=1.5, beta=2)), ("TruncatedNormal", dict(mu=0.3, sigma=0.2, lower=0, upper=1)),
])
def test_numpy_draws_follow_the_preliz_distribution(name, params):
    """Kolmogorov-Smirnov against preliz's own CDF (seeded, so the verdict is fixed)."""
    import numpy as np
    from scipy import stats

    from decide.judge import _preliz, draw

    dist = getattr(_preliz(), name)(**params)
    x = draw(dist, 20_000, np.random.default_rng(3))
    assert stats.kstest(x, dist.cdf).pvalue > 0.01
    assert np.isfinite(x).all()


@pytest.mark.parametrize("word", ["nan", "NaN", "inf", "#N/A", "null", "None"])
def test_missing_value_words_are_not_names(word, tmp_path):
    message = _refusal(_with(lambda d: d["options"][1].update(name=word)))
    assert "what a spreadsheet writes for a missing or impossible number" in message
    from decide.evidence import EvidenceError, read_evidence

    path = tmp_path / "counts.csv"
    path.write_text("quantity,study,population,horizon_years,events,total,status,source\n"
                    f"{word},A,children,2,3,10,V,Author (2020)\n")
    with pytest.raises(EvidenceError, match="line 2.*column 'quantity'.*missing or impossible number"):
        read_evidence(path)
