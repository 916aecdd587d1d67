"""The JSON Schema of a case file: valid for draft 2020-12, the committed copy up to date, every
valid case accepted, and what `decide check` refuses refused too wherever a schema can say it.

The schema must never be stricter than decide: a case decide accepts but the editor marks wrong
would teach people to ignore the editor. So besides the listed mutations, a property test breaks
cases at random and checks that whatever the schema refuses, decide refuses too.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_CASE, RELAPSE_CASE
from decide.errors import CaseError
from decide.frame import Decision
from decide.schema import SCHEMA_PATH, case_schema, schema_text
from decide.starter import starter_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "data" / "cases").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = case_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def as_editor_reads(data):
    """The case as an editor's YAML reader hands it to the schema: dates as text, keys as text."""
    if isinstance(data, dict):
        return {_key(k): as_editor_reads(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_editor_reads(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def _key(k) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    return str(k)


def schema_refuses(validator, data) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator.iter_errors(as_editor_reads(data))]


def decide_refuses(data) -> bool:
    try:
        Decision.from_yaml_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    except CaseError:
        return True
    return False


def test_schema_is_draft_2020_12_with_an_id_and_title():
    schema = case_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    text = json.dumps(schema)
    assert '"ge"' not in text and '"le"' not in text, "pydantic's ge/le must become minimum/maximum"


def test_committed_schema_is_the_generated_one():
    committed = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_text(), f"{SCHEMA_PATH} is out of date: run decide schema -o {SCHEMA_PATH} --force"


def test_editors_are_offered_the_words_decide_accepts():
    """Verbal terms (with their bands), scales, confidences and distributions as lists an editor completes."""
    from decide.judge import DISTRIBUTIONS, SCALES

    props = case_schema()["$defs"]["Judgement"]["properties"]
    verbal = props["verbal"]["anyOf"][0]
    assert set(verbal["enum"]) == {t for terms in SCALES.values() for t in terms}
    i = verbal["enum"].index("realistic possibility")
    assert "40% to 50%" in verbal["enumDescriptions"][i]
    assert props["distribution"]["anyOf"][0]["enum"] == list(DISTRIBUTIONS)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_case_validates(validator, path):
    assert schema_refuses(validator, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("data", [BASE_CASE, RELAPSE_CASE], ids=["base", "relapse"])
def test_cases_in_the_tests_validate(validator, data):
    assert schema_refuses(validator, data) == []


def test_the_starting_case_validates(validator):
    assert schema_refuses(validator, yaml.safe_load(starter_text())) == []


@pytest.fixture(scope="module")
def catalogue():
    """The catalogue's entries (building them takes seconds, so once for this file)."""
    from hostile import all_entries

    return all_entries()


def test_every_valid_case_of_the_catalogue_validates(validator, catalogue):
    valid = [e for e in catalogue if e.id.startswith("case/") and e.expect == "valid" and e.argv[0] == "check"]
    assert len(valid) >= 10
    for entry in valid:
        text = entry.files["case.yaml"]
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        data = yaml.safe_load(text.lstrip("\ufeff"))
        assert schema_refuses(validator, data) == [], entry.id


def _mutations():
    """(id, change) pairs: each breaks the base case in a way a schema can express."""

    def at(*path_and_value):
        *path, value = path_and_value

        def change(d):
            cur = d
            for k in path[:-1]:
                cur = cur[k]
            cur[path[-1]] = value
        return change

    def drop(*path):
        def change(d):
            cur = d
            for k in path[:-1]:
                cur = cur[k]
            del cur[path[-1]]
        return change

    out1 = ("options", 0, "outcomes", 1)
    return [
        ("unknown top-level field", at("questions", "x")),
        ("unknown field in an outcome", at(*out1, "chanse", 0.2)),
        ("unknown field in a judgement", at(*out1, "chance", {"verbal": "likely", "confidense": "high"})),
        ("missing question", drop("question")),
        ("missing date", drop("date")),
        ("missing options", drop("options")),
        ("missing outcome kind", drop(*out1, "kind")),
        ("missing horizon", drop(*out1, "horizon")),
        ("missing factor odds ratio", drop("factors", 0, "odds_ratio")),
        ("one option only", lambda d: d["options"].pop()),
        ("nobody decides", at("decided_by", [])),
        ("decided_by as text", at("decided_by", "social worker")),
        ("date as a number", at("date", 20260115)),
        ("impossible date text", at("date", "15/01/2026")),
        ("outcome kind not harm or benefit", at(*out1, "kind", "good")),
        ("factor kind not risk or protective", at("factors", 0, "kind", "neutral")),
        ("quantity kind unknown", at("quantities", 0, "kind", "rate")),
        ("reliability unknown word", at("known", [{"what": "x", "source": "y", "reliability": "very high"}])),
        ("verbal term not on the scale", at(*out1, "chance", {"verbal": "quite likely"})),
        ("ICD term on the UK scale", at(*out1, "chance", {"verbal": "roughly even chance"})),
        ("UK term on the ICD scale", at(*out1, "chance", {"verbal": "realistic possibility", "scale": "icd203"})),
        ("unknown scale", at(*out1, "chance", {"verbal": "likely", "scale": "nato"})),
        ("unknown confidence", at(*out1, "chance", {"verbal": "likely", "confidence": "very"})),
        ("unknown distribution", at("quantities", 0, "judgement", {"distribution": "Poisson", "params": {"mu": 3}})),
        ("two forms in one judgement", at(*out1, "chance", {"verbal": "likely", "low": 0.1, "likely": 0.2, "high": 0.3})),
        ("no form in a judgement", at(*out1, "chance", {"by": "social worker"})),
        ("low and high without likely", at(*out1, "chance", {"low": 0.1, "high": 0.3})),
        ("quantity with judgement and judgements", at("quantities", 0, "judgements", [{"value": 0.3}])),
        ("quantity with neither", drop("quantities", 0, "judgement")),
        ("quantity with no judgements", lambda d: (d["quantities"][0].pop("judgement"), d["quantities"][0].update(judgements=[]))),
        ("chance above 1", at("options", 1, "outcomes", 0, "chance", 1.5)),
        ("chance below 0", at("options", 1, "outcomes", 0, "chance", -0.1)),
        ("inline chance judgement above 1", at(*out1, "chance", {"low": 0.5, "likely": 0.9, "high": 1.2})),
        ("probability quantity above 1", at("quantities", 0, "judgement", {"low": 0.5, "likely": 0.9, "high": 1.2})),
        ("verbal magnitude", at(*out1, "magnitude", {"verbal": "likely"})),
        ("verbal magnitude quantity", at("quantities", 1, "judgement", {"verbal": "likely"})),
        ("verbal odds ratio", at("factors", 0, "odds_ratio", {"verbal": "unlikely"})),
        ("odds ratio of 0", at("factors", 0, "odds_ratio", 0)),
        ("negative odds ratio", at("factors", 0, "odds_ratio", -2)),
        ("magnitude beyond the number limit", at(*out1, "magnitude", 1e7)),
        ("yes as a number", at(*out1, "magnitude", True)),
        ("text as a number", at("options", 1, "outcomes", 1, "magnitude", {"value": "thirty"})),
        ("quantile level 1.5", at("quantities", 0, "judgement", {"quantiles": {0.1: 0.2, 1.5: 0.6}})),
        ("zero weight in a pool", at(*out1, "chance", {"verbal": "likely", "weight": 0})),
        ("harm weight 0", at("values", {"harm_weight": 0})),
        ("harm weight range of one number", at("values", {"harm_weight_range": [1]})),
        ("unknown field in values", at("values", {"harm_wieght": 2})),
        ("enquiry without informs", at("enquiries", [{"name": "assessment", "weeks": 4}])),
        ("enquiry of 0 weeks", at("enquiries", [{"name": "assessment", "informs": ["base_rate"], "weeks": 0}])),
        ("enquiry of 11 years", at("enquiries", [{"name": "assessment", "informs": ["base_rate"], "weeks": 572}])),
        ("study of 0 cases", at("enquiries", [{"name": "audit", "informs": ["base_rate"], "weeks": 4, "cases": 0}])),
        ("study of 2.5 cases", at("enquiries", [{"name": "audit", "informs": ["base_rate"], "weeks": 4, "cases": 2.5}])),
        ("negative delay harm", at("delay_harm_per_week", -1)),
        ("verbal delay harm", at("delay_harm_per_week", {"verbal": "likely"})),
        ("scenario odds ratio 0", at("scenarios", [{"name": "worse", "odds_ratios": {"harm": 0}}])),
        ("scenario without a name", at("scenarios", [{"quantities": {"base_rate": 0.5}}])),
        ("empty name", at("options", 0, "name", "")),
        ("name of 200 characters", at("options", 0, "name", "x" * 200)),
        ("outcomes not a list", at("options", 0, "outcomes", {"name": "harm"})),
        ("no outcomes", at("options", 0, "outcomes", [])),
    ]


MUTATIONS = _mutations()


@pytest.mark.parametrize("change", [c for _, c in MUTATIONS], ids=[i for i, _ in MUTATIONS])
def test_what_decide_refuses_the_schema_refuses(validator, change):
    data = copy.deepcopy(BASE_CASE)
    change(data)
    assert decide_refuses(data), "the mutation must break the case for decide (else the test proves nothing)"
    assert schema_refuses(validator, data), "decide refuses this case but the schema accepts it"


# --- the schema is never stricter than decide ---------------------------------------------------

#: What a value may be replaced with (numbers in and out of range, words, other shapes).
REPLACEMENTS = [0, 1, 0.5, -1, 2, 1e7, 0.000001, 520, 521, True, "", "x", "likely", "harm", "risk", "probability",
                "2026-01-01", None, [], ["x"], {}, {"value": 1}, {"low": 1, "likely": 2, "high": 3}, {"verbal": "likely"}]
BASES = [BASE_CASE, RELAPSE_CASE, yaml.safe_load(starter_text())] + [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES]


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


@st.composite
def broken_case(draw):
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from([p for p in _paths(data) if p]))
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        how = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if how == "delete":
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["name", "kind", "weeks", "cases", "verbal", "value", "extra"]))] = \
                copy.deepcopy(draw(st.sampled_from(REPLACEMENTS)))
        else:
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(REPLACEMENTS)))
    return data


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(broken_case())
def test_the_schema_never_refuses_what_decide_accepts(validator, data):
    problems = schema_refuses(validator, data)
    if problems:
        assert decide_refuses(data), f"the schema refuses a case decide accepts: {problems[:3]}"


