"""The case report (`decide report`): its content is generated from the numbers, it handles cases
without enquiries or scenarios, it is self-contained and reproducible, and the command refuses bad
input with exit status 2 without touching the user's files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decide.case_report import (
    MIN_DRAWS,
    build_report,
    margin_sentence,
    report_html,
    sturdiness,
)
from decide.cli import main
from decide.errors import DecideError
from decide.frame import Decision

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "data" / "cases"
DRAWS = 4000


@pytest.fixture(scope="module")
def return_home():
    return build_report(Decision.from_yaml(CASES / "return_home.yaml"), draws=DRAWS, seed=3, source="return_home.yaml")


@pytest.fixture(scope="module")
def permanence():
    return build_report(Decision.from_yaml(CASES / "permanence.yaml"), draws=DRAWS, seed=3, source="permanence.yaml")


def _text(lines) -> str:
    return " ".join(lines)


# --- the plain-language summary says what the numbers say ------------------------------------------


def test_summary_names_the_option_with_the_highest_expected_value_and_its_probability_best(return_home):
    r = return_home
    values = r.sim.dataset["expected_value"].values
    best = r.sim.options[int(np.argmax(values.mean(axis=0)))]
    p = float(np.mean(values.argmax(axis=1) == r.sim.options.index(best)))
    looks = _text(r.sections["Which option looks best, and how sure are we?"])
    assert r.preferred == best
    assert f"'{best}' looks best" in looks
    assert f"comes out best in {p:.0%} of the {DRAWS:,} possible worlds" in looks
    assert f"In the other {1 - p:.0%}" in looks


def test_summary_says_whether_to_wait_using_each_enquiry_and_the_cost_of_drift(return_home):
    r = return_home
    wait = r.sections["Decide now, or find out more first?"]
    assert set(r.enquiries["message"]) <= set(wait)
    assert len(r.enquiries) == len(r.decision.enquiries) == 2
    evpi = r.evppi.attrs["evpi"]
    assert f"better by {evpi:.2f} points" in _text(wait)
    # the case judges drift at low 0.1, likely 0.25, high 0.5 points a week: its mean lies between
    assert 0.1 < r.delay_harm_per_week < 0.5
    assert f"about {r.delay_harm_per_week:.2f} points of harm" in _text(wait)
    # each enquiry is worth at most the EVPI (up to Monte Carlo error)
    assert (r.enquiries["value"] <= evpi + 3 * r.enquiries["value_se"] + 3 * r.evppi.attrs["evpi_se"]).all()


def test_summary_gives_the_smallest_robustness_margin_in_words(return_home):
    r = return_home
    hidden = r.sections["What if something nobody has identified matters?"]
    smallest = r.margins[np.isfinite(r.margins["margin"])].iloc[0]
    ratio = smallest["odds_ratio"] if smallest["odds_ratio"] >= 1 else 1 / smallest["odds_ratio"]
    assert f"{ratio:.2f} times" in hidden[0]
    assert "a hidden factor would have to" in hidden[0]
    # scenarios: the case has three, and the sentence counts how many keep the preferred option
    named = [s.name for s in r.decision.scenarios]
    kept = int((r.regret.best_by_scenario.loc[named] == r.preferred).sum())
    words = ["none", "one", "two", "three"]
    assert f"stays best in {words[kept]} of three" in _text(hidden)
    assert f"'{r.regret.least_max_regret}'" in _text(hidden)


def test_threshold_sentence_points_the_right_way(return_home):
    r = return_home
    change = _text(r.sections["What could change that?"])
    thr = r.threshold
    if len(thr.switches):
        x = thr.curve.index.to_numpy()
        # at the value the sentence names, nudged to the side it names, the option it names is best
        m = re.search(r"If it were (above|below) ([0-9.]+), '([^']+)' would be preferred", change)
        assert m, change
        side, value, option = m.group(1), float(m.group(2)), m.group(3)
        probe = value + (x[1] - x[0]) * (1 if side == "above" else -1)
        at = thr.curve.iloc[int(np.argmin(np.abs(x - probe)))]
        assert at.idxmax() == option


def test_a_case_without_enquiries_or_scenarios_still_reports_the_value_of_information(permanence):
    r = permanence
    assert r.decision.enquiries == [] and r.decision.scenarios == []
    assert r.enquiries.empty
    wait = _text(r.sections["Decide now, or find out more first?"])
    assert "names no enquiries" in wait
    assert "does not say what a week of waiting costs" in wait
    assert f"better by {r.evppi.attrs['evpi']:.2f} points" in wait
    assert "states no scenarios" in _text(r.sections["What if something nobody has identified matters?"])
    html = report_html(r)
    assert "The case names no enquiries" in html
    assert 'id="wait"' in html and "EVPPI" in html


def test_sources_carry_their_secondary_status(return_home):
    src = return_home.sources
    farmer = src[src["source"].str.startswith("Farmer")]
    assert len(farmer) and farmer["status"].str.startswith("S").all()
    lutman = src[src["source"].str.startswith("Lutman")]
    assert len(lutman) and lutman["status"].str.startswith("V").all()
    background = src[src["bears on"] == "(not used as a number)"]
    assert len(background) and background["status"].str.startswith("background").all()


# --- the HTML: self-contained, complete, reproducible -------------------------------------------------


def test_report_is_self_contained_with_every_section(return_home):
    html = report_html(return_home)
    for section in ("summary", "known", "options", "comparison", "change", "wait", "robustness", "limits"):
        assert f'id="{section}"' in html
    imgs = re.findall(r'<img src="([^"]+)"', html)
    assert len(imgs) >= 10
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "It does not decide." in html and "It does not settle the values." in html
    # every sentence of the summary is in the page (escaped as HTML)
    from markupsafe import escape

    for lines in return_home.sections.values():
        for line in lines:
            assert str(escape(line)) in html


def test_same_seed_same_report():
    d = Decision.from_yaml(CASES / "permanence.yaml")
    a = build_report(d, draws=MIN_DRAWS, seed=5)
    b = build_report(d, draws=MIN_DRAWS, seed=5)
    assert a.sections == b.sections
    pd.testing.assert_frame_equal(a.margins, b.margins)
    pd.testing.assert_frame_equal(a.evppi.drop(columns="seconds"), b.evppi.drop(columns="seconds"))
    c = build_report(d, draws=MIN_DRAWS, seed=6)
    assert c.sections != a.sections


def test_too_few_draws_is_refused():
    with pytest.raises(DecideError, match=f"from {MIN_DRAWS:,}"):
        build_report(Decision.from_yaml(CASES / "permanence.yaml"), draws=100)


@pytest.mark.parametrize("ratio, word", [(1.2, "small"), (1 / 1.2, "small"), (2.0, "moderate"), (0.2, "large")])
def test_sturdiness_words(ratio, word):
    assert sturdiness(ratio).startswith(f"a {word} shift")


def test_margin_sentences_say_which_way_the_hidden_factor_acts():
    row = pd.Series({"scope": "outcome of option", "option": "home", "outcome": "harm", "change": "more likely",
                     "odds_ratio": 2.0, "chance_now": 0.2, "chance_at_switch": 1 / 3, "switches_to": "care"})
    text = margin_sentence(row, "home")
    assert text == ("a hidden factor would have to raise the odds of 'harm' under 'home' by 2.00 times (its chance from "
                    "about 20% to 33%) before 'care' would be preferred to 'home'. That is " + sturdiness(2.0) + ".")
    row = row.copy()
    row.update({"scope": "whole option", "option": "care", "outcome": "(all its outcomes)", "change": "better",
                "odds_ratio": 0.8, "switches_to": "care"})
    text = margin_sentence(row, "home")
    assert "make 'care' better all round" in text and "1.25 times lower" in text and "it would be preferred to 'home'" in text


# --- the command -------------------------------------------------------------------------------------


def test_report_command_writes_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "jo.html"
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(out), "--draws", str(MIN_DRAWS)]) == 0
    first = out.read_bytes()
    assert b"<h2 id=\"summary\">" in first
    assert "wrote" in capsys.readouterr().out
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(out), "--draws", str(MIN_DRAWS)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert out.read_bytes() == first
    again = tmp_path / "jo_again.html"  # same case, draws and seed: the same file, byte for byte
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(again), "--draws", str(MIN_DRAWS)]) == 0
    assert again.read_bytes().replace(b"jo_again.html", b"jo.html") == first
    assert main(["report", str(CASES / "permanence.yaml"), "-o", str(out), "--draws", str(MIN_DRAWS), "--seed", "9",
                 "--force"]) == 0
    assert out.read_bytes() != first


@pytest.mark.parametrize("argv, message", [
    (["report", "no/such/case.yaml", "-o", "x.html"], "no/such/case.yaml"),
    (["report", str(CASES / "permanence.yaml"), "-o", "x.html", "--draws", "50"], f"from {MIN_DRAWS:,}"),
])
def test_bad_input_exits_2_with_a_clear_message(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("decide report: ") and message in err
    assert not (tmp_path / "x.html").exists()


def test_the_case_file_is_never_the_output(tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_bytes((CASES / "permanence.yaml").read_bytes())
    before = case.read_bytes()
    assert main(["report", str(case), "-o", str(case), "--force"]) == 2
    assert "you gave as input" in capsys.readouterr().err
    assert case.read_bytes() == before


def test_an_invalid_case_names_the_field(tmp_path, capsys):
    case = tmp_path / "bad.yaml"
    case.write_text((CASES / "permanence.yaml").read_text().replace("harm_weight: 1.0", "harm_weight: -1"))
    assert main(["report", str(case), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "harm_weight" in err
    assert not (tmp_path / "r.html").exists()


def test_help_through_python_dash_m():
    res = subprocess.run([sys.executable, "-m", "decide", "report", "--help"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0
    for flag in ("--draws", "--seed", "-o", "--force"):
        assert flag in res.stdout


# --- issue 11: the report says what its numbers say (one test per contradiction fixed) ----------------

import copy  # noqa: E402
import inspect  # noqa: E402

from decide import compare, defaults  # noqa: E402
from decide.case_report import (  # noqa: E402
    HEADERS,
    check_settings,
    horizon_sentence,
    labelled_evppi,
    outcome_rows,
    regret_sentence,
    scale_text,
    tornado_vs_lead_sentence,
    value_vs_best_sentence,
)
from decide.simulate import magnitude_label, simulate  # noqa: E402
from markupsafe import escape  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "catalogue"))
from _shared import MINIMAL_CASE  # noqa: E402

_DATA_URI = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


def _case(change=None) -> Decision:
    data = copy.deepcopy(MINIMAL_CASE)
    if change:
        change(data)
    return Decision.from_dict(data)


@pytest.fixture(scope="module")
def minimal():
    return build_report(_case(), draws=MIN_DRAWS, seed=1, source="minimal.yaml")


@pytest.fixture(scope="module")
def pages(minimal, return_home, permanence):
    """Each report's HTML with its embedded images taken out (the text a reader reads)."""
    return {name: (r, _DATA_URI.sub("", report_html(r))) for name, r in
            (("minimal", minimal), ("return_home", return_home), ("permanence", permanence))}


