"""Reviews: reproduce the record's own numbers exactly, judge the choice without hindsight, refuse what does not reproduce."""

import datetime as dt
import json
import os

import pytest

from decide.errors import DecideError
from decide.frame import Decision
from decide.record import content_hash, load_record, make_record, render_file, write_record
from decide.review import difference, in_words, largest_number, report_html, review, switch_meaning, weight_switches

WHEN = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)

#: Expected values known exactly: A = 0.5*40 - w*0.2*50 = 20 - 10w; B = 0.3*30 - w*0.1*20 = 9 - 2w;
#: C = 0.1*10 - w*0.5*(about 80): never best. A and B cross at w = 11/8.
ORACLE = {
    "question": "Which plan?", "date": "2026-03-01", "decided_by": ["social worker"],
    "known": [{"what": "A study", "source": "Someone (2020)", "reliability": "high"}],
    "options": [
        {"name": "A", "outcomes": [
            {"name": "harm", "kind": "harm", "chance": 0.2, "horizon": "1 year", "magnitude": 50},
            {"name": "good", "kind": "benefit", "chance": 0.5, "horizon": "1 year", "magnitude": 40}]},
        {"name": "B", "outcomes": [
            {"name": "harm", "kind": "harm", "chance": 0.1, "horizon": "1 year", "magnitude": 20},
            {"name": "good", "kind": "benefit", "chance": 0.3, "horizon": "1 year", "magnitude": 30}]},
        {"name": "C", "outcomes": [
            {"name": "harm", "kind": "harm", "chance": 0.5, "horizon": "1 year", "magnitude": {"low": 70, "likely": 80, "high": 90}},
            {"name": "good", "kind": "benefit", "chance": 0.1, "horizon": "1 year", "magnitude": 10}]},
    ],
    "values": {"harm_weight": 1.0, "harm_weight_range": [0.25, 4.0]},
}


@pytest.fixture(scope="module")
def oracle_records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oracle")
    case = Decision.from_dict(ORACLE)
    return {c: write_record(make_record(case, chosen=c, draws=300, seed=3, recorded_at=WHEN, case_name="oracle"), folder)
            for c in "ABC"}


@pytest.fixture(scope="module")
def sam(tmp_path_factory):
    case = Decision.from_yaml("data/cases/return_home.yaml")
    rec = make_record(case, chosen="phased return", draws=1000, seed=11, case_name="return_home", recorded_at=WHEN)
    return write_record(rec, tmp_path_factory.mktemp("sam"))


def test_review_reproduces_the_records_numbers_exactly(sam):
    rec = load_record(sam)
    rv = review(rec, ["re-abuse or neglect"])
    assert rv.reproduced and all(rv.reproduced.values())
    stored = rec.table("outcomes").set_index(["option", "outcome"])
    for _, r in rv.chances.iterrows():
        s = stored.loc[(r["option"], r["outcome"])]
        assert (r["chance"], r["chance_lower"], r["chance_upper"]) == (s["chance"], s["chance_lower"], s["chance_upper"])
    summ = rec.table("summary")
    assert rv.choice["expected_value"] == summ.loc["phased return", "expected_value"]
    assert rv.choice["probability_best"] == summ.loc["phased return", "probability_best"]
    # a single outcome's joint chance is the recorded average chance
    assert rv.joint_chance == pytest.approx(stored.loc[("phased return", "re-abuse or neglect"), "chance"], abs=1e-12)
    # every option that listed the outcome is shown, the one carried out marked
    assert set(rv.chances["option"]) == {"return home with support", "phased return"}
    assert rv.chances.loc[rv.chances["carried_out"], "option"].tolist() == ["phased return"]


def test_the_outcome_never_changes_the_judgement_of_the_choice(sam):
    a = review(sam, ["re-abuse or neglect"])
    b = review(sam, [], not_happened=["re-abuse or neglect"])
    assert a.choice == b.choice
    assert a.switches.equals(b.switches)
    c = a.chances.iloc[0]
    assert b.joint_chance == pytest.approx(1 - a.joint_chance, abs=1e-12)
    assert c["chance"] == b.chances.iloc[0]["chance"]