def test_catalogue_refusals_the_schema_also_catches(validator, catalogue):
    """Not every refusal can be a schema's (names that refer to each other, ranges set by the case);
    the share it catches is printed, and must not fall below what it caught when this was written."""
    caught = total = 0
    for entry in catalogue:
        if not (entry.id.startswith("case/") and entry.expect == "refused" and entry.argv[:1] == ["check"]):
            continue
        text = entry.files.get("case.yaml")
        if not isinstance(text, str) or len(text) > 50_000 or "*" in text or "!!" in text:
            continue
        try:  # libyaml's reader where there is one: PyYAML's own slows to seconds on the deepest brackets
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            if not isinstance(data, dict) or any(isinstance(x, float) and not math.isfinite(x) for x in _numbers(data)):
                continue  # the editor's reader and PyYAML differ on NaN and broken YAML; decide check reports those
        except (yaml.YAMLError, ValueError, RecursionError):  # (libyaml reads brackets nested past Python's depth)
            continue
        total += 1
        caught += bool(schema_refuses(validator, data))
    print(f"the schema refuses {caught} of the {total} refused catalogue case files it can read")
    assert total >= 50 and caught / total >= 0.5


def _numbers(data):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _numbers(k)
            yield from _numbers(v)
    elif isinstance(data, list):
        for v in data:
            yield from _numbers(v)
    elif isinstance(data, float):
        yield data


