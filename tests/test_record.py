"""Decision records: content-hashed, chained, atomic, never overwritten; an edited record is refused."""

import datetime as dt
import json
import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decide.errors import DecideError
from decide.frame import Decision
from decide import defaults
from decide.record import (
    DEFAULT_DRAWS,
    DEFAULT_INTERVAL,
    DEFAULT_SEED,
    MAX_RECORD_BYTES,
    SCHEMA,
    canonical_json,
    content_hash,
    load_record,
    make_record,
    placed,
    read_chain,
    record,
    record_filename,
    render_file,
    where_differ,
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
    first = placed(rec, 1, None)  # the first record in its folder, unsigned
    assert loaded.content == first.content and loaded.sha256 == first.sha256 == content_hash(first.content)
    assert loaded.content["chain"] == {"sequence": 1, "previous": None} and loaded.signed_by is None
    assert {k: v for k, v in loaded.content.items() if k not in ("chain", "signed_by")} == rec.content
    assert written.name == record_filename(first) == f"placement_2026-01-15_{first.sha256[:12]}.json"
    assert not os.stat(written).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only
    assert written.read_text() == render_file(first.content, first.sha256)


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
    second = write_record(rec, tmp_path)  # identical analysis: a second file, chained after the first, which is untouched
    assert second != first and first.read_bytes() == before
    a, b = load_record(first), load_record(second)
    assert (a.sequence, b.sequence) == (1, 2) and b.previous == a.sha256
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
    with pytest.raises(DecideError, match="(?s)changed since it was written.*must not be edited"):
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


# --- defaults, messages and hostile files -------------------------------------------------------------


def test_records_use_the_projects_one_set_of_defaults(case):
    assert (DEFAULT_DRAWS, DEFAULT_SEED, DEFAULT_INTERVAL) == (defaults.DRAWS, defaults.SEED, defaults.INTERVAL)
    from decide.cli import build_parser

    args = build_parser().parse_args(["record", "case.yaml"])
    assert (args.draws, args.seed) == (defaults.DRAWS, defaults.SEED)


def test_same_numbers_as_compare_with_the_defaults(case):
    """A record made with the defaults stores exactly the summary `decide compare` computes with them."""
    from decide.compare import summary
    from decide.simulate import simulate

    r = make_record(case, chosen="home", recorded_at=WHEN)
    fresh = summary(simulate(case, defaults.DRAWS, seed=defaults.SEED), defaults.INTERVAL)
    assert r.table("summary")["expected_value"].tolist() == fresh["expected_value"].tolist()
    assert r.table("summary")["probability_best"].tolist() == fresh["probability_best"].tolist()


@pytest.mark.parametrize("draws, seed, match", [(0, 1, "draws"), (99, 1, "draws"), (defaults.MAX_DRAWS + 1, 1, "draws"),
                                                (1.5, 1, "draws"), (True, 1, "draws"), (100, -1, "seed"),
                                                (100, 2**32, "seed")])
def test_bad_settings_are_refused_before_simulating(case, draws, seed, match):
    with pytest.raises(DecideError, match=match):
        make_record(case, draws=draws, seed=seed)


def test_a_changed_last_hash_character_shows_where_the_hashes_differ(written, tmp_path):
    data = json.loads(written.read_text())
    last = data["sha256"][-1]
    data["sha256"] = data["sha256"][:-1] + ("0" if last != "0" else "1")
    out = tmp_path / "last.json"
    out.write_text(render_file(data["record"], data["sha256"]))
    with pytest.raises(DecideError) as err:
        load_record(out)
    msg = str(err.value)
    assert "differ from character 64 of 64" in msg
    assert content_hash(data["record"]) in msg and data["sha256"] in msg  # both in full


def test_where_differ_names_the_first_differing_position():
    assert "character 1 of 3" in where_differ("abc", "xbc") and "character 3 of 3" in where_differ("abc", "abd")


def test_rehashed_record_with_missing_or_wrong_fields_is_refused_clearly(written, tmp_path):
    base = json.loads(written.read_text())["record"]
    for change, expect in [(lambda c: c.pop("analysis"), "analysis is missing"),
                           (lambda c: c["analysis"]["settings"].update(draws=10**10), "draws must be"),
                           (lambda c: c.update(decided_on="2026-02-30"), "decided_on should be a date"),
                           (lambda c: c.update(chain={"sequence": 0, "previous": None}), "sequence"),
                           (lambda c: c.update(chain={"sequence": 2, "previous": None}), "previous"),
                           (lambda c: c.pop("signed_by"), "signed_by is missing"),
                           (lambda c: c.update(chosen="home"), "chosen should be")]:
        content = json.loads(json.dumps(base))
        change(content)
        out = tmp_path / "bad.json"
        out.write_text(render_file(content, content_hash(content)))
        with pytest.raises(DecideError, match=expect):
            load_record(out)


def test_other_format_versions_and_huge_files_are_refused(written, tmp_path):
    content = json.loads(written.read_text())["record"]
    content["schema"] = "decide-record/99"
    out = tmp_path / "v99.json"
    out.write_text(render_file(content, content_hash(content)))
    with pytest.raises(DecideError, match="record format 'decide-record/99' is not one"):
        load_record(out)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_RECORD_BYTES + 1)  # sparse: no time or disk spent
    with pytest.raises(DecideError, match="far larger than any record"):
        load_record(huge)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DecideError, match="nested|not a"):
        load_record(deep)