CASE_NAMES = ["minimal", "return_home", "permanence"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_no_quantity_identifier_where_the_case_gives_a_description(pages, name):
    r, html = pages[name]
    described = [q.name for q in r.decision.quantities if q.description]
    inline = [n for n in r.sim.model.quantities if ":" in n]  # generated inputs: 'option: outcome: chance'
    shown = [n for n in described + inline if n in html]
    assert not shown, f"identifiers in the {name} report: {shown}"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_no_raw_column_name_as_a_table_header(pages, name):
    r, html = pages[name]
    options = {o.name for o in r.decision.options}
    headers = [h for h in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S) if h not in options]
    assert headers
    raw = [h for h in headers if re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", h)]
    assert not raw, raw


@pytest.mark.parametrize("name", CASE_NAMES)
def test_the_report_states_the_cases_own_scale_and_no_nan(pages, name):
    r, html = pages[name]
    assert str(escape(scale_text(r.decision.values))) in html
    assert "0-100 point scale" not in html
    assert not re.search(r"(?<![A-Za-z])(nan|NaN|inf|-inf|Infinity)(?![A-Za-z])", html)


def test_a_case_on_a_0_to_10_scale_is_reported_on_that_scale():
    """Was: 'on the case's 0-100 point scale' whatever the case said."""
    def ten(d):
        d["values"] = {"scale": "points from 0 to 10", "scale_min": 0, "scale_max": 10}
        d["options"][0]["outcomes"][0]["magnitude"] = 6
        d["options"][1]["outcomes"][0]["magnitude"] = 3
    r = build_report(_case(ten), draws=MIN_DRAWS)
    looks = _text(r.sections["Which option looks best, and how sure are we?"])
    assert "on the case's scale of 0 to 10 points" in looks and "0 to 100" not in looks and "0-100" not in looks
    from decide.frame import Values

    assert scale_text(Values(scale_min=-5, scale_max=5)) == "the case's scale of -5 to 5 points"
    assert "no upper limit" in scale_text(Values(scale_max=None))


def test_tables_wrap_instead_of_scrolling(minimal):
    html = report_html(minimal)
    assert "overflow-x: auto" not in html and 'class="scroll"' not in html
    assert re.search(r"table\.data th, table\.data td \{[^}]*white-space: normal", html)
    assert "overflow-wrap: anywhere" not in html  # that breaks words mid-word ('ran ge')


def test_every_column_the_report_shows_has_plain_words():
    for column, words in HEADERS.items():
        assert not re.search(r"[a-z]_[a-z]", words), (column, words)


def test_the_information_chart_gets_descriptions_not_identifiers(return_home):
    """Was: quantity identifiers on the EVPPI bars where the case gives descriptions."""
    ev = labelled_evppi(return_home)
    descriptions = {q.name: q.description for q in return_home.decision.quantities if q.description}
    assert set(ev["evppi"]) == set(return_home.evppi["evppi"])
    assert not set(ev["name"]) & set(descriptions)
    assert set(descriptions.values()) <= set(ev["name"])


def test_each_outcome_shows_its_horizon_and_mixed_horizons_are_flagged(permanence, minimal):
    """Was: 6 months, 2 years and 12 years combined silently."""
    rows = outcome_rows(permanence)
    adoption_wait = rows[(rows["option"] == "adoption") & (rows["outcome"] == "long wait for a match")]
    assert adoption_wait["horizon"].tolist() == ["1 year"]
    note = horizon_sentence(permanence.decision)
    assert note and "'adoption' over 12 years and 1 year" in note and "'long-term foster care' over 5 years" in note
    assert note in _text(permanence.sections["Which option looks best, and how sure are we?"])
    assert horizon_sentence(minimal.decision) is None  # both outcomes over 1 year
    assert "different time spans" not in report_html(minimal)


def test_published_figures_are_mentioned_only_when_the_case_cites_them(pages):
    """Was: 'Published figures are a starting point' in a case that gives none."""
    assert "Published figures are a starting point" not in pages["minimal"][1]
    assert "cites no published or recorded figures" in pages["minimal"][1]
    assert "Published figures are a starting point" in pages["return_home"][1]


def test_generated_labels_read_as_english(return_home):
    """Was: 'how much loses birth family relationships… matters'."""
    labels = return_home.sim.model.labels.values()
    assert not [x for x in labels if "matters under" in x or x.startswith("odds ratio of")]
    assert magnitude_label("loses birth family relationships", "adoption", "harm") == \
        "how serious 'loses birth family relationships' would be under 'adoption'"
    assert magnitude_label("stable, safe care", "remain", "benefit") == \
        "how much 'stable, safe care' would be worth under 'remain'"
    assert "how serious 'loss of daily family life' would be under 'remain in foster care'" in labels


def test_identical_options_are_reported_as_a_tie_not_a_win():
    """Was: P(best) 1.0 / 0.0 and "almost certainly best by 0.0 points"."""
    def twins(d):
        d["options"][1] = copy.deepcopy(d["options"][0])
        d["options"][1]["name"] = "home again"
    r = build_report(_case(twins), draws=MIN_DRAWS)
    assert r.summary["probability_best"].tolist() == pytest.approx([0.5, 0.5])
    looks = _text(r.sections["Which option looks best, and how sure are we?"])
    assert "cannot be told apart" in looks and "looks best" not in looks and "almost certain" not in looks
    assert "by 0.0 points" not in looks
    assert "cannot be told apart" in report_html(r)


def test_expected_value_against_probability_best_is_explained_when_they_disagree():
    """A sure 5 points against a skewed gamble, 40 x Beta(0.4, 2): the gamble's mean is 6.67, but it beats
    5 only with probability P(Beta(0.4, 2) > 0.125) = 0.41 (closed forms), so the option with the higher
    expected value is best in fewer of the possible worlds; the report must say why."""
    from scipy import stats

    def gamble(d):
        d["quantities"] = [{"name": "win", "kind": "magnitude", "judgement": {
            "distribution": "BetaScaled", "params": {"alpha": 0.4, "beta": 2, "lower": 0, "upper": 40}}}]
        d["options"] = [{"name": "sure", "outcomes": [{"name": "v", "kind": "benefit", "chance": 1.0, "horizon": "1 year",
                                                       "magnitude": 5}]},
                        {"name": "gamble", "outcomes": [{"name": "v", "kind": "benefit", "chance": 1.0,
                                                         "horizon": "1 year", "magnitude": "win"}]}]
    r = build_report(_case(gamble), draws=MIN_DRAWS * 2, seed=2)
    s = r.summary
    p = stats.beta.sf(5 / 40, 0.4, 2)
    assert r.preferred == "gamble" and s.loc["gamble", "expected_value"] == pytest.approx(40 * 0.4 / 2.4, rel=0.05)
    assert s.loc["gamble", "probability_best"] == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / (MIN_DRAWS * 2)))
    sentence = value_vs_best_sentence(r)
    assert sentence.startswith("'gamble' has the highest expected value although 'sure' is best in more of the possible")
    diff = r.sim.dataset["expected_value"].sel(option="gamble").values - 5.0
    ahead, behind = diff[diff > 0].mean(), -diff[diff < 0].mean()
    assert f"ahead by {ahead:.1f} points on average, and where it is behind, by {behind:.1f}" in sentence
    assert (diff > 0).mean() * ahead - (diff < 0).mean() * behind == pytest.approx(diff.mean())  # why the mean wins
    assert f"({s.loc['sure', 'probability_best']:.0%} against {s.loc['gamble', 'probability_best']:.0%})" in sentence
    assert sentence in r.sections["Which option looks best, and how sure are we?"]
    assert str(escape(sentence)) in report_html(r)