def test_verdicts_against_exact_expected_values(oracle_records):
    a = review(oracle_records["A"], ["harm"])
    assert a.choice["verdict"] == "reasonable" and a.choice["best"] == "A"
    assert a.choice["expected_value"] == pytest.approx(10.0, abs=1e-9)
    b = review(oracle_records["B"], ["harm"])
    assert b.choice["verdict"] == "defensible only at a higher harm weight than the record used" and b.choice["departs"]
    assert "departed from the record's own analysis" in b.choice["because"] and "more heavily" in b.choice["because"]
    lo, hi = b.choice["best_weights"]
    assert lo == pytest.approx(11 / 8, rel=1e-9) and hi == 4.0
    assert b.choice["lead_of_best"] == pytest.approx(3.0, abs=1e-9)
    sw = b.weight_switches
    assert list(sw["from_option"]) == ["A"] and list(sw["to_option"]) == ["B"]
    assert sw["harm_weight"].iloc[0] == pytest.approx(11 / 8, rel=1e-9)
    c = review(oracle_records["C"], ["harm"])
    assert c.choice["verdict"] == "not supported by the record" and c.choice["probability_best"] == 0.0
    assert not a.choice["departs"] and c.choice["departs"] and "departed" in c.choice["because"]


def test_a_choice_favoured_only_at_a_lower_weight_says_so(tmp_path):
    """At harm weight 2: A = 0, B = 5, so B is best; A is best only below 11/8, a lower weight than recorded."""
    case = Decision.from_dict({**ORACLE, "values": {"harm_weight": 2.0, "harm_weight_range": [0.25, 4.0]}})
    rv = review(write_record(make_record(case, chosen="A", draws=300, seed=3, recorded_at=WHEN), tmp_path), ["harm"])
    assert rv.choice["verdict"] == "defensible only at a lower harm weight than the record used"
    assert rv.choice["best"] == "B" and rv.choice["lead_of_best"] == pytest.approx(5.0, abs=1e-9)
    assert "harm weight the record itself used (2), 'B' had the highest expected value, 5.0 points above 'A'" in rv.choice["because"]
    assert "less heavily than its own record did" in rv.choice["because"]


def test_joint_chance_of_several_outcomes(oracle_records):
    rv = review(oracle_records["A"], ["harm"], not_happened=["good"])
    assert rv.joint_chance == pytest.approx(0.2 * (1 - 0.5), abs=1e-12)  # fixed chances, independent given them
    assert review(oracle_records["A"], ["harm", "good"]).joint_chance == pytest.approx(0.1, abs=1e-12)


def test_weight_switches_with_three_crossing_lines():
    import pandas as pd

    # values b - w h: X = 30 - 20w, Y = 20 - 8w, Z = 10 - 2w; X->Y at 10/12, Y->Z at 10/6
    summ = pd.DataFrame({"expected_benefit": [30.0, 20.0, 10.0], "expected_harm": [20.0, 8.0, 2.0]}, index=["X", "Y", "Z"])
    sw = weight_switches(summ, 0.25, 4.0)
    assert list(zip(sw["from_option"], sw["to_option"])) == [("X", "Y"), ("Y", "Z")]
    assert sw["harm_weight"].tolist() == pytest.approx([10 / 12, 10 / 6])
    assert weight_switches(summ, 2.0, 4.0).empty


def test_in_words_uses_the_yardstick_and_its_gaps():
    assert in_words(0.45).startswith("'realistic possibility'")
    assert in_words(0.7).startswith("'likely'")
    assert in_words(0.37) == "between 'unlikely' and 'realistic possibility' (in a deliberate gap of the yardstick)"


def _rewrite(path, tmp_path, change):
    content = json.loads(path.read_text())["record"]
    change(content)
    out = tmp_path / "rehashed.json"
    out.write_text(render_file(content, content_hash(content)))
    return out


