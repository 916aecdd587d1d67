"""A catalogue of bad input: each gives one clear CaseError naming the field, the value and the fix.

Every case is written to a file, loaded, and checked that (a) the error is a CaseError, not a
traceback from deep inside a library, (b) the message holds the expected words, and (c) the
user's file is byte-for-byte unchanged.
"""

import copy
import hashlib

import pytest

from conftest import BASE_CASE, to_yaml
from decide import CaseError, Decision


def mutate(fn):
    data = copy.deepcopy(BASE_CASE)
    fn(data)
    return to_yaml(data)


def setp(path, value):
    def fn(d):
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value

    return fn


OUT0 = ["options", 0, "outcomes", 0]

CATALOGUE = {
    # name: (yaml text, [words the message must contain])
    "probability above 1": (mutate(setp(["options", 1, "outcomes", 0, "chance"], 1.4)), ["line ", "options[1] (care).outcomes[0] (moves).chance", "1.4", "between 0 and 1"]),
    "negative probability": (mutate(setp(["options", 1, "outcomes", 0, "chance"], -0.1)), ["-0.1", "between 0 and 1"]),
    "probability above 1 in low/likely/high": (
        mutate(setp(["quantities", 0, "judgement"], {"low": 0.5, "likely": 0.9, "high": 1.2})), ["base_rate", "1.2", "between 0 and 1"]),
    "low above high": (mutate(setp(["quantities", 1, "judgement"], {"low": 80, "likely": 60, "high": 40})), ["quantities[1] (severity)", "low < likely < high", "low=80"]),
    "unknown verbal term": (mutate(setp(OUT0 + ["chance"], {"verbal": "quite likely"})), ["'quite likely'", "not a term", "'realistic possibility'"]),
    "verbal term from the wrong scale": (mutate(setp(OUT0 + ["chance"], {"verbal": "roughly even chance"})), ["roughly even chance", "uk_yardstick"]),
    "outcome names a missing quantity": (mutate(setp(OUT0 + ["chance"], "base_rat")), ["'base_rat'", "not defined", "did you mean 'base_rate'"]),
    "outcome names a missing factor": (mutate(setp(OUT0 + ["factors"], ["suport"])), ["'suport'", "did you mean 'support'"]),
    "option with no outcomes": (mutate(setp(["options", 1, "outcomes"], [])), ["options[1] (care).outcomes", "at least one outcome"]),
    "only one option": (mutate(lambda d: d["options"].pop()), ["options", "at least 2"]),
    "duplicate option names": (mutate(setp(["options", 1, "name"], "home")), ["duplicate option", "'home'"]),
    "duplicate quantity names": (mutate(setp(["quantities", 1, "name"], "base_rate")), ["duplicate quantity", "base_rate"]),
    "duplicate outcome names": (mutate(setp(["options", 0, "outcomes", 1, "name"], "harm")), ["duplicate outcome", "'harm'"]),
    "negative magnitude": (mutate(setp(["options", 0, "outcomes", 1, "magnitude"], -5)), ["magnitude", "-5", "value scale, from 0 to 100"]),
    "magnitude above the scale": (mutate(setp(["quantities", 1, "judgement"], {"low": 40, "likely": 60, "high": 180})), ["180", "value scale"]),
    "malformed YAML": ("question: x\noptions:\n  - name: a\n   outcomes: []\n", ["malformed YAML", "line 4"]),
    "python object tag": ("question: !!python/object/apply:os.system ['echo hacked']\n", ["not allowed", "plain data"]),
    "duplicate YAML key": ("question: a\nquestion: b\n", ["duplicate key 'question'", "line 2"]),
    "date not a date": (mutate(setp(["date"], "last Tuesday")), ["date", "last Tuesday", "YYYY-MM-DD"]),
    "harm weight not a number": (mutate(lambda d: d.update(values={"harm_weight": "heavy"})), ["values.harm_weight", "heavy", "give a number"]),
    "harm weight zero": (mutate(lambda d: d.update(values={"harm_weight": 0})), ["harm_weight", "greater than 0"]),
    "misspelt field": (mutate(lambda d: d["options"][0]["outcomes"][0].update(chanse=0.3)), ["unknown field 'chanse'", "did you mean 'chance'"]),
    "missing field": (mutate(lambda d: d.pop("question")), ["question", "Field required", "add this field"]),
    "harm/benefit misspelt": (mutate(setp(OUT0 + ["kind"], "harmful")), ["kind", "'harmful'", "'harm' or 'benefit'"]),
    "negative odds ratio": (mutate(setp(["factors", 0, "odds_ratio"], -0.5)), ["odds_ratio", "-0.5", "above 0"]),
    "risk factor that lowers risk": (mutate(setp(["factors", 0, "kind"], "risk")), ["'support'", "risk factor", "below 1", "kind: protective"]),
    "verbal judgement for a magnitude": (mutate(setp(["quantities", 1, "judgement"], {"verbal": "likely"})), ["severity", "describes a probability", "low/likely/high"]),
    "unknown distribution": (mutate(setp(["quantities", 0, "judgement"], {"distribution": "Betta", "params": {"alpha": 2, "beta": 3}})), ["'Betta'", "unknown distribution", "Beta"]),
    "invalid distribution parameter": (mutate(setp(["quantities", 0, "judgement"], {"distribution": "Beta", "params": {"alpha": -2, "beta": 3}})), ["Beta", "alpha", "not valid"]),
    "normal distribution for a probability": (mutate(setp(["quantities", 0, "judgement"], {"distribution": "Normal", "params": {"mu": 0.4, "sigma": 0.1}})), ["base_rate", "Normal", "outside the range of a probability", "use Beta"]),
    "enquiry informs an unknown quantity": (mutate(lambda d: d.update(enquiries=[{"name": "assessment", "informs": ["base_rat"], "weeks": 6}])), ["enquiry 'assessment'", "'base_rat'", "did you mean 'base_rate'"]),
    "enquiry with no wait": (mutate(lambda d: d.update(enquiries=[{"name": "assessment", "informs": ["base_rate"], "weeks": 0}])), ["weeks", "above 0"]),
    "study of cases on a magnitude": (mutate(lambda d: d.update(enquiries=[{"name": "study", "informs": ["severity"], "weeks": 4, "cases": 50}])), ["study of 50 cases", "one probability"]),
    "negative delay harm": (mutate(lambda d: d.update(delay_harm_per_week=-1)), ["delay_harm_per_week", "-1", "0 or more"]),
    "scenario shifts an unknown outcome": (mutate(lambda d: d.update(scenarios=[{"name": "worse", "odds_ratios": {"harms": 2}}])), ["scenario 'worse'", "'harms'", "did you mean 'harm'"]),
    "scenario sets a probability above 1": (mutate(lambda d: d.update(scenarios=[{"name": "worse", "quantities": {"base_rate": 1.5}}])), ["scenarios[0] (worse).quantities.base_rate", "1.5", "between 0 and 1"]),
    "two forms in one judgement": (mutate(setp(OUT0 + ["chance"], {"verbal": "likely", "low": 0.1, "likely": 0.2, "high": 0.3})), ["exactly one", "verbal", "low/likely/high"]),
    "wrong kind of quantity": (mutate(setp(OUT0 + ["chance"], "severity")), ["'severity'", "kind 'probability'", "'magnitude'"]),
    "top level is a list": ("- a\n- b\n", ["top level", "mapping"]),
    "empty file": ("", ["empty", "data/cases"]),
    "scale limits reversed": (mutate(lambda d: d.update(values={"scale_min": 10, "scale_max": 5})), ["scale_min < scale_max"]),
    "options not a list": (mutate(setp(["options"], "home, care")), ["options", "home, care", "list"]),
    "quantiles out of order": (mutate(setp(["quantities", 0, "judgement"], {"quantiles": {0.1: 0.5, 0.9: 0.2}})), ["quantile values must increase"]),
    "verbal and confidence mixed up": (mutate(setp(OUT0 + ["chance"], {"verbal": "likely", "confidence": "very"})), ["confidence", "'very'", "'low', 'medium' or 'high'"]),
}


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_bad_input_gives_clear_error(name, tmp_path):
    text, words = CATALOGUE[name]
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(CaseError) as info:
        Decision.from_yaml(path)
    message = str(info.value)
    assert str(path) in message, "the error names the file"
    for word in words:
        assert word in message, f"{word!r} missing from:\n{message}"
    assert "Traceback" not in message and "pydantic" not in message.lower()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the user's file was changed"


def test_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 20


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(CaseError, match="no such file"):
        Decision.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("question: caf\xe9\n".encode("latin-1"))
    with pytest.raises(CaseError, match="UTF-8"):
        Decision.from_yaml(bad)


def test_python_tag_is_never_executed(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "case.yaml"
    path.write_text(f"question: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(CaseError):
        Decision.from_yaml(path)
    assert not marker.exists()


def test_python_and_yaml_give_the_same_object(base_case):
    from_python = Decision.model_validate(base_case)
    from_yaml = Decision.from_yaml_text(to_yaml(base_case))
    assert from_python == from_yaml
    assert Decision.from_yaml_text(from_python.to_yaml()) == from_python