def test_tornado_lead_and_expected_lead_are_each_stated_and_explained(return_home):
    """Was: the lead shown as 4.6, 7.3 and 4.0 in three places, unexplained."""
    t = return_home.tornado.attrs
    lead = compare.lead(return_home.sim)
    sentence = tornado_vs_lead_sentence(return_home)
    assert f"by {t['base_lead']:.1f} points" in sentence and f"by {lead.lead:.1f} points" in sentence
    assert "one input at a time" in sentence and sentence in _text(return_home.sections["What could change that?"])
    expected = float(np.diff(np.sort(return_home.summary["expected_value"].to_numpy())[-2:])[0])
    assert lead.lead == pytest.approx(expected)


def test_expected_regret_and_scenario_regret_are_told_apart(return_home):
    r = return_home
    sentence = regret_sentence(r)
    best = r.preferred
    expected = r.summary.loc[best, "expected_regret"]
    as_judged = r.regret.regret.loc["as judged (current case)", best]
    assert f"{expected:.2f} points for '{best}'" in sentence and f"{as_judged:.2f} points for '{best}' as judged" in sentence
    # the sentence's claim, checked for every option: averaging first never gives the larger regret
    judged = r.regret.regret.loc["as judged (current case)"]
    assert (judged <= r.summary["expected_regret"] + 1e-9).all()
    assert str(escape(sentence)) in report_html(r)