def test_numbers_that_do_not_reproduce_are_refused_naming_the_versions(oracle_records, tmp_path):
    def alter(c):
        c["analysis"]["summary"][0]["expected_value"] += 1.0
        c["versions"]["numpy"] = "1.0.0"

    bad = _rewrite(oracle_records["A"], tmp_path, alter)
    with pytest.raises(DecideError, match=r"does not give the numbers it recorded \(summary differ\).*numpy .*record: 1.0.0.*pip install numpy==1.0.0"):
        review(bad, ["harm"])

    def alter_numbers_only(c):
        c["analysis"]["summary"][0]["expected_value"] += 1.0

    with pytest.raises(DecideError, match="should not happen"):
        review(_rewrite(oracle_records["A"], tmp_path, alter_numbers_only), ["harm"])


def test_last_digit_differences_from_another_processor_are_accepted_and_said(oracle_records, tmp_path):
    """Another kind of processor can give a hair different numbers (numpy picks its arithmetic by
    processor): the review goes on, says so, and reports the record's own numbers; a real change
    (0.5 % of the scale) is still refused."""
    def nudge(c):
        for row in c["analysis"]["summary"]:
            row["expected_value"] *= 1 + 1e-7
        c["analysis"]["outcomes"][0]["chance"] += 1e-6

    rv = review(_rewrite(oracle_records["A"], tmp_path, nudge), ["harm"])
    assert all(rv.reproduced.values()) and rv.how_reproduced != "exactly"
    assert any("last digits" in n for n in rv.notes)
    stored = json.loads((tmp_path / "rehashed.json").read_text())["record"]["analysis"]["summary"]
    assert rv.summary["expected_value"].tolist() == [row["expected_value"] for row in stored]
    exact = review(oracle_records["A"], ["harm"])
    assert exact.how_reproduced == "exactly" and not any("last digits" in n for n in exact.notes)

    def shift(c):
        c["analysis"]["summary"][0]["expected_value"] += 0.005 * largest_number(
            [c["analysis"][k] for k in ("summary", "outcomes", "tornado", "tornado_base")])

    with pytest.raises(DecideError, match=r"does not reproduce its numbers \(summary differ\)"):
        review(_rewrite(oracle_records["A"], tmp_path, shift), ["harm"])


def test_difference_between_tables():
    table = [{"option": "A", "chance": 0.2, "value": 40.0}, {"option": "B", "chance": 0.5, "value": -10.0}]
    assert difference(table, table) == 0
    moved = [{**table[0], "value": 40.4}, table[1]]
    assert difference(moved, table) == pytest.approx(0.4 / 40)  # points: share of the largest number
    moved = [{**table[0], "chance": 0.21}, table[1]]
    assert difference(moved, table) == pytest.approx(0.01)  # chances: share of 1
    assert difference([{**table[0], "option": "C"}, table[1]], table) == float("inf")
    assert difference(table[:1], table) == float("inf")


def test_a_version_difference_that_changes_nothing_is_noted(oracle_records, tmp_path):
    def alter(c):
        c["versions"]["pandas"] = "0.1"

    rv = review(_rewrite(oracle_records["A"], tmp_path, alter), ["harm"])
    assert any("pandas" in n and "reproduced exactly" in n for n in rv.notes)


def test_bad_outcome_or_option_names(oracle_records):
    with pytest.raises(DecideError, match="'harms' is not an outcome.*did you mean 'harm'"):
        review(oracle_records["A"], ["harms"])
    with pytest.raises(DecideError, match="say what happened"):
        review(oracle_records["A"], [])
    with pytest.raises(DecideError, match="not an option"):
        review(oracle_records["A"], ["harm"], option="D")
    with pytest.raises(DecideError, match="both happened and not happened"):
        review(oracle_records["A"], ["harm"], not_happened=["harm"])


def test_checklist_paraphrases_principles_with_sources(oracle_records):
    rv = review(oracle_records["B"], ["harm"])
    keys = [c["key"] for c in rv.checklist]
    assert "judge-the-reasoning" in keys and "learning-not-blame" in keys
    for c in rv.checklist:
        assert c["question"].endswith("?") or "?" in c["question"]
        assert c["source"] and c["record_shows"]
        assert "“" not in c["question"] and '"' not in c["question"]  # paraphrased, never presented as a quotation


