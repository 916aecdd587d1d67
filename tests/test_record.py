"""Decision records: immutable, content-hashed, atomic, never overwritten; an edited record is refused."""

import datetime as dt
import json
import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decide.errors import DecideError
from decide.frame import Decision
from decide.record import (
    canonical_json,
    content_hash,
    load_record,
    make_record,
    record,
    record_filename,
    render_file,
    write_record,
)

from conftest import BASE_CASE

WHEN = dt.datetime(2026, 1, 15, 16, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def case():
    return Decision.from_dict(BASE_CASE)


@pytest.fixture(scope="module")
def rec(case):
    return make_record(case, chosen="home", reason="family support in place", case_name="placement", draws=400, seed=7,
                       recorded_at=WHEN)


@pytest.fixture(scope="module")
def written(rec, tmp_path_factory):
    folder = tmp_path_factory.mktemp("records")
    return write_record(rec, folder)


def test_record_holds_everything_known_on_the_day(rec, case):
    c = rec.content
    assert Decision.from_dict(c["case"]) == case  # every judgement and the evidence, as validated
    assert c["decided_on"] == "2026-01-15" and c["chosen"] == {"option": "home", "reason": "family support in place",
                                                                 "chosen_by": "the decision-makers"}
    assert c["analysis"]["settings"]["draws"] == 400 and c["analysis"]["settings"]["seed"] == 7
    assert {"decide", "numpy", "scipy", "preliz", "pandas", "python"} <= set(c["versions"])
    assert [r["option"] for r in c["analysis"]["summary"]] == ["home", "care"]
    assert c["analysis"]["preferred"] in ("home", "care")


def test_hash_is_sha256_of_canonical_json(rec):
    import hashlib

    text = json.dumps(rec.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert rec.sha256 == hashlib.sha256(text.encode()).hexdigest() == content_hash(rec.content)
    assert canonical_json(rec.content) == text


def test_write_then_load_round_trips_exactly(rec, written):
    loaded = load_record(written)
    assert loaded.content == rec.content and loaded.sha256 == rec.sha256
    assert written.name == record_filename(rec) == f"placement_2026-01-15_{rec.sha256[:12]}.json"
    assert not os.stat(written).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only
    assert written.read_text() == render_file(rec.content, rec.sha256)


def test_stored_tables_come_back_as_recorded(rec, case):
    from decide.compare import summary
    from decide.simulate import simulate

    table = rec.table("summary")
    fresh = summary(simulate(case, 400, seed=7))
    assert (table.index == fresh.index).all()
    assert (table["expected_value"].to_numpy() == fresh["expected_value"].to_numpy()).all()  # exact, not close


def test_same_seed_same_numbers_different_seed_different(case, rec):
    again = make_record(case, chosen="home", reason="family support in place", case_name="placement", draws=400,
                        seed=7, recorded_at=WHEN)
    assert again.sha256 == rec.sha256
    other = make_record(case, chosen="home", case_name="placement", draws=400, seed=8, recorded_at=WHEN)
    assert other.content["analysis"]["summary"] != rec.content["analysis"]["summary"]


def test_two_records_of_the_same_case_and_date_never_overwrite(rec, tmp_path):
    first = write_record(rec, tmp_path)
    before = first.read_bytes()
    second = write_record(rec, tmp_path)  # identical content: a second file, the first untouched
    assert second != first and first.read_bytes() == before
    assert load_record(second).sha256 == rec.sha256
    # recorded at different moments (the default): different hashes, different names
    case = rec.decision
    a = record(case, tmp_path / "two", chosen="home", draws=200, seed=1, case_name="placement")
    b = record(case, tmp_path / "two", chosen="home", draws=200, seed=1, case_name="placement")
    assert a != b and a.name.startswith("placement_2026-01-15_") and b.name.startswith("placement_2026-01-15_")
    assert load_record(a).sha256 != load_record(b).sha256
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted([a.name, b.name])  # no temporary files left


def _edited(path, tmp_path, position, new_byte):
    raw = bytearray(path.read_bytes())
    raw[position] = new_byte
    out = tmp_path / "edited.json"
    if out.exists():
        out.chmod(0o644)
        out.unlink()
    out.write_bytes(bytes(raw))
    return out


def test_a_changed_number_is_refused_with_a_clear_message(written, tmp_path):
    text = written.read_text()
    i = text.index('"expected_value": ') + len('"expected_value": ') + 2
    digit = text[i]
    bad = _edited(written, tmp_path, i, ord("7" if digit != "7" else "8"))
    with pytest.raises(DecideError, match="changed since it was written.*must not be edited"):
        load_record(bad)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_byte_edit_is_refused(written, tmp_path, data):
    raw = written.read_bytes()
    position = data.draw(st.integers(0, len(raw) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]), label="byte")
    with pytest.raises(DecideError, match="record|decide"):
        load_record(_edited(written, tmp_path, position, new))


def test_respacing_is_refused_even_though_the_content_is_the_same(written, tmp_path):
    data = json.loads(written.read_text())
    out = tmp_path / "respaced.json"
    out.write_text(json.dumps(data, indent=2, sort_keys=True))
    with pytest.raises(DecideError, match="byte-for-byte"):
        load_record(out)


def test_not_a_record(tmp_path):
    with pytest.raises(DecideError, match="no such record file"):
        load_record(tmp_path / "missing.json")
    p = tmp_path / "case.json"
    p.write_text('{"question": "x"}')
    with pytest.raises(DecideError, match="not a decide record"):
        load_record(p)
    with pytest.raises(DecideError, match="is a folder"):
        load_record(tmp_path)


def test_unknown_chosen_option_is_a_clear_error(case):
    with pytest.raises(DecideError, match="'hom' is not an option.*did you mean 'home'"):
        make_record(case, chosen="hom", draws=100, seed=1)


def test_choice_not_stated_is_marked(case):
    r = make_record(case, draws=200, seed=1)
    assert r.content["chosen"]["option"] == r.content["analysis"]["preferred"]
    assert r.content["chosen"]["chosen_by"].startswith("not stated")


def test_cli_record_writes_and_never_touches_the_case(tmp_path, capsys):
    from decide.cli import main

    case_file = tmp_path / "my_case.yaml"
    case_file.write_text(Decision.from_dict(BASE_CASE).to_yaml())
    before = case_file.read_bytes()
    assert main(["record", str(case_file), "--chosen", "care", "--folder", str(tmp_path / "out"), "--draws", "200"]) == 0
    out = capsys.readouterr().out
    files = list((tmp_path / "out").glob("my_case_2026-01-15_*.json"))
    assert len(files) == 1 and f"wrote {files[0]}" in out
    assert load_record(files[0]).chosen == "care"
    assert case_file.read_bytes() == before
    assert main(["record", str(case_file), "--chosen", "nowhere", "--folder", str(tmp_path / "out")]) == 2
    assert "not an option" in capsys.readouterr().err