def test_the_report_shows_the_same_numbers_as_compare(tmp_path):
    """Same case, same draws and seed: the report's table is compare's summary."""
    assert inspect.signature(build_report).parameters["draws"].default == defaults.DRAWS
    assert inspect.signature(build_report).parameters["seed"].default == defaults.SEED
    d = _case()
    r = build_report(d)  # the shared defaults
    pd.testing.assert_frame_equal(r.summary, compare.summary(simulate(d, defaults.DRAWS, seed=defaults.SEED)))
    assert r.summary.attrs["interval"] == defaults.INTERVAL
    case = tmp_path / "case.yaml"
    case.write_text(yaml_dump(MINIMAL_CASE))
    out = tmp_path / "compare.csv"
    assert main(["compare", str(case), "--draws", str(defaults.DRAWS), "--seed", str(defaults.SEED), "--csv", str(out)]) == 0
    table = pd.read_csv(out, index_col=0)
    for column in ("expected_value", "probability_best"):
        assert np.allclose(table[column].to_numpy(), r.summary[column].to_numpy())


def yaml_dump(data) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize("draws, seed", [(100, 1), (10**9, 1), (True, 1), (2000.5, 1), (MIN_DRAWS, -1), (MIN_DRAWS, "1")])
def test_settings_are_checked_before_any_work(draws, seed):
    with pytest.raises(DecideError, match="--draws|--seed"):
        check_settings(draws, seed)