def test_format_1_records_stay_readable_but_say_they_are_unchained(rec, tmp_path):
    content = json.loads(canonical_json(rec.content))
    content["schema"] = "decide-record/1"
    out = tmp_path / "old.json"
    out.write_text(render_file(content, content_hash(content)))
    old = load_record(out)
    assert old.sequence is None and old.signed_by is None and SCHEMA != "decide-record/1"
    report = read_chain(tmp_path)
    assert any("older record (format 1)" in p for p in report.problems)


# --- the chain -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain_folder(rec, tmp_path_factory):
    folder = tmp_path_factory.mktemp("chain")
    paths = [write_record(rec, folder) for _ in range(4)]
    return folder, paths


def _copy_chain(chain_folder, tmp_path):
    folder, paths = chain_folder
    out = tmp_path / "copy"
    out.mkdir()
    for p in paths:
        (out / p.name).write_bytes(p.read_bytes())
    return out, [out / p.name for p in paths]


def test_each_record_names_its_predecessor(chain_folder):
    folder, paths = chain_folder
    recs = [load_record(p) for p in paths]
    assert [r.sequence for r in recs] == [1, 2, 3, 4]
    assert [r.previous for r in recs] == [None, *[r.sha256 for r in recs[:-1]]]
    report = read_chain(folder)
    assert report.problems == [] and [r.sha256 for r in report.records] == [r.sha256 for r in recs]


def test_chain_finds_a_removed_record(chain_folder, tmp_path):
    folder, paths = _copy_chain(chain_folder, tmp_path)
    paths[1].unlink()
    problems = read_chain(folder).problems
    assert len(problems) == 1 and "record 2 missing" in problems[0] and paths[2].name in problems[0]
    paths[0].unlink()
    assert any("records 1 to 2 missing at the start" in p for p in read_chain(folder).problems)


def test_chain_finds_a_record_changed_and_rehashed(chain_folder, tmp_path):
    folder, paths = _copy_chain(chain_folder, tmp_path)
    content = json.loads(paths[1].read_text())["record"]
    content["chosen"]["reason"] = "written afterwards"
    paths[1].chmod(0o644)
    paths[1].write_text(render_file(content, content_hash(content)))
    problems = read_chain(folder).problems
    assert len(problems) == 1 and paths[1].name in problems[0] and "changed and re-hashed" in problems[0]
    # a change without re-hashing is found on loading, naming the file
    paths[2].chmod(0o644)
    paths[2].write_text(paths[2].read_text().replace('"seed": 7', '"seed": 8'))
    assert any(paths[2].name in p and "changed since it was written" in p for p in read_chain(folder).problems)


def test_chain_finds_records_reordered(chain_folder, tmp_path):
    folder, paths = _copy_chain(chain_folder, tmp_path)
    a, b = (json.loads(p.read_text())["record"] for p in paths[1:3])
    a["chain"]["sequence"], b["chain"]["sequence"] = 3, 2  # swap records 2 and 3 and re-hash both
    for p, c in zip(paths[1:3], (a, b)):
        p.chmod(0o644)
        p.write_text(render_file(c, content_hash(c)))
    problems = read_chain(folder).problems
    assert any("reordered" in p for p in problems), problems


def test_a_new_record_is_not_added_to_a_broken_chain(chain_folder, rec, tmp_path):
    folder, paths = _copy_chain(chain_folder, tmp_path)
    paths[2].unlink()
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(DecideError, match="not form a whole chain.*decide verify"):
        write_record(rec, folder)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_cli_verify_exit_status(chain_folder, tmp_path, capsys):
    from decide.cli import main

    folder, _ = chain_folder
    assert main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "chain of 4 record(s) is whole" in out and "Signatures were not checked" in out
    copy, paths = _copy_chain(chain_folder, tmp_path)
    paths[0].unlink()
    assert main(["verify", str(copy)]) == 2
    assert "record 1 missing" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["verify", str(empty)]) == 2
    assert "holds no records" in capsys.readouterr().err


def test_record_into_a_folder_that_is_a_file_is_refused_before_the_analysis(case, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(DecideError, match="it is a file, not a folder"):
        record(case, blocker, chosen="home", draws=10**9)  # the folder is checked before the (refused) draws