def test_cli_review_writes_html_and_never_overwrites(sam, tmp_path, capsys):
    from decide.cli import main

    out = tmp_path / "review.html"
    assert main(["review", str(sam), "--outcome", "re-abuse or neglect", "-o", str(out)]) == 0
    html = out.read_text()
    rv = review(sam, ["re-abuse or neglect"])
    assert rv.choice["verdict"].capitalize() in html and "data:image/png;base64," in html and "College of Policing" in html
    assert "protected only against accidental change" in html and "It is not signed" in html
    assert load_record(sam).sha256 in html  # the full hash, not a prefix
    for raw in ("expected_value", "probability_best", "expected_regret", "risk_sd", "DESIGN.md", "review's notes"):
        assert raw not in html, raw
    for q in load_record(sam).content["case"]["quantities"]:  # evidence names the inputs it bears on in words
        assert f">{q['name']}<" not in html and f"; {q['name']}" not in html and f"{q['name']};" not in html, q["name"]
    assert "chance of re-abuse or neglect within 2 years of a return home" in html
    printed = capsys.readouterr().out
    assert "re-abuse or neglect' happened" in printed
    assert main(["review", str(sam), "--outcome", "re-abuse or neglect", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["review", str(sam), "--outcome", "re-abuse", "-o", str(tmp_path / "x.html")]) == 2
    assert "did you mean 're-abuse or neglect'" in capsys.readouterr().err


def test_new_wording_of_labels_does_not_block_a_review_but_new_numbers_do(oracle_records, tmp_path):
    def reword(c):
        for row in c["analysis"]["tornado"]:
            row["description"] = "an older wording of " + str(row["description"])

    rv = review(_rewrite(oracle_records["A"], tmp_path, reword), ["harm"])
    assert rv is not None

    def renumber(c):  # one point on this case's scale: far beyond what processors' arithmetic differs by
        c["analysis"]["tornado"][0]["swing"] += 1.0

    with pytest.raises(DecideError, match="tornado differ"):
        review(_rewrite(oracle_records["A"], tmp_path, renumber), ["harm"])


# --- which option the switch points favour ------------------------------------------------------------


def test_switch_meaning_follows_the_side_that_favours_the_chosen_option():
    # middle below the switch: 'X' is preferred there, 'Y' beyond
    assert switch_meaning("X", "X", "Y", 1.0, 2.0, 0.1).startswith("supports the choice")
    assert "lay above 2, where 'Y' would have been preferred to 'X'" in switch_meaning("X", "X", "Y", 1.0, 2.0, 0.1)
    beyond = switch_meaning("Y", "X", "Y", 1.0, 2.0, 0.1)
    assert beyond.startswith("the chosen 'Y' is preferred only if this input lay above 2,") and "10%" in beyond
    assert "at its middle value (1) 'X' was preferred" in beyond
    # middle above the switch: the sides swap
    assert switch_meaning("Y", "X", "Y", 3.0, 2.0, 0.2).startswith("supports the choice")
    assert switch_meaning("X", "X", "Y", 3.0, 2.0, 0.2).startswith("the chosen 'X' is preferred only if this input lay below 2")
    assert "neither of them the chosen 'Z'" in switch_meaning("Z", "X", "Y", 1.0, 2.0, 0.5)


def test_switch_table_says_what_each_switch_means_for_the_choice(sam):
    rv = review(sam, ["re-abuse or neglect"])
    assert len(rv.switches)
    for _, s in rv.switches.iterrows():
        near = s["below"] if s["record_middle"] <= s["switch_at"] else s["above"]
        if near == rv.option:
            assert s["meaning"].startswith("supports the choice")
        elif rv.option in (s["below"], s["above"]):
            assert s["meaning"].startswith(f"the chosen '{rv.option}' is preferred only if this input lay")
    html = report_html(rv)
    assert "A small chance here means the record had good reason" not in html
    assert all(m in html for m in rv.switches["meaning"].map(lambda m: m.replace("'", "&#39;")))


# --- signatures and outputs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    from decide.signing import load_private_key, load_public_key, new_key_pair

    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for name in ("team", "other"):
        priv, pub, _ = new_key_pair(folder / f"{name}.key")
        made[name] = (load_private_key(priv), load_public_key(pub), pub)
    return made


@pytest.fixture(scope="module")
def signed(keys, tmp_path_factory):
    case = Decision.from_dict(ORACLE)
    folder = tmp_path_factory.mktemp("signed")
    return write_record(make_record(case, chosen="A", draws=300, seed=3, recorded_at=WHEN), folder, sign_with=keys["team"][0])


def test_signed_record_under_trust_says_it_is_checked(signed, keys):
    rv = review(signed, ["harm"], trust=[keys["team"][1]])
    assert rv.guarantee.startswith("Signed with the trusted key") and "signature matches" in rv.guarantee
    assert review(signed, ["harm"], trust=[keys["other"][2], keys["team"][2]]).guarantee == rv.guarantee  # paths, several


def test_without_trust_the_review_says_plainly_what_is_protected(signed, oracle_records, keys):
    from decide.signing import short

    rv = review(signed, ["harm"])
    assert f"says it is signed with key {short(keys['team'][1].fingerprint)}" in rv.guarantee
    assert "not checked" in rv.guarantee and "protected only against accidental change" in rv.guarantee
    plain = review(oracle_records["A"], ["harm"])
    assert plain.guarantee.startswith("It is not signed.") and "compute a new hash" in plain.guarantee


def test_forged_rehashed_record_is_refused_under_trust_and_called_unsigned_without(signed, keys, tmp_path):
    data = json.loads(signed.read_text())
    content = data["record"]
    content["chosen"]["reason"] = "added after the event"
    # re-hashed the way decide hashes, old signature kept: the signature no longer matches
    kept = tmp_path / "kept.json"
    kept.write_text(render_file(content, content_hash(content), data["signature"]))
    with pytest.raises(DecideError, match="signature does not match its content"):
        review(kept, ["harm"], trust=[keys["team"][1]])
    # signature stripped and signed_by cleared, then re-hashed: a plain unsigned record
    content["signed_by"] = None
    stripped = tmp_path / "stripped.json"
    stripped.write_text(render_file(content, content_hash(content)))
    with pytest.raises(DecideError, match="not signed"):
        review(stripped, ["harm"], trust=[keys["team"][1]])
    assert review(stripped, ["harm"]).guarantee.startswith("It is not signed")
    # signature stripped but signed_by left: found without any key
    removed = tmp_path / "removed.json"
    original = data["record"]
    removed.write_text(render_file(json.loads(signed.read_text())["record"], json.loads(signed.read_text())["sha256"]))
    with pytest.raises(DecideError, match="signature has been removed"):
        load_record(removed)
    assert original is content


def test_record_signed_by_another_key_is_refused(signed, keys):
    with pytest.raises(DecideError, match="not a trusted key"):
        review(signed, ["harm"], trust=[keys["other"][1]])


def test_review_never_writes_over_its_input(sam, tmp_path, capsys):
    from decide.cli import main

    before = sam.read_bytes()
    assert main(["review", str(sam), "--outcome", "re-abuse or neglect", "-o", str(sam), "--force"]) == 2
    assert "HTML page" in capsys.readouterr().err and sam.read_bytes() == before
    html_named = tmp_path / "rec.html"
    html_named.write_bytes(before)
    assert main(["review", str(html_named), "--outcome", "re-abuse or neglect", "-o", str(html_named), "--force"]) == 2
    assert "never writes over its input" in capsys.readouterr().err and html_named.read_bytes() == before
    if os.geteuid() == 0:
        return  # root may write anywhere; the read-only folder check is run by the catalogue as an ordinary user
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert main(["review", str(sam), "--outcome", "re-abuse or neglect", "-o", str(ro / "r.html")]) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        ro.chmod(0o755)