def test_every_part_of_the_report_works_on_the_minimal_case(minimal):
    """Was: AttributeError counting second-hand sources in an empty table."""
    assert minimal.sources.empty
    html = report_html(minimal)
    for section in ("summary", "known", "options", "comparison", "change", "wait", "robustness", "limits"):
        assert f'id="{section}"' in html
    assert "The case lists nothing known" in html
    assert len(re.findall(r'<img src="data:image/png', html)) >= 8


def test_harm_weight_figure_and_acceptability_curve_are_reconciled(return_home):
    """Was (issue 11, on this case): the harm-weight figure favours 'phased return' at light harm weights while
    the acceptability curve has 'remain in foster care' most often best at every weight, unexplained."""
    from decide.case_report import weights_sentence

    r = return_home
    b, h = r.summary["expected_benefit"].to_numpy(), r.summary["expected_harm"].to_numpy()
    w = float(r.acceptability.index[0])
    by_value = r.summary.index[int(np.argmax(b - w * h))]
    most_often = r.acceptability.iloc[0].idxmax()
    sentence = weights_sentence(r)
    if by_value != most_often:
        assert f"'{by_value}' has the highest expected value" in sentence
        assert f"'{most_often}' is best in more of the possible worlds" in sentence
        assert str(escape(sentence)) in report_html(r)
    minimal = build_report(_case(), draws=MIN_DRAWS)
    assert weights_sentence(minimal) is None  # 'care' leads on both at every weight