# --- the commands ---------------------------------------------------------------------------------

def test_schema_and_reference_commands_print_or_write_never_over_a_file(tmp_path, capsys):
    from decide.cli import main
    from decide.schema import reference_text

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == case_schema()
    out = tmp_path / "case-file.schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text()
    out.write_text("mine")
    assert main(["schema", "-o", str(out)]) == 2
    assert out.read_text() == "mine" and "--force" in capsys.readouterr().err
    assert main(["schema", "-o", str(out), "--force"]) == 0 and out.read_text(encoding="utf-8") == schema_text()
    ref = tmp_path / "case-file.md"
    assert main(["reference", "-o", str(ref)]) == 0
    assert ref.read_text(encoding="utf-8") == reference_text()
    assert main(["reference", "-o", str(ref)]) == 2


def test_registering_the_commands_loads_nothing_heavy():
    """`decide --help` imports every module that registers a command (until it is indexed)."""
    import subprocess
    import sys

    code = ("import sys, decide.schema, decide.starter; "
            "print(sorted(m for m in ('numpy', 'pandas', 'pydantic', 'preliz', 'yaml', 'jsonschema') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


# --- horizons ---------------------------------------------------------------------------------------

HORIZON_PIECES = ["2", "18", "1.5", ".5", "0", "101", "six", "a", "an", "Twelve", "thirteen", " ", "  ", "-", ".", "\t",
                  "years", "Year", "yr", "yrs", "y", "months", "mo", "m", "weeks", "wk", "w", "days", "d", "fortnight",
                  "within", "over", "for", "soon", "x"]


def _horizon_accepted(text: str) -> bool:
    from decide.frame import parse_horizon

    try:
        parse_horizon(text.strip())
    except ValueError:
        return False
    return True


def test_the_horizon_pattern_accepts_every_horizon_decide_reads():
    import re

    from decide.schema import horizon_pattern

    pattern = horizon_pattern()
    assert pattern, "decide reads horizons, so the schema must check them"
    for text in ["2 years", "18 months", "26 weeks", "1.5 yr", "six months", "within a year", "2-years", "3 WK.", "over 12 mths"]:
        assert _horizon_accepted(text) and re.search(pattern, text), text
    for text in ["soon", "2 fortnights", "years 2", "2", "two", ""]:
        assert not _horizon_accepted(text) and not re.search(pattern, text), text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(HORIZON_PIECES), min_size=1, max_size=5).map("".join))
def test_the_horizon_pattern_is_never_stricter_than_decide(text):
    import re

    from decide.schema import horizon_pattern

    pattern = horizon_pattern()
    if pattern is not None and _horizon_accepted(text):
        assert re.search(pattern, text), f"decide reads {text!r} but the schema refuses it"