def test_robustness_table_says_how_large_a_shift_in_words(return_home):
    from decide.case_report import margin_rows

    m = margin_rows(return_home)
    assert m["odds_ratio"].str.endswith(" times").all()
    whole = m[m["scope"] == "whole option"]
    assert len(whole) and whole[["chance_now", "chance_at_switch"]].isna().all().all()
    single = m[m["scope"] == "outcome of option"]
    assert single["chance_now"].between(0, 1).all()


# --- figures: drawn once, the same picture as savefig's tight box -----------------------------------

def _tight_png(fig):
    import io

    from PIL import Image

    from decide._html import FIGURE_DPI

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return np.asarray(Image.open(buf).convert("RGBA"))


def _uri_png(fig):
    import base64
    import io

    from PIL import Image

    from decide._html import figure_to_data_uri

    uri = figure_to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def _figure(kind):
    import matplotlib
    import matplotlib.pyplot as plt

    from decide._html import FIGURE_DPI

    with matplotlib.rc_context({"figure.dpi": FIGURE_DPI}):
        fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained" if kind == "constrained" else None)
        ax.barh(np.arange(5), np.arange(1, 6), color="#4C78A8")
        labels = ["a long label that hangs far out to the left of the axes" if kind == "past the canvas" else f"row {i}"
                  for i in range(5)]
        ax.set_yticks(np.arange(5), labels)
        ax.set_title("a title")
        if kind == "constrained":
            ax.legend(["bars"], loc="upper left", bbox_to_anchor=(1.01, 1))
        if kind == "tight layout":
            fig.tight_layout()
    return fig


@pytest.mark.parametrize("kind", ["tight layout", "constrained", "past the canvas", "no layout"])
def test_a_figure_is_the_picture_savefig_gives_with_a_tight_box(kind):
    """The same box (to a pixel or two) and the same pixels, whichever way the figure is laid out."""
    expected = _tight_png(_figure(kind))
    got = _uri_png(_figure(kind))
    assert abs(got.shape[0] - expected.shape[0]) <= 2 and abs(got.shape[1] - expected.shape[1]) <= 2, (got.shape,
                                                                                                        expected.shape)
    h, w = min(got.shape[0], expected.shape[0]), min(got.shape[1], expected.shape[1])
    # the two boxes may start up to a pixel apart, and the drawing sit a fraction of a pixel apart, which
    # changes the shading along edges: the best of the nine shifts differs at few pixels, and little
    diffs = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            d = np.abs(got[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx].astype(int) - expected[1:h - 1, 1:w - 1].astype(int))
            diffs.append((d.max(axis=2).mean(), (d.max(axis=2) > 64).mean()))
    mean, share = min(diffs)
    assert mean < 4 and share < 0.03, (mean, share)


def test_figures_are_closed_once_written():
    import matplotlib.pyplot as plt

    from decide._html import figure_to_data_uri

    for kind in ("tight layout", "constrained", "past the canvas"):
        fig = _figure(kind)
        figure_to_data_uri(fig)
        assert not plt.fignum_exists(fig.number)


def test_a_figure_on_a_canvas_without_pixels_is_still_written():
    """Under a PDF or SVG backend the figure has no pixel buffer: savefig's own tight box is used."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    fig = _figure("tight layout")
    FigureCanvasSVG(fig)
    got = _uri_png(fig)
    assert got.shape[0] > 100 and got.shape[1] > 100


# --- the two-way map: only the outcomes the two quantities reach are recomputed ------------------

@pytest.mark.parametrize("case", ["return_home", "permanence"])
def test_two_way_map_equals_the_model_evaluated_everywhere(case):
    """Every pair of quantities of the example cases (chances, magnitudes, odds ratios, shared and
    pooled ones): the map's values are the model's expected value at each grid point, averaged."""
    from decide import robustness
    from decide.simulate import simulate

    sim = simulate(Decision.from_yaml(CASES / f"{case}.yaml"), 3000, seed=5)
    m = sim.model
    q = sim.quantity_draws()[:300]
    for i, x in enumerate(m.quantities):
        for j, y in enumerate(m.quantities):
            if i == j:
                continue
            gx, gy = np.quantile(q[:, i], [0.1, 0.5, 0.9]), np.quantile(q[:, j], [0.2, 0.8])
            got = robustness.two_way(sim, x, y, grid_x=gx, grid_y=gy, max_draws=300, harm_weight=1.7).values
            for a, vx in enumerate(gx):
                qq = np.broadcast_to(q, (gy.size, *q.shape)).copy()
                qq[:, :, i] = vx
                qq[:, :, j] = gy[:, None]
                expected = m.expected_value(qq, 1.7).mean(axis=1)
                np.testing.assert_allclose(got[a], expected, rtol=1e-12, atol=1e-10, err_msg=f"{x} x {y}")
